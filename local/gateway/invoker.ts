/**
 * Invokes the route handlers like Lambda does: loaded once, with a Lambda context (counting down the
 * route's timeout), timed.
 */
import { randomUUID } from 'node:crypto';
import type { GatewayRoute, InvokeInfo, LambdaHandler } from './types.ts';

export function lambdaContext(functionName: string, timeoutMs = 29_000) {
  const deadline = Date.now() + timeoutMs;
  return {
    awsRequestId: randomUUID(),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/**
 * What the REQUEST authorizer decided. `misconfigured`: it allowed, but its context holds a value API
 * Gateway refuses (AuthorizerConfigurationException; `reason` says which).
 */
export type AuthorizerOutcome =
  | { readonly kind: 'allow'; readonly context: Record<string, unknown> }
  | { readonly kind: 'unauthorized' | 'forbidden' | 'error' }
  | { readonly kind: 'misconfigured'; readonly reason: string };

/** The authorizer's context as the routes get it, or why API Gateway refuses it. */
export type ContextVerdict = { readonly values: Record<string, string> } | { readonly refused: string };

/**
 * The authorizer's `context` as API Gateway hands it to the routes: every value a string (`1` →
 * `"1"`, `true` → `"true"`). A value that is not a string, number or boolean (an object, an array,
 * null) is refused, and so is the whole context. It is read as Lambda returns it, through JSON (a key
 * whose value is `undefined` is not there).
 */
export function contextAsStrings(context: unknown): ContextVerdict {
  let json: unknown;
  try {
    json = context == null ? {} : JSON.parse(JSON.stringify(context));
  } catch (error) {
    return { refused: `the context does not serialize to JSON (${(error as Error).message})` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { refused: 'the context is not a JSON object' };
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(json)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
      return { refused: `the context's "${key}" is ${kind}: only strings, numbers and booleans are allowed` };
    }
    values[key] = String(value);
  }
  return { values };
}

interface AuthorizerResult {
  principalId?: unknown;
  policyDocument?: { Statement?: { Effect?: string }[] };
  context?: unknown;
}

export class Invoker {
  readonly #routes = new Map<string, GatewayRoute>();
  readonly #handlers = new Map<string, Promise<LambdaHandler>>();

  constructor(
    routes: readonly GatewayRoute[],
    private readonly onInvoke?: (info: InvokeInfo) => void,
  ) {
    for (const route of routes) this.#routes.set(route.routeKey, route);
  }

  has(routeKey: string): boolean {
    return this.#routes.has(routeKey);
  }

  route(routeKey: string): GatewayRoute | undefined {
    return this.#routes.get(routeKey);
  }

  /** Runs a route's handler; reports every invocation to `onInvoke`. */
  async invoke(routeKey: string, event: unknown, connectionId: string): Promise<unknown> {
    const route = this.#routes.get(routeKey);
    if (!route) throw new Error(`no route ${routeKey}`);
    const started = performance.now();
    try {
      const handler = await this.#handler(routeKey, route.load);
      const timeoutMs = route.timeoutSeconds === undefined ? undefined : route.timeoutSeconds * 1000;
      const result = await handler(event, lambdaContext(routeKey.replace('$', ''), timeoutMs));
      this.onInvoke?.({ routeKey, connectionId, ms: performance.now() - started });
      return result;
    } catch (error) {
      this.onInvoke?.({ routeKey, connectionId, ms: performance.now() - started, error });
      throw error;
    }
  }

  /**
   * Runs the REQUEST authorizer: allowed when every statement of its policy allows and it names a
   * principal; its context then goes on with string values ({@link contextAsStrings}). Throwing
   * `Unauthorized` means 401; any other failure is reported to `onInvoke`.
   */
  async authorize(
    load: () => Promise<LambdaHandler>,
    event: unknown,
    connectionId: string,
  ): Promise<AuthorizerOutcome> {
    const started = performance.now();
    let result: AuthorizerResult | undefined;
    try {
      const handler = await this.#handler('$authorizer', load);
      result = (await handler(event, lambdaContext('authorizer'))) as AuthorizerResult | undefined;
    } catch (error) {
      const unauthorized = (error as Error)?.message === 'Unauthorized';
      this.onInvoke?.({
        routeKey: '$authorizer',
        connectionId,
        ms: performance.now() - started,
        ...(unauthorized ? {} : { error }),
      });
      return { kind: unauthorized ? 'unauthorized' : 'error' };
    }
    const statements = result?.policyDocument?.Statement ?? [];
    const allowed = statements.length > 0 && statements.every((s) => s.Effect === 'Allow');
    if (!allowed || typeof result?.principalId !== 'string') return { kind: 'forbidden' };
    const context = contextAsStrings(result.context);
    if ('refused' in context) return { kind: 'misconfigured', reason: context.refused };
    return {
      kind: 'allow',
      context: {
        ...context.values,
        principalId: result.principalId,
        integrationLatency: Math.round(performance.now() - started),
      },
    };
  }

  /** Loads a handler once (a failed load is retried next time), like a warm Lambda. */
  #handler(key: string, load: () => Promise<LambdaHandler>): Promise<LambdaHandler> {
    let handler = this.#handlers.get(key);
    if (!handler) {
      handler = load();
      this.#handlers.set(key, handler);
      handler.catch(() => this.#handlers.delete(key));
    }
    return handler;
  }
}

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

/** What the REQUEST authorizer decided. */
export type AuthorizerOutcome =
  | { readonly kind: 'allow'; readonly context: Record<string, unknown> }
  | { readonly kind: 'unauthorized' | 'forbidden' | 'error' };

interface AuthorizerResult {
  principalId?: unknown;
  policyDocument?: { Statement?: { Effect?: string }[] };
  context?: Record<string, unknown>;
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
   * principal. Throwing `Unauthorized` means 401; any other failure is reported to `onInvoke`.
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
    return {
      kind: 'allow',
      context: {
        ...result.context,
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

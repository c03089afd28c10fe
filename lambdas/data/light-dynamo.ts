/**
 * DynamoDB's data commands without most of the SDK's per-call work. A send makes 5–6 DynamoDB calls,
 * and the document client spends about 1.2–1.4 ms of CPU on each (its middleware, endpoint rules,
 * schema serde, retry bookkeeping) against about 0.6–0.8 ms on this path: one SigV4-signed JSON
 * request on a keep-alive socket (`bench/dynamo-transport.ts` on the 2-core development machine;
 * docs/performance.md). On Lambda that
 * CPU is billed duration, and at 256 MB a function gets about a seventh of a core, so it is also
 * latency; locally it is the send path's latency too.
 *
 * `lightDynamo(client)` adds one middleware to the document client's stack, at low priority in its
 * `initialize` step, so the `initialize` middlewares of normal or high priority (the IAM call
 * recorder, the bench's meter, the tests' hooks) still see the call. For the data commands it knows
 * (`light-dynamo-codec.ts`) it marshalls the input as the document client does, signs the request as
 * the SDK does (the headers and signature of its `SignatureV4`, `lambdas/shared/sigv4.ts`; service
 * `dynamodb`, the client's own region and credentials), sends it itself and unmarshalls the answer.
 * Errors take the SDK's shape (`name` from `__type`, `$fault`, `$metadata`, the error's members such
 * as a condition failure's `Item` or a cancelled transaction's `CancellationReasons`, as raw as the SDK
 * leaves them); retries use the client's own retry strategy and the SDK's error classification
 * (throttling, transient, server errors; network errors), the call's `abortSignal` ends the request
 * and its retries, and the server's clock corrects the client's as the SDK's signer does
 * (`light-dynamo-errors.ts`). Serde, endpoint rules, signing middleware and the HTTP handler are
 * what it skips; and once it has answered a command class, that class's stack is resolved once, not
 * on every call (`lambdas/shared/resolved-stacks.ts`).
 *
 * The endpoint is the one the SDK itself resolved: the client's first call goes through the SDK, and
 * its request's protocol, host and path are kept (whatever the endpoint rules chose: region, FIPS,
 * account endpoint, a local endpoint). Every other command takes the SDK's path unchanged.
 *
 * The client must be a document client whose base client is used only through it (the middleware
 * stack is shared, and a low-level command's input is already marshalled): `getDocumentClient()`
 * keeps its base client to itself. The agent has no cap on sockets: the callers bound their calls in
 * flight (the fan-out's connection lookups by `FANOUT_CONCURRENCY`, batch writes by 8). As with the
 * SDK's default handler, a call without an abort signal has no timeout of its own (the function's
 * does); the writes of the send path all carry a deadline.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RetryStrategyV2, RetryToken, SdkError } from '@smithy/types';
import { keepResolvedStacks, type ResolvableCommand } from '../shared/resolved-stacks.ts';
import { type Endpoint, SignedHttp, type SignedHttpOptions } from '../shared/signed-http.ts';
import {
  codecOf,
  fromJson,
  type MarshallOptions,
  operationOf,
  toJson,
  type UnmarshallOptions,
} from './light-dynamo-codec.ts';
import {
  abortError,
  asSdkNetworkError,
  type ClockConfig,
  correctClock,
  errorOf,
  race,
  retryInfo,
  signingDate,
} from './light-dynamo-errors.ts';

type Config = DynamoDBDocumentClient['config'];
type Output = Record<string, unknown> & { $metadata: Record<string, unknown> };

class LightDynamo {
  readonly #http: SignedHttp;
  #retry: RetryStrategyV2 | undefined;

  constructor(
    private readonly config: Config,
    endpoint: Endpoint,
    options: SignedHttpOptions,
  ) {
    this.#http = new SignedHttp(config, 'dynamodb', endpoint, options);
  }

  /** Closes the keep-alive sockets. */
  destroy(): void {
    this.#http.destroy();
  }

  /** One call with the SDK's retries: DynamoDB's JSON answer, or the SDK-shaped error. */
  async call(operation: string, body: string, signal: AbortSignal | undefined): Promise<Output> {
    this.#retry ??= (await this.config.retryStrategy()) as RetryStrategyV2;
    const strategy = this.#retry;
    let token: RetryToken = await strategy.acquireInitialRetryToken('');
    let attempts = 0;
    let totalRetryDelay = 0;
    for (;;) {
      try {
        if (signal?.aborted) throw abortError();
        const output = await this.#attempt(operation, body, signal);
        strategy.recordSuccess(token);
        output.$metadata.attempts = attempts + 1;
        output.$metadata.totalRetryDelay = totalRetryDelay;
        return output;
      } catch (error) {
        if (signal?.aborted) {
          throw (error as Error).name === 'AbortError' ? error : abortError(error);
        }
        const failure = error as SdkError;
        try {
          // The strategy waits out the backoff itself (its token's delay is then 0): the wait ends
          // at the signal, as in the SDK.
          token = await race(
            strategy.refreshRetryTokenForRetry(token, { ...retryInfo(failure), error: failure }),
            signal,
          );
        } catch (refused) {
          if ((refused as Error).name === 'AbortError' && signal?.aborted) throw refused;
          failure.$metadata = { ...failure.$metadata, attempts: attempts + 1, totalRetryDelay };
          throw failure;
        }
        attempts = token.getRetryCount();
        const waited =
          (token as { $retryLog?: { acquisitionDelay?: number } }).$retryLog?.acquisitionDelay ?? 0;
        const delay = token.getRetryDelay();
        totalRetryDelay += waited + delay;
        if (delay > 0) await race(new Promise((resolve) => setTimeout(resolve, delay)), signal);
      }
    }
  }

  async #attempt(operation: string, body: string, signal: AbortSignal | undefined): Promise<Output> {
    const response = await this.#http.request({
      path: this.#http.endpoint.path,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${operation}`,
      },
      body: Buffer.from(body, 'utf8'),
      signingDate: signingDate(this.config as ClockConfig),
      signal,
      onAbort: () => abortError(),
      onError: asSdkNetworkError,
    });
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of response) chunks.push(chunk as Buffer);
    } catch (error) {
      throw asSdkNetworkError(error);
    }
    const status = response.statusCode ?? 0;
    const $metadata: Record<string, unknown> = {
      httpStatusCode: status,
      requestId: response.headers['x-amzn-requestid'] as string | undefined,
      extendedRequestId: undefined,
      cfId: undefined,
    };
    // As the SDK's signer: the server's clock corrects the client's (a skewed request is retried).
    if (correctClock(this.config as ClockConfig, response.headers.date) && status >= 300) {
      $metadata.clockSkewCorrected = true;
    }
    let data: Record<string, unknown>;
    try {
      data = fromJson(Buffer.concat(chunks).toString('utf8'));
    } catch {
      data = {};
      if (status >= 200 && status < 300)
        throw Object.assign(new Error('DynamoDB answered with invalid JSON.'), { $metadata });
    }
    if (status >= 200 && status < 300) return { ...data, $metadata };
    throw errorOf(data, status, response.headers['x-amzn-errortype'], $metadata);
  }
}

/** The document client's conversions (the codec sets the flags lib-dynamodb sets for each value). */
function translation(config: Config): { marshall: MarshallOptions; unmarshall: UnmarshallOptions } {
  const translate = (
    config as {
      translateConfig?: { marshallOptions?: MarshallOptions; unmarshallOptions?: UnmarshallOptions };
    }
  ).translateConfig;
  return {
    marshall: { ...translate?.marshallOptions },
    unmarshall: { ...translate?.unmarshallOptions },
  };
}

interface Context {
  readonly commandName?: string;
  readonly __smithy_context?: { readonly abortSignal?: AbortSignal };
}

/** A call's arguments in the stack: the command, or what `send` below passes to a kept handler. */
interface Args {
  readonly input: Record<string, unknown>;
  readonly lightAbortSignal?: AbortSignal | undefined;
}

/** Options a kept handler can take: none, or an abort signal alone (what `table-client.ts` passes). */
const keepable = (rest: unknown[]): rest is [] | [undefined | { abortSignal?: AbortSignal }] => {
  if (rest.length > 1) return false;
  const [options] = rest;
  return (
    options === undefined ||
    (typeof options === 'object' &&
      options !== null &&
      Object.keys(options).every((k) => k === 'abortSignal'))
  );
};

/**
 * Adds the light path for DynamoDB's data commands to `client` (module comment); returns it.
 * `http.agent` replaces its keep-alive agent (`lambdas/shared/signed-http.ts`).
 */
export function lightDynamo<C extends DynamoDBDocumentClient>(client: C, http: SignedHttpOptions = {}): C {
  let light: LightDynamo | undefined;
  let options: ReturnType<typeof translation> | undefined;
  /** The low-level command classes whose calls the light path has answered. */
  const answered = new Set<unknown>();
  client.middlewareStack.add(
    ((next: (args: unknown) => Promise<unknown>, context: Context) => async (args: Args) => {
      const codec = light ? codecOf(context.commandName) : undefined;
      if (!light || !codec || !context.commandName) return next(args);
      answered.add(args.constructor);
      options ??= translation(client.config);
      const body = toJson(codec.input(args.input, options.marshall));
      const output = await light.call(
        operationOf(context.commandName),
        body,
        args.lightAbortSignal ?? context.__smithy_context?.abortSignal,
      );
      return { output: codec.output(output, options.unmarshall), response: undefined };
    }) as never,
    { step: 'initialize', priority: 'low', name: 'lightDynamo' },
  );
  // The endpoint the SDK resolved for its first data call (after its endpoint rules, before signing).
  client.middlewareStack.add(
    ((next: (args: unknown) => Promise<unknown>) =>
      async (args: { request?: { protocol?: string; hostname?: string; port?: number; path?: string } }) => {
        const { request } = args;
        if (!light && request?.hostname && request.protocol) {
          light = new LightDynamo(
            client.config,
            {
              protocol: request.protocol,
              hostname: request.hostname,
              port: request.port,
              path: request.path || '/',
            },
            http,
          );
        }
        return next(args);
      }) as never,
    { step: 'build', priority: 'low', name: 'lightDynamoEndpoint' },
  );
  // A command of a class the light path answered runs the stack as resolved once (resolved-stacks.ts):
  // the document command's low-level command's, without the document client's marshalling (the
  // light path marshalls), its abort signal in the arguments.
  // After any change to the stack the SDK's send runs again until the light path answers a class
  // again (should it be gone, a kept handler would send unmarshalled input).
  keepResolvedStacks(
    client,
    (command, rest) => {
      const low = (command as { clientCommand?: ResolvableCommand } | null)?.clientCommand;
      if (!light || !low || !answered.has(low.constructor) || !keepable(rest)) return undefined;
      const args: Args = { input: low.input as Args['input'], lightAbortSignal: rest[0]?.abortSignal };
      return { command: low, args };
    },
    () => answered.clear(),
  );
  // The document client's destroy() leaves its base client alone; the light path's sockets close.
  const destroy = client.destroy.bind(client);
  client.destroy = () => {
    light?.destroy();
    destroy();
  };
  return client;
}

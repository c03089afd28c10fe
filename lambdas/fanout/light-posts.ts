/**
 * `PostToConnection` without the SDK's per-call work: a fan-out to 1,000 sockets is 1,000 posts, and
 * the SDK spends about 0.6–1.4 ms of CPU on each (its middleware chain, endpoint rules, serde,
 * retry bookkeeping) against 0.15–0.4 ms for one SigV4-signed HTTP request on a keep-alive socket
 * (measured on the 2-core development machine; docs/performance.md). On Lambda that CPU is billed
 * duration; here it is the fan-out's latency.
 *
 * `lightPosts(client)` adds one middleware to the client's stack, at the start of its `serialize`
 * step: for `PostToConnectionCommand` it signs the request exactly as the SDK does (the headers and
 * signature of its `SignatureV4`, `lambdas/shared/sigv4.ts`; service `execute-api`, the client's own
 * credentials, region and endpoint, the path encoded the same way) and sends it itself. Everything
 * of the `initialize` step still runs first (the IAM call recorder, the bench's counters), and every
 * other command goes through the SDK unchanged. Answers become what the SDK would have thrown: the
 * error type from `x-amzn-errortype` (or the status), `$metadata.httpStatusCode`, so `isGone` and
 * the retry policy (`delivery.ts`) do not change. `test/unit/light-posts.test.ts` checks the request
 * against the SDK's own, header by header. The stack of a post is resolved once, not on every post
 * (`lambdas/shared/resolved-stacks.ts`); the request itself is `lambdas/shared/signed-http.ts`.
 */
import type { IncomingMessage } from 'node:http';
import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { keepResolvedStacks } from '../shared/resolved-stacks.ts';
import { serviceError } from '../shared/service-errors.ts';
import { type Endpoint, SignedHttp, type SignedHttpOptions } from '../shared/signed-http.ts';
import { MANAGEMENT_ERROR_TYPES } from './management-errors.ts';

/** A post not answered in this time fails as a network error (retried by `delivery.ts`). */
export const POST_TIMEOUT_MS = 5000;

/** The SDK's path encoding (`extendedEncodeURIComponent`): also `!'()*`. */
const encodeSegment = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const timeoutError = () =>
  Object.assign(new Error('The post was not answered in time.'), { name: 'TimeoutError' });

class LightPoster {
  readonly #http: SignedHttp;
  readonly #base: string;

  constructor(
    config: ApiGatewayManagementApiClient['config'],
    endpoint: Endpoint,
    options: SignedHttpOptions,
  ) {
    // No cap on sockets: the fan-out bounds the posts in flight (FANOUT_CONCURRENCY), and a cap
    // below that setting would quietly queue the rest.
    this.#http = new SignedHttp(config, 'execute-api', endpoint, options);
    this.#base = `${endpoint.path.replace(/\/$/, '')}/@connections/`;
  }

  /** Closes the keep-alive sockets. */
  destroy(): void {
    this.#http.destroy();
  }

  /** Posts; resolves with the status of a 2xx answer, throws the SDK-shaped error otherwise. */
  async post(connectionId: string, data: Uint8Array | string): Promise<number> {
    const response = await this.#http.request({
      path: this.#base + encodeSegment(connectionId),
      headers: { 'content-type': 'application/octet-stream' },
      body: typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data),
      timeoutMs: POST_TIMEOUT_MS,
      onTimeout: timeoutError,
    });
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      // A reset of the body after a 2xx status changes nothing (it was posted): never an unhandled error.
      response.on('error', () => undefined);
      response.resume();
      return status;
    }
    throw await errorOf(response, status);
  }
}

async function errorOf(response: IncomingMessage, status: number): Promise<Error> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  return serviceError(status, body, response.headers, MANAGEMENT_ERROR_TYPES[status] ?? 'UnknownError');
}

/**
 * Adds the light path for `PostToConnectionCommand` to `client` (module comment); returns it.
 * `options.agent` replaces its keep-alive agent (`signed-http.ts`).
 */
export function lightPosts(
  client: ApiGatewayManagementApiClient,
  options: SignedHttpOptions = {},
): ApiGatewayManagementApiClient {
  let poster: Promise<LightPoster | undefined> | undefined;
  let made: LightPoster | undefined;
  const posterOf = () => {
    poster ??= (async () => {
      const endpoint = (await client.config.endpoint?.()) as Endpoint | undefined;
      made = endpoint ? new LightPoster(client.config, endpoint, options) : undefined;
      return made;
    })();
    return poster;
  };
  client.middlewareStack.add(
    ((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: { input: { ConnectionId?: string; Data?: Uint8Array | string } }) => {
        const light = context.commandName === 'PostToConnectionCommand' ? await posterOf() : undefined;
        const { ConnectionId, Data } = args.input;
        if (!light || ConnectionId === undefined || Data === undefined) return next(args);
        const status = await light.post(ConnectionId, Data);
        return { output: { $metadata: { httpStatusCode: status } }, response: undefined };
      }) as never,
    { step: 'serialize', priority: 'high', name: 'lightPostToConnection' },
  );
  // A post the light path answers runs the client's stack as resolved once (resolved-stacks.ts).
  keepResolvedStacks(client, (command, rest) => {
    if (!made || rest.length > 0 || !(command instanceof PostToConnectionCommand)) return undefined;
    const { ConnectionId, Data } = command.input;
    return ConnectionId !== undefined && Data !== undefined
      ? { command: command as never, args: command }
      : undefined;
  });
  const destroy = client.destroy.bind(client);
  client.destroy = () => {
    made?.destroy();
    destroy();
  };
  return client;
}

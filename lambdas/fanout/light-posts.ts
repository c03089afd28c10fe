/**
 * `PostToConnection` without the SDK's per-call work: a fan-out to 1,000 sockets is 1,000 posts, and
 * the SDK spends about 0.6–1.4 ms of CPU on each (its middleware chain, endpoint rules, serde,
 * retry bookkeeping) against 0.15–0.4 ms for one SigV4-signed HTTP request on a keep-alive socket
 * (measured on the 2-core development machine; docs/performance.md). On Lambda that CPU is billed
 * duration; here it is the fan-out's latency.
 *
 * `lightPosts(client)` adds one middleware to the client's stack, at the start of its `serialize`
 * step: for `PostToConnectionCommand` it signs the request exactly as the SDK does (the same
 * `SignatureV4` class, service `execute-api`, the client's own credentials, region, endpoint and
 * SHA-256, the path encoded the same way) and sends it itself. Everything of the `initialize` step
 * still runs first (the IAM call recorder, the bench's counters), and every other command goes
 * through the SDK unchanged. Answers become what the SDK would have thrown: the error type from
 * `x-amzn-errortype` (or the status), `$metadata.httpStatusCode`, so `isGone` and the retry policy
 * (`delivery.ts`) do not change. `test/unit/light-posts.test.ts` checks the request against the
 * SDK's own, header by header.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { SignatureV4 } from '@smithy/signature-v4';
import { MANAGEMENT_ERROR_TYPES } from './management-errors.ts';

/** A post not answered in this time fails as a network error (retried by `delivery.ts`). */
const POST_TIMEOUT_MS = 5000;

/** The SDK's path encoding (`extendedEncodeURIComponent`): also `!'()*`. */
const encodeSegment = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

interface Endpoint {
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number | undefined;
  readonly path: string;
}

/** What a post sends, signed. */
interface SignedPost {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

type ClientConfig = ApiGatewayManagementApiClient['config'];

class LightPoster {
  readonly #agent: HttpAgent | HttpsAgent;
  #signer: SignatureV4 | undefined;

  constructor(
    private readonly config: ClientConfig,
    private readonly endpoint: Endpoint,
  ) {
    // No cap of its own: the fan-out bounds the posts in flight (FANOUT_CONCURRENCY), and a cap
    // below that setting would quietly queue the rest.
    const options = { keepAlive: true };
    this.#agent = endpoint.protocol === 'http:' ? new HttpAgent(options) : new HttpsAgent(options);
  }

  async #sign(connectionId: string, data: Uint8Array | string): Promise<SignedPost> {
    this.#signer ??= new SignatureV4({
      service: 'execute-api',
      region: await this.config.region(),
      credentials: this.config.credentials,
      sha256: this.config.sha256,
    });
    const { endpoint } = this;
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    const path = `${endpoint.path.replace(/\/$/, '')}/@connections/${encodeSegment(connectionId)}`;
    const host = endpoint.port ? `${endpoint.hostname}:${endpoint.port}` : endpoint.hostname;
    const signed = await this.#signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: endpoint.port } : {}),
      path,
      query: {},
      headers: { host, 'content-type': 'application/octet-stream', 'content-length': String(body.length) },
      body,
    });
    return { path, headers: signed.headers, body };
  }

  /** Posts; resolves with the status of a 2xx answer, throws the SDK-shaped error otherwise. */
  async post(connectionId: string, data: Uint8Array | string): Promise<number> {
    const { endpoint } = this;
    const { path, headers, body } = await this.#sign(connectionId, data);
    const send = endpoint.protocol === 'http:' ? httpRequest : httpsRequest;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(
        {
          agent: this.#agent,
          method: 'POST',
          hostname: endpoint.hostname,
          ...(endpoint.port ? { port: endpoint.port } : {}),
          path,
          headers,
        },
        resolve,
      );
      req.setTimeout(POST_TIMEOUT_MS, () =>
        req.destroy(Object.assign(new Error('The post was not answered in time.'), { name: 'TimeoutError' })),
      );
      // Every error of the request settles the post (later ones find it settled): none is unhandled.
      req.on('error', reject);
      req.end(body);
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
  let message: string | undefined;
  try {
    message =
      (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: string }).message ?? undefined;
  } catch {
    message = undefined;
  }
  const header = response.headers['x-amzn-errortype'];
  const name =
    (typeof header === 'string' ? header.split(':')[0] : undefined) ||
    MANAGEMENT_ERROR_TYPES[status] ||
    'UnknownError';
  return Object.assign(new Error(message || name), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: response.headers['x-amzn-requestid'] },
  });
}

/** Adds the light path for `PostToConnectionCommand` to `client` (module comment); returns it. */
export function lightPosts(client: ApiGatewayManagementApiClient): ApiGatewayManagementApiClient {
  let poster: Promise<LightPoster | undefined> | undefined;
  const posterOf = () => {
    poster ??= (async () => {
      const endpoint = (await client.config.endpoint?.()) as Endpoint | undefined;
      return endpoint ? new LightPoster(client.config, endpoint) : undefined;
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
  return client;
}

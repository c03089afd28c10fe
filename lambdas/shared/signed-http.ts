/**
 * One SigV4-signed POST on a keep-alive socket: what the light request paths have in common (the
 * Management API's posts, `lambdas/fanout/light-posts.ts`, DynamoDB's data commands,
 * `lambdas/data/light-dynamo.ts`, and SQS's two sends, `lambdas/queue/light-sqs.ts`). It signs as
 * the SDK does (`sigv4.ts`: the headers and signature of the SDK's `SignatureV4`, with the client's
 * own region and credentials) for the endpoint the SDK resolved (for SQS: the queue URL's origin),
 * and resolves with the response once its headers arrive; the caller reads the body and shapes
 * errors as its SDK client would.
 *
 * The agent is one of its own by default, with no cap on sockets: the callers bound their calls in
 * flight. `agent` replaces it (a test's, trusting a private certificate authority).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PostSigner, type SigningCredentials } from './sigv4.ts';

/** Where requests go: the protocol, host and base path the SDK resolved. */
export interface Endpoint {
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number | undefined;
  readonly path: string;
}

/** What signing takes from an SDK client's resolved configuration. */
export interface SigningConfig {
  region(): Promise<string>;
  /** The credentials, or their provider (the SDK's refreshes them before they expire). */
  readonly credentials: SigningCredentials | (() => Promise<SigningCredentials>);
}

export interface SignedHttpOptions {
  /** The keep-alive agent to use instead of one of its own (its protocol must be the endpoint's). */
  readonly agent?: HttpAgent | HttpsAgent | undefined;
}

/** One request: its path, headers beside `host` and `content-length`, and body. */
export interface SignedPost {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The signing time (the SDK's clock correction), when not now. */
  readonly signingDate?: Date | undefined;
  /** Ends the request with the signal's reason, `abortError()` of the caller's making. */
  readonly signal?: AbortSignal | undefined;
  readonly onAbort?: (() => Error) | undefined;
  /** Ends the request with `onTimeout()` when the socket is idle this long. */
  readonly timeoutMs?: number | undefined;
  readonly onTimeout?: (() => Error) | undefined;
  /** What an error of the request itself (not of signing) becomes. */
  readonly onError?: ((error: unknown) => unknown) | undefined;
}

export class SignedHttp {
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #ownAgent: boolean;
  readonly #send: typeof httpRequest;
  readonly #host: string;
  #signer: PostSigner | undefined;

  constructor(
    private readonly config: SigningConfig,
    private readonly service: string,
    readonly endpoint: Endpoint,
    options: SignedHttpOptions = {},
  ) {
    const plain = endpoint.protocol === 'http:';
    this.#ownAgent = options.agent === undefined;
    this.#agent =
      options.agent ?? (plain ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true }));
    this.#send = plain ? httpRequest : httpsRequest;
    this.#host = endpoint.port ? `${endpoint.hostname}:${endpoint.port}` : endpoint.hostname;
  }

  /** Closes the keep-alive sockets of its own agent (a given agent is its owner's to close). */
  destroy(): void {
    if (this.#ownAgent) this.#agent.destroy();
  }

  async #sign(post: SignedPost): Promise<Record<string, string>> {
    this.#signer ??= new PostSigner(await this.config.region(), this.service);
    const { credentials } = this.config;
    return this.#signer.sign(
      {
        path: post.path,
        headers: { host: this.#host, ...post.headers, 'content-length': String(post.body.length) },
        body: post.body,
      },
      typeof credentials === 'function' ? await credentials() : credentials,
      post.signingDate ?? new Date(),
    );
  }

  /**
   * Signs and sends `post`; the response once its headers arrive. Every error of the request
   * settles it (later ones find it settled): none is unhandled.
   */
  async request(post: SignedPost): Promise<IncomingMessage> {
    const headers = await this.#sign(post);
    const { endpoint } = this;
    const { signal, onAbort, timeoutMs, onTimeout, onError } = post;
    return new Promise<IncomingMessage>((resolve, reject) => {
      // Aborted while signing (a credentials refresh): nothing is sent.
      if (signal?.aborted) return reject(onAbort?.() ?? signal.reason);
      const req = this.#send(
        {
          agent: this.#agent,
          method: 'POST',
          hostname: endpoint.hostname,
          ...(endpoint.port ? { port: endpoint.port } : {}),
          path: post.path,
          headers,
        },
        resolve,
      );
      if (signal) {
        const abort = () => req.destroy(onAbort?.() ?? signal.reason);
        signal.addEventListener('abort', abort, { once: true });
        req.once('close', () => signal.removeEventListener('abort', abort));
      }
      if (timeoutMs !== undefined) {
        req.setTimeout(timeoutMs, () => req.destroy(onTimeout?.() ?? new Error('request timed out')));
      }
      req.on('error', (error) => reject(onError ? onError(error) : error));
      req.end(post.body);
    });
  }
}

/**
 * A local API Gateway WebSocket API: runs the real Lambda handlers in-process with events shaped
 * like API Gateway's, so a handler written for AWS runs here unchanged. It knows nothing of chats.
 *
 * This class only wires the parts under `gateway/`:
 * - `handshake.ts`: the REQUEST authorizer (identity source: a query parameter), then `$connect`
 *   (first a request that is no WebSocket handshake is refused, 400 or 405, and, when asked, a
 *   browser's `Origin` checked to be local); no subprotocol is selected;
 * - `routing.ts`: route selection on `$request.body.action`, `$default` otherwise; two-way route
 *   responses back to the caller (over 128 KB: not sent, logged); a throwing handler gives API
 *   Gateway's `{"message": "Internal server error", ...}` frame; a binary frame closes the socket
 *   with 1003;
 * - `transport.ts`: one connection's socket, close codes (1009 for a client frame over 32 KB or a
 *   message over 128 KB: `frame-limit.ts`) and the idle and hard timeouts; `$disconnect` runs when
 *   either side closes;
 * - `management.ts`: the Management API (`/@connections/{id}`: POST, GET, DELETE) on the same
 *   origin, so the real `@aws-sdk/client-apigatewaymanagementapi` works against it unchanged;
 * - `faults.ts`: injected Management API faults; `holds.ts`: posts a test holds until it lets them
 *   go; `invoker.ts` and `events.ts`: Lambda invocation
 *   and the events it gets.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type WebSocket, WebSocketServer } from 'ws';
import { DEFAULT_PORT, LOOPBACK_HOST, urlHost } from './defaults.ts';
import { disconnectEvent } from './gateway/events.ts';
import { FaultInjector } from './gateway/faults.ts';
import { handshake } from './gateway/handshake.ts';
import { type PostHold, PostHolds, type PostMatcher } from './gateway/holds.ts';
import { Invoker } from './gateway/invoker.ts';
import { managementApi } from './gateway/management.ts';
import { handleMessage } from './gateway/routing.ts';
import { type CloseInfo, Connection } from './gateway/transport.ts';
import {
  AWS_LIMITS,
  type ConnectionFacts,
  type ExecutionLogEntry,
  type GatewayLimits,
  type GatewayOptions,
  type InjectedFault,
  type StageFacts,
} from './gateway/types.ts';
import { fromThisMachine } from './local-only.ts';

export { newConnectionId } from './gateway/events.ts';
export type { PostHold, PostMatcher } from './gateway/holds.ts';
export * from './gateway/types.ts';

/** The default execution log: one line per entry on stderr. */
function logToStderr(entry: ExecutionLogEntry): void {
  process.stderr.write(
    `local gateway: ${entry.level} ${entry.routeKey} (${entry.connectionId}, request ${entry.requestId}): ${entry.message}\n`,
  );
}

export class LocalGateway {
  readonly #connections = new Map<string, Connection>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #faults = new FaultInjector();
  #postLatencyMs = 0;
  readonly #holds = new PostHolds();
  readonly #invoker: Invoker;
  readonly #limits: GatewayLimits;
  readonly #stage: StageFacts;
  readonly #host: string;
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #port = 0;

  constructor(readonly options: GatewayOptions) {
    this.#invoker = new Invoker(options.routes, options.onInvoke);
    this.#limits = { ...AWS_LIMITS, ...options.limits };
    this.#host = options.host ?? LOOPBACK_HOST;
    const gateway = this;
    this.#stage = {
      stage: options.stage ?? 'local',
      apiId: options.apiId ?? 'localapi01',
      get domainName() {
        return `${gateway.#displayHost()}:${gateway.#port}`;
      },
    };
  }

  /** ws://host:port — the URL clients connect to. */
  get url(): string {
    return `ws://${this.#stage.domainName}`;
  }

  /** http://host:port — the Management API endpoint handlers post to. */
  get managementEndpoint(): string {
    return `http://${this.#stage.domainName}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Ids of the open connections. */
  get connectionIds(): string[] {
    return [...this.#connections.keys()];
  }

  /** Answers the next Management API posts with an error instead of delivering them. */
  injectFault(fault: InjectedFault): void {
    this.#faults.inject(fault);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /**
   * Models the Management API's round trip on AWS (the bench's fan-out waves): from now on every
   * post is delivered and answered `ms` after it arrived, while others are under way. 0 (the
   * default) answers at once.
   */
  setPostLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`post latency must be ≥ 0 ms, got ${ms}`);
    this.#postLatencyMs = ms;
  }

  /**
   * Holds the Management API posts `match` picks (tests: "while that event is still going out")
   * until the returned hold is released; the others are delivered as usual.
   */
  holdPosts(match: PostMatcher): PostHold {
    return this.#holds.hold(match);
  }

  /**
   * Drops a connection without a close handshake and without `$disconnect`, as when a phone loses
   * its network: the record stays in the table and the next post finds it gone (410).
   */
  vanish(connectionId: string): void {
    const conn = this.#connections.get(connectionId);
    if (!conn) return;
    this.#connections.delete(connectionId);
    conn.vanish();
  }

  async start(): Promise<void> {
    const management = {
      connection: (id: string) => this.#connections.get(id),
      faults: this.#faults,
      maxPostBytes: this.#limits.maxPostBytes,
      postLatencyMs: () => this.#postLatencyMs,
      held: (id: string, body: Buffer) => this.#holds.pass(id, body),
      // The handlers post from this machine: to loopback, or to the one address the gateway is bound to.
      admits: (req: IncomingMessage) => fromThisMachine(req, this.#host),
    };
    const extra = this.options.httpRoutes ?? [];
    const server = createServer((req, res) =>
      this.#track(
        (async () => {
          for (const route of extra) if (await route(req, res)) return;
          await managementApi(management, req, res);
        })(),
      ),
    );
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#limits.maxMessageBytes,
      // API Gateway answers with a subprotocol only when the $connect route's response sets the
      // Sec-WebSocket-Protocol header (ours never does): select none (`false`: no header), where
      // `ws` would echo the first one offered.
      handleProtocols: () => false,
    });
    server.on('upgrade', (req, socket, head) => this.#track(this.#upgrade(req, socket, head)));
    this.#server = server;
    this.#wss = wss;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? DEFAULT_PORT, this.#host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
  }

  /**
   * Closes every socket (running `$disconnect` for each), then the server. The WebSocketServer goes
   * first: a handshake whose `$connect` is still running is then refused (503) when it ends, and gets
   * its `$disconnect`, where it opened a socket after the others had closed and the server never
   * closed (a Ctrl-C in `npm run dev` ran into its stop deadline).
   */
  async stop(): Promise<void> {
    this.#wss?.close();
    this.#holds.releaseAll();
    for (const conn of [...this.#connections.values()]) conn.close(1001, 'Going away');
    const deadline = Date.now() + 3000;
    while (this.#connections.size > 0 && Date.now() < deadline) await sleep(10);
    for (const conn of this.#connections.values()) conn.terminate();
    await this.idle();
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** Resolves when every handler invocation under way has finished. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  get #log(): (entry: ExecutionLogEntry) => void {
    return this.options.onExecutionLog ?? logToStderr;
  }

  #displayHost(): string {
    return this.#host === '0.0.0.0' || this.#host === '::' ? 'localhost' : urlHost(this.#host);
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error) => {
      process.stderr.write(`local gateway: ${(error as Error).stack ?? error}\n`);
    });
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    const facts = await handshake(
      {
        stage: this.#stage,
        invoker: this.#invoker,
        authorizer: this.options.authorizer,
        newConnectionId: this.options.newConnectionId,
        localOriginsOnly: this.options.localOriginsOnly ?? false,
        log: this.#log,
      },
      req,
      socket,
    );
    if (!facts) return;
    // A client gone during $connect (its FIN came: not readable, yet neither destroyed nor closed)
    // would have `ws` destroy the socket without calling back, and no $disconnect ran (the user read
    // online until a post got 410). The same test as ws's `completeUpgrade`, so none slips between.
    if (socket.destroyed || !socket.readable || !socket.writable) {
      socket.destroy();
      // API Gateway runs $disconnect for it.
      await this.#disconnect(facts, { code: 1006, reason: 'Client gone' });
      return;
    }
    // ws calls back at once when it opens the socket (no verifyClient); a request it still refuses
    // (its other header checks, handshake.ts makes most first) gets its $disconnect.
    let opened = false;
    this.#wss?.handleUpgrade(req, socket, head, (ws) => {
      opened = true;
      this.#open(ws, facts);
    });
    if (!opened) await this.#disconnect(facts, { code: 1006, reason: 'Handshake refused' });
  }

  #open(socket: WebSocket, facts: ConnectionFacts): void {
    const deps = { stage: this.#stage, invoker: this.#invoker, limits: this.#limits, log: this.#log };
    const conn: Connection = new Connection(facts, socket, this.#limits, {
      onMessage: (data, isBinary) => this.#track(handleMessage(deps, conn, data, isBinary)),
      onClose: (closed) => {
        if (!this.#connections.delete(conn.id)) return;
        this.#track(this.#disconnect(conn, closed));
      },
    });
    this.#connections.set(conn.id, conn);
  }

  async #disconnect(conn: ConnectionFacts, closed: CloseInfo): Promise<void> {
    if (!this.#invoker.has('$disconnect')) return;
    try {
      await this.#invoker.invoke(
        '$disconnect',
        disconnectEvent(this.#stage, conn, closed.code, closed.reason),
        conn.id,
      );
    } catch {
      // API Gateway ignores $disconnect failures.
    }
  }
}

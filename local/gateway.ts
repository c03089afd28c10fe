/**
 * A local API Gateway WebSocket API: runs the real Lambda handlers in-process with events shaped
 * like API Gateway's, so a handler written for AWS runs here unchanged.
 *
 * - Route selection on `$request.body.action` (case-sensitive), `$default` otherwise.
 * - `$connect` runs the REQUEST authorizer first (identity source: the `token` query parameter),
 *   then the `$connect` handler; the authorizer's principalId and context reach every later event.
 * - `$disconnect` runs when either side closes.
 * - Two-way routes: the handler's response body is sent back to the calling socket.
 * - A handler that throws gives API Gateway's `{"message": "Internal server error", ...}` frame.
 * - Limits: frames over `maxFrameBytes` close the socket with 1009; idle and hard timeouts.
 * - The Management API (`/@connections/{id}`: POST, GET, DELETE) on the same origin, so the real
 *   `@aws-sdk/client-apigatewaymanagementapi` works against it unchanged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

/** A Lambda handler as the gateway invokes it. */
// biome-ignore lint/suspicious/noExplicitAny: handlers take and return API Gateway shapes of many kinds
export type LambdaHandler = (event: any, context: any) => Promise<any>;

export interface GatewayRoute {
  readonly routeKey: string;
  /** Whether the handler's response body goes back to the caller. */
  readonly returnResponse: boolean;
  readonly load: () => Promise<LambdaHandler>;
}

export interface GatewayLimits {
  /** Largest frame accepted; larger ones close the socket with 1009. @default 128 KB */
  readonly maxFrameBytes: number;
  /** Idle timeout. @default 10 minutes */
  readonly idleTimeoutMs: number;
  /** Hard connection limit. @default 2 hours */
  readonly maxConnectionMs: number;
  /** Largest Management API post. @default 128 KB */
  readonly maxPostBytes: number;
}

export const AWS_LIMITS: GatewayLimits = {
  maxFrameBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
  maxPostBytes: 128 * 1024,
};

export interface GatewayOptions {
  readonly routes: readonly GatewayRoute[];
  /** The REQUEST authorizer of `$connect` and the query parameter that is its identity source. */
  readonly authorizer?: { readonly load: () => Promise<LambdaHandler>; readonly queryParameter: string };
  /** @default 3001; 0 picks a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 'local' */
  readonly stage?: string;
  /** @default 'localapi01' */
  readonly apiId?: string;
  readonly limits?: Partial<GatewayLimits>;
  /** Makes connection ids (tests pin ids with `+`, `/` and `=`). @default {@link newConnectionId} */
  readonly newConnectionId?: () => string;
  /** Called after every handler invocation (observability in tests and `npm run dev`). */
  readonly onInvoke?: (info: { routeKey: string; connectionId: string; ms: number; error?: unknown }) => void;
  /** Extra local-only HTTP routes on the gateway's port (e.g. `GET /_local/push`), answered first. */
  readonly httpRoutes?: readonly LocalHttpRoute[];
}

/** A local-only HTTP route the local stack mounts on the gateway (never part of API Gateway). */
export interface LocalHttpRoute {
  readonly method: string;
  readonly path: string;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

/** A fault the Management API answers instead of delivering (fault-injection tests). */
export interface InjectedFault {
  readonly status: 410 | 429 | 500 | 503;
  /** How many posts fail this way. @default 1 */
  readonly count?: number;
  /** Only posts to this connection. @default any connection */
  readonly connectionId?: string;
}

interface LocalConnection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent: string | undefined;
  readonly authorizer: Record<string, unknown> | undefined;
  lastActiveAt: number;
  idleTimer?: NodeJS.Timeout;
  hardTimer?: NodeJS.Timeout;
  closedBy?: 'client' | 'server';
  /** Why the gateway closed the socket (reported to `$disconnect` whatever the client echoes). */
  serverClose?: { code: number; reason: string };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'BadRequestException',
  403: 'ForbiddenException',
  410: 'GoneException',
  413: 'PayloadTooLargeException',
  429: 'LimitExceededException',
  500: 'InternalServerErrorException',
  503: 'ServiceUnavailableException',
};

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** An AWS-like connection id: 16 base64 characters, e.g. `L0SM9cOFvHcCIhw=`. */
export function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}

function requestTime(epochMs: number): string {
  // API Gateway's format: 22/Nov/2026:04:15:22 +0000
  const d = new Date(epochMs);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
}

function lambdaContext(functionName: string, timeoutMs = 29_000) {
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

function singleAndMulti(entries: Iterable<[string, string]>) {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of entries) {
    single[k] = v;
    const list = multi[k] ?? [];
    list.push(v);
    multi[k] = list;
  }
  return { single, multi };
}

function headerEntries(req: IncomingMessage): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    out.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  }
  return out;
}

export class LocalGateway {
  readonly #routes = new Map<string, GatewayRoute>();
  readonly #handlers = new Map<string, Promise<LambdaHandler>>();
  readonly #connections = new Map<string, LocalConnection>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #faults: { status: number; remaining: number; connectionId?: string }[] = [];
  readonly #limits: GatewayLimits;
  readonly #stage: string;
  readonly #apiId: string;
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #port = 0;
  #host: string;

  constructor(readonly options: GatewayOptions) {
    for (const route of options.routes) this.#routes.set(route.routeKey, route);
    this.#limits = { ...AWS_LIMITS, ...options.limits };
    this.#stage = options.stage ?? 'local';
    this.#apiId = options.apiId ?? 'localapi01';
    this.#host = options.host ?? '127.0.0.1';
  }

  /** ws://host:port — the URL clients connect to. */
  get url(): string {
    return `ws://${this.#displayHost()}:${this.#port}`;
  }

  /** http://host:port — the Management API endpoint handlers post to. */
  get managementEndpoint(): string {
    return `http://${this.#displayHost()}:${this.#port}`;
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
    this.#faults.push({
      status: fault.status,
      remaining: fault.count ?? 1,
      ...(fault.connectionId ? { connectionId: fault.connectionId } : {}),
    });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /**
   * Drops a connection without a close handshake and without `$disconnect`, as when a phone loses
   * its network: the record stays in the table and the next post finds it gone (410).
   */
  vanish(connectionId: string): void {
    const conn = this.#connections.get(connectionId);
    if (!conn) return;
    this.#connections.delete(connectionId);
    this.#clearTimers(conn);
    conn.socket.removeAllListeners('close');
    conn.socket.terminate();
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.#track(this.#http(req, res));
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.#limits.maxFrameBytes });
    server.on('upgrade', (req, socket, head) => {
      this.#track(this.#upgrade(wss, req, socket, head));
    });
    this.#server = server;
    this.#wss = wss;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 3001, this.#host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
  }

  /** Closes every socket (running `$disconnect` for each), then the server. */
  async stop(): Promise<void> {
    for (const conn of [...this.#connections.values()]) this.#serverClose(conn, 1001, 'Going away');
    const deadline = Date.now() + 3000;
    while (this.#connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const conn of this.#connections.values()) conn.socket.terminate();
    await this.idle();
    this.#wss?.close();
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

  #displayHost(): string {
    return this.#host === '0.0.0.0' || this.#host === '::' ? 'localhost' : this.#host;
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error) => {
      process.stderr.write(`local gateway: ${(error as Error).stack ?? error}\n`);
    });
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  #handler(key: string, load: () => Promise<LambdaHandler>): Promise<LambdaHandler> {
    let handler = this.#handlers.get(key);
    if (!handler) {
      handler = load();
      this.#handlers.set(key, handler);
      handler.catch(() => this.#handlers.delete(key));
    }
    return handler;
  }

  async #invoke(routeKey: string, event: unknown, connectionId: string): Promise<unknown> {
    const route = this.#routes.get(routeKey);
    if (!route) throw new Error(`no route ${routeKey}`);
    const started = performance.now();
    try {
      const handler = await this.#handler(routeKey, route.load);
      const result = await handler(event, lambdaContext(routeKey.replace('$', '')));
      this.options.onInvoke?.({ routeKey, connectionId, ms: performance.now() - started });
      return result;
    } catch (error) {
      this.options.onInvoke?.({ routeKey, connectionId, ms: performance.now() - started, error });
      throw error;
    }
  }

  #baseContext(conn: { id: string; connectedAt: number; sourceIp: string; userAgent: string | undefined }) {
    const now = Date.now();
    return {
      stage: this.#stage,
      requestId: randomBytes(12).toString('base64url'),
      extendedRequestId: randomBytes(12).toString('base64url'),
      apiId: this.#apiId,
      connectedAt: conn.connectedAt,
      requestTime: requestTime(now),
      requestTimeEpoch: now,
      domainName: `${this.#displayHost()}:${this.#port}`,
      connectionId: conn.id,
      identity: { sourceIp: conn.sourceIp, ...(conn.userAgent ? { userAgent: conn.userAgent } : {}) },
    };
  }

  // ── Handshake: authorizer, $connect ────────────────────────────────────────────────────────

  async #upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = singleAndMulti(headerEntries(req));
    const query = singleAndMulti(url.searchParams.entries());
    const hasQuery = Object.keys(query.single).length > 0;
    const conn = {
      id: (this.options.newConnectionId ?? newConnectionId)(),
      connectedAt: Date.now(),
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      userAgent: req.headers['user-agent'],
    };
    const requestContext = {
      ...this.#baseContext(conn),
      routeKey: '$connect',
      eventType: 'CONNECT',
      messageDirection: 'IN',
    };
    let authorizerContext: Record<string, unknown> | undefined;

    const authorizer = this.options.authorizer;
    if (authorizer) {
      const token = url.searchParams.get(authorizer.queryParameter);
      if (!token) return refuse(socket, 401, 'Unauthorized');
      const methodArn = `arn:aws:execute-api:local:000000000000:${this.#apiId}/${this.#stage}/$connect`;
      const started = performance.now();
      let result: {
        principalId?: string;
        policyDocument?: { Statement?: { Effect?: string }[] };
        context?: Record<string, unknown>;
      };
      try {
        const handler = await this.#handler('$authorizer', authorizer.load);
        result = await handler(
          {
            type: 'REQUEST',
            methodArn,
            headers: headers.single,
            multiValueHeaders: headers.multi,
            queryStringParameters: query.single,
            multiValueQueryStringParameters: query.multi,
            stageVariables: {},
            requestContext,
          },
          lambdaContext('authorizer'),
        );
      } catch (error) {
        const unauthorized = (error as Error)?.message === 'Unauthorized';
        this.options.onInvoke?.({
          routeKey: '$authorizer',
          connectionId: conn.id,
          ms: performance.now() - started,
          ...(unauthorized ? {} : { error }),
        });
        return unauthorized
          ? refuse(socket, 401, 'Unauthorized')
          : refuse(socket, 500, 'Internal server error');
      }
      const statements = result?.policyDocument?.Statement ?? [];
      const allowed = statements.length > 0 && statements.every((s) => s.Effect === 'Allow');
      if (!allowed || typeof result.principalId !== 'string') return refuse(socket, 403, 'Forbidden');
      authorizerContext = {
        ...result.context,
        principalId: result.principalId,
        integrationLatency: Math.round(performance.now() - started),
      };
    }

    if (this.#routes.has('$connect')) {
      let result: { statusCode?: number } | undefined;
      try {
        result = (await this.#invoke(
          '$connect',
          {
            headers: headers.single,
            multiValueHeaders: headers.multi,
            ...(hasQuery
              ? { queryStringParameters: query.single, multiValueQueryStringParameters: query.multi }
              : {}),
            requestContext: {
              ...requestContext,
              ...(authorizerContext ? { authorizer: authorizerContext } : {}),
            },
            isBase64Encoded: false,
          },
          conn.id,
        )) as { statusCode?: number } | undefined;
      } catch {
        return refuse(socket, 500, 'Internal server error');
      }
      const status = result?.statusCode ?? 200;
      if (status < 200 || status > 299) return refuse(socket, status, HTTP_REASONS[status] ?? 'Forbidden');
    }

    if (socket.destroyed) {
      // The client went away during $connect: API Gateway runs $disconnect for it.
      await this.#disconnectEvent({ ...conn, authorizer: authorizerContext }, 1006, 'Client gone');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.#open(ws, { ...conn, authorizer: authorizerContext }));
  }

  #open(
    socket: WebSocket,
    info: {
      id: string;
      connectedAt: number;
      sourceIp: string;
      userAgent: string | undefined;
      authorizer: Record<string, unknown> | undefined;
    },
  ): void {
    const conn: LocalConnection = { ...info, socket, lastActiveAt: Date.now() };
    this.#connections.set(conn.id, conn);
    this.#armIdle(conn);
    conn.hardTimer = setTimeout(
      () => this.#serverClose(conn, 1001, 'Going away'),
      this.#limits.maxConnectionMs,
    );
    conn.hardTimer.unref();
    socket.on('message', (data, isBinary) => {
      conn.lastActiveAt = Date.now();
      this.#armIdle(conn);
      this.#track(this.#message(conn, data as Buffer, isBinary));
    });
    socket.on('error', (error: Error & { code?: string }) => {
      // ws closes the socket after a protocol error (1009 for an oversized frame) and stops reading,
      // so the client's echo never arrives: record the gateway's own code for `$disconnect`.
      if (!error.code?.startsWith('WS_ERR_')) return;
      conn.closedBy = 'server';
      conn.serverClose ??= protocolClose(error.code);
    });
    socket.on('close', (code, reason) => {
      if (!this.#connections.has(conn.id)) return;
      this.#connections.delete(conn.id);
      this.#clearTimers(conn);
      const closed = conn.serverClose ?? { code, reason: reason.toString() || defaultReason(code) };
      this.#track(this.#disconnectEvent(conn, closed.code, closed.reason));
    });
  }

  #armIdle(conn: LocalConnection): void {
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    conn.idleTimer = setTimeout(
      () => this.#serverClose(conn, 1001, 'Going away'),
      this.#limits.idleTimeoutMs,
    );
    conn.idleTimer.unref();
  }

  #clearTimers(conn: LocalConnection): void {
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    if (conn.hardTimer) clearTimeout(conn.hardTimer);
  }

  #serverClose(conn: LocalConnection, code: number, reason: string): void {
    conn.closedBy = 'server';
    conn.serverClose ??= { code, reason };
    conn.socket.close(code, reason);
  }

  async #disconnectEvent(
    conn: {
      id: string;
      connectedAt: number;
      sourceIp: string;
      userAgent: string | undefined;
      authorizer: Record<string, unknown> | undefined;
    },
    code: number,
    reason: string,
  ): Promise<void> {
    if (!this.#routes.has('$disconnect')) return;
    const event = {
      headers: { Host: `${this.#displayHost()}:${this.#port}`, 'x-api-key': '', 'X-Forwarded-For': '' },
      multiValueHeaders: { Host: [`${this.#displayHost()}:${this.#port}`] },
      requestContext: {
        ...this.#baseContext(conn),
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        messageDirection: 'IN',
        disconnectStatusCode: code,
        disconnectReason: reason,
        ...(conn.authorizer ? { authorizer: conn.authorizer } : {}),
      },
      isBase64Encoded: false,
    };
    try {
      await this.#invoke('$disconnect', event, conn.id);
    } catch {
      // API Gateway ignores $disconnect failures.
    }
  }

  // ── Messages ───────────────────────────────────────────────────────────────────────────────

  #selectRoute(body: string): string | undefined {
    let action: unknown;
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        action = (parsed as Record<string, unknown>).action;
      }
    } catch {
      action = undefined;
    }
    if (typeof action === 'string' && !action.startsWith('$') && this.#routes.has(action)) return action;
    return this.#routes.has('$default') ? '$default' : undefined;
  }

  async #message(conn: LocalConnection, data: Buffer, isBinary: boolean): Promise<void> {
    const body = isBinary ? data.toString('base64') : data.toString('utf8');
    const routeKey = isBinary
      ? this.#routes.has('$default')
        ? '$default'
        : undefined
      : this.#selectRoute(body);
    const requestContext = {
      ...this.#baseContext(conn),
      routeKey: routeKey ?? '$default',
      messageId: randomBytes(12).toString('base64url'),
      eventType: 'MESSAGE',
      messageDirection: 'IN',
      ...(conn.authorizer ? { authorizer: conn.authorizer } : {}),
    };
    if (!routeKey) {
      this.#sendTo(conn, {
        message: 'Forbidden',
        connectionId: conn.id,
        requestId: requestContext.requestId,
      });
      return;
    }
    let result: unknown;
    try {
      result = await this.#invoke(routeKey, { requestContext, body, isBase64Encoded: isBinary }, conn.id);
    } catch {
      this.#sendTo(conn, {
        message: 'Internal server error',
        connectionId: conn.id,
        requestId: requestContext.requestId,
      });
      return;
    }
    const route = this.#routes.get(routeKey);
    if (!route?.returnResponse) return;
    const response = result as { body?: unknown; isBase64Encoded?: boolean } | string | undefined;
    if (typeof response === 'string') this.#sendRaw(conn, response);
    else if (response && typeof response.body === 'string' && response.body.length > 0) {
      this.#sendRaw(
        conn,
        response.isBase64Encoded ? Buffer.from(response.body, 'base64').toString('utf8') : response.body,
      );
    }
  }

  #sendTo(conn: LocalConnection, payload: Record<string, unknown>): void {
    this.#sendRaw(conn, JSON.stringify(payload));
  }

  #sendRaw(conn: LocalConnection, text: string): void {
    if (conn.socket.readyState === WebSocket.OPEN) conn.socket.send(text);
  }

  // ── Management API ─────────────────────────────────────────────────────────────────────────

  async #http(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const extra = this.options.httpRoutes?.find((r) => r.method === req.method && r.path === url.pathname);
    if (extra) return extra.handle(req, res);
    const match = /^(?:\/[^/]+)?\/@connections\/([^/]+)\/?$/.exec(url.pathname);
    if (!match) {
      if (url.pathname === '/' && req.method === 'GET') {
        return sendJson(res, 426, {
          message: 'This is a WebSocket endpoint: connect with ws:// and ?token=',
        });
      }
      return sendJson(res, 404, { message: 'Not Found' });
    }
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[1] as string);
    } catch {
      return sendError(res, 400, 'Invalid connection id');
    }
    const conn = this.#connections.get(connectionId);
    switch (req.method) {
      case 'POST': {
        const body = await readBody(req, this.#limits.maxPostBytes + 1);
        if (body.length > this.#limits.maxPostBytes) return sendError(res, 413, 'Request entity too large');
        const fault = this.#takeFault(connectionId);
        if (fault) return sendError(res, fault, 'Injected fault');
        if (!conn || conn.socket.readyState !== WebSocket.OPEN) return sendError(res, 410, '');
        conn.socket.send(body, { binary: false });
        res.writeHead(200, { 'content-type': 'application/json' }).end();
        return;
      }
      case 'GET': {
        if (!conn) return sendError(res, 410, '');
        return sendJson(res, 200, {
          connectedAt: new Date(conn.connectedAt).toISOString(),
          identity: { sourceIp: conn.sourceIp, ...(conn.userAgent ? { userAgent: conn.userAgent } : {}) },
          lastActiveAt: new Date(conn.lastActiveAt).toISOString(),
        });
      }
      case 'DELETE': {
        if (!conn) return sendError(res, 410, '');
        this.#serverClose(conn, 1000, 'Closed by the server');
        res.writeHead(204).end();
        return;
      }
      default:
        return sendError(res, 400, `Unsupported method ${req.method}`);
    }
  }

  #takeFault(connectionId: string): number | undefined {
    const index = this.#faults.findIndex((f) => !f.connectionId || f.connectionId === connectionId);
    if (index < 0) return undefined;
    const fault = this.#faults[index] as { status: number; remaining: number };
    fault.remaining--;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault.status;
  }
}

function protocolClose(errorCode: string | undefined): { code: number; reason: string } {
  if (errorCode === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return { code: 1009, reason: 'Message too big' };
  if (errorCode === 'WS_ERR_INVALID_UTF8') return { code: 1007, reason: 'Invalid frame payload data' };
  return { code: 1002, reason: 'Protocol error' };
}

function defaultReason(code: number): string {
  return code === 1000 ? 'Normal closure' : code === 1006 ? 'Connection lost' : '';
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${HTTP_REASONS[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-amzn-ErrorType: ${status === 401 ? 'UnauthorizedException' : status === 403 ? 'AccessDeniedException' : 'InternalServerErrorException'}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

function sendJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
) {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  const type = ERROR_TYPES[status] ?? 'BadRequestException';
  sendJson(res, status, { message: message || null }, { 'x-amzn-errortype': type });
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size <= limit) chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

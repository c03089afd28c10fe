/**
 * The WebSocket handshake: the REQUEST authorizer (identity source: one query parameter), then
 * `$connect`. A refusal answers the upgrade request with API Gateway's HTTP status and body; an
 * authorizer context API Gateway refuses (invoker.ts, `contextAsStrings`) is a 500, and the reason
 * goes to the execution log.
 * Before both, a request that is no WebSocket handshake is refused as API Gateway refuses it before
 * invoking anything (`malformed`), and, when `localOriginsOnly` is set, a browser page of another
 * site (403).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { authorizerEvent, connectContext, connectEvent, newConnectionId, upgradeRequest } from './events.ts';
import type { Invoker } from './invoker.ts';
import type { ConnectionFacts, ExecutionLogEntry, GatewayOptions, StageFacts } from './types.ts';

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** How the handshake is refused for each authorizer verdict other than allow. */
const AUTHORIZER_REFUSALS = {
  unauthorized: [401, 'Unauthorized'],
  forbidden: [403, 'Forbidden'],
  error: [500, 'Internal server error'],
} as const;

export interface HandshakeDeps {
  readonly stage: StageFacts;
  readonly invoker: Invoker;
  readonly authorizer: GatewayOptions['authorizer'];
  readonly newConnectionId: (() => string) | undefined;
  /** GatewayOptions.localOriginsOnly */
  readonly localOriginsOnly: boolean;
  /** The stage's execution log: why a handshake failed when the client cannot be told. */
  readonly log: (entry: ExecutionLogEntry) => void;
}

/** A Sec-WebSocket-Key: 16 bytes in base64 (RFC 6455 4.2.1), as `ws` checks it. */
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** The answer to an upgrade request that is no WebSocket handshake. */
export interface Malformed {
  readonly status: 400 | 405;
  readonly message: string;
  /** Headers the refusal carries besides API Gateway's. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Why an upgrade request is no WebSocket handshake (the method, `Upgrade`, `Sec-WebSocket-Key`,
 * `Sec-WebSocket-Version`), with `ws`'s status for it; undefined when it is one. Checked before the
 * authorizer and `$connect`: `ws` refuses such a request only after them, without calling back, so
 * no `$disconnect` would run for the connection `$connect` stored. A missing or unsupported version
 * is told the versions spoken here (RFC 6455 4.4 requires it; `ws` sends the same).
 */
export function malformed(req: IncomingMessage): Malformed | undefined {
  if (req.method !== 'GET') return { status: 405, message: 'Invalid HTTP method' };
  if (req.headers.upgrade?.toLowerCase() !== 'websocket')
    return { status: 400, message: 'Invalid Upgrade header' };
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !WEBSOCKET_KEY.test(key))
    return { status: 400, message: 'Missing or invalid Sec-WebSocket-Key header' };
  const version = Number(req.headers['sec-websocket-version']);
  if (version !== 13 && version !== 8)
    return {
      status: 400,
      message: 'Missing or invalid Sec-WebSocket-Version header',
      headers: { 'Sec-WebSocket-Version': '13, 8' },
    };
  return undefined;
}

/** Hosts of the origins a page on this machine has, on any port. */
const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * True when a WebSocket upgrade's `Origin` is absent (wscat, apps, server-side clients: no browser
 * page), the gateway's own origin (`domainName`: the web chat it serves), or a localhost one.
 */
export function isLocalOrigin(origin: string | undefined, domainName: string): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin); // "null" (sandboxed frames, file: pages) does not parse: refused
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return url.host === domainName.toLowerCase() || LOCAL_HOSTNAMES.has(url.hostname);
}

/**
 * Runs the authorizer and `$connect` for an upgrade request. Resolves with the new connection's
 * facts when both accept; otherwise the refusal has been written to `socket` and it resolves
 * with undefined.
 */
export async function handshake(
  deps: HandshakeDeps,
  req: IncomingMessage,
  socket: Duplex,
): Promise<ConnectionFacts | undefined> {
  const request = upgradeRequest(req);
  const facts: ConnectionFacts = {
    id: (deps.newConnectionId ?? newConnectionId)(),
    connectedAt: Date.now(),
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    userAgent: req.headers['user-agent'],
    authorizer: undefined,
  };
  const requestContext = connectContext(deps.stage, facts);
  let authorizer: Record<string, unknown> | undefined;

  const bad = malformed(req);
  if (bad) return refuse(socket, bad.status, bad.message, 'BadRequestException', bad.headers);

  // WebSockets are not covered by CORS: without this any page the developer visits could connect.
  if (deps.localOriginsOnly && !isLocalOrigin(req.headers.origin, deps.stage.domainName)) {
    return refuse(socket, 403, 'Forbidden');
  }

  if (deps.authorizer) {
    const token = request.query.multi[deps.authorizer.queryParameter]?.[0];
    if (!token) return refuse(socket, 401, 'Unauthorized');
    const outcome = await deps.invoker.authorize(
      deps.authorizer.load,
      authorizerEvent(deps.stage, request, requestContext),
      facts.id,
    );
    if (outcome.kind === 'misconfigured') {
      deps.log({
        level: 'ERROR',
        routeKey: '$connect',
        connectionId: facts.id,
        requestId: requestContext.requestId,
        message: `Execution failed due to configuration error: authorizer response invalid: ${outcome.reason} (AuthorizerConfigurationException).`,
      });
      return refuse(socket, 500, 'Internal server error', 'AuthorizerConfigurationException');
    }
    if (outcome.kind !== 'allow') {
      const [status, message] = AUTHORIZER_REFUSALS[outcome.kind];
      return refuse(socket, status, message);
    }
    authorizer = outcome.context;
  }

  if (deps.invoker.has('$connect')) {
    let result: { statusCode?: number } | undefined;
    try {
      result = (await deps.invoker.invoke(
        '$connect',
        connectEvent(request, requestContext, authorizer),
        facts.id,
      )) as { statusCode?: number } | undefined;
    } catch {
      return refuse(socket, 500, 'Internal server error');
    }
    const status = result?.statusCode ?? 200;
    if (status < 200 || status > 299) return refuse(socket, status, HTTP_REASONS[status] ?? 'Forbidden');
  }
  return { ...facts, authorizer };
}

/** Answers the upgrade request with an HTTP error, as API Gateway does, and closes it. */
function refuse(
  socket: Duplex,
  status: number,
  message: string,
  type?: string,
  headers: Readonly<Record<string, string>> = {},
): undefined {
  const body = JSON.stringify({ message });
  const errorType =
    type ??
    (status === 401
      ? 'UnauthorizedException'
      : status === 403
        ? 'AccessDeniedException'
        : 'InternalServerErrorException');
  socket.end(
    `HTTP/1.1 ${status} ${HTTP_REASONS[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-amzn-ErrorType: ${errorType}\r\n` +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      'Connection: close\r\n\r\n' +
      body,
  );
  return undefined;
}

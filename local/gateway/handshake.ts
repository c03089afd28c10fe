/**
 * The WebSocket handshake: the REQUEST authorizer (identity source: one query parameter), then
 * `$connect`. A refusal answers the upgrade request with API Gateway's HTTP status and body.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { authorizerEvent, connectContext, connectEvent, newConnectionId, upgradeRequest } from './events.ts';
import type { Invoker } from './invoker.ts';
import type { ConnectionFacts, GatewayOptions, StageFacts } from './types.ts';

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

  if (deps.authorizer) {
    const token = request.query.multi[deps.authorizer.queryParameter]?.[0];
    if (!token) return refuse(socket, 401, 'Unauthorized');
    const outcome = await deps.invoker.authorize(
      deps.authorizer.load,
      authorizerEvent(deps.stage, request, requestContext),
      facts.id,
    );
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
function refuse(socket: Duplex, status: number, message: string): undefined {
  const body = JSON.stringify({ message });
  const errorType =
    status === 401
      ? 'UnauthorizedException'
      : status === 403
        ? 'AccessDeniedException'
        : 'InternalServerErrorException';
  socket.end(
    `HTTP/1.1 ${status} ${HTTP_REASONS[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-amzn-ErrorType: ${errorType}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  return undefined;
}

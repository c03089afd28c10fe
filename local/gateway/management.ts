/**
 * The Management API on the gateway's origin (`[/stage]/@connections/{id}`: POST, GET, DELETE),
 * answering like API Gateway: URL-encoded ids, `x-amzn-errortype` on errors, 410
 * (GoneException) from all three for a connection that is not open (unknown, gone, or closing: a
 * DeleteConnection or a close handshake under way), 413 for posts over the payload limit. The real
 * `@aws-sdk/client-apigatewaymanagementapi` works against it unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { MANAGEMENT_ERROR_TYPES } from '../../lambdas/fanout/management-errors.ts';
import type { FaultInjector } from './faults.ts';
import type { Connection } from './transport.ts';

export interface ManagementDeps {
  readonly connection: (id: string) => Connection | undefined;
  readonly faults: FaultInjector;
  readonly maxPostBytes: number;
  /** How long a post takes to be delivered and answered (0: at once; `LocalGateway.setPostLatency`). */
  readonly postLatencyMs: () => number;
  /** Resolves when no test hold picks this post (`LocalGateway.holdPosts`). */
  readonly held: (connectionId: string, body: Buffer) => Promise<void>;
  /**
   * Whether a caller may use the API: AWS signs every call with IAM credentials, which the emulator
   * does not check, so it answers only the handlers' own address (this machine), also when the
   * gateway listens on the network (`HOST=0.0.0.0`): others get 403 ForbiddenException.
   */
  readonly admits: (req: IncomingMessage) => boolean;
}

const CONNECTION_PATH = /^(?:\/[^/]+)?\/@connections\/([^/]+)\/?$/;

/** Serves one HTTP request on the gateway's origin. */
export async function managementApi(
  deps: ManagementDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = CONNECTION_PATH.exec(url.pathname);
  if (!match) {
    if (url.pathname === '/' && req.method === 'GET') {
      return sendJson(res, 426, { message: 'This is a WebSocket endpoint: connect with ws:// and ?token=' });
    }
    return sendJson(res, 404, { message: 'Not Found' });
  }
  if (!deps.admits(req)) return sendError(res, 403, 'Forbidden');
  let connectionId: string;
  try {
    connectionId = decodeURIComponent(match[1] as string);
  } catch {
    return sendError(res, 400, 'Invalid connection id');
  }
  // Looked up when answered (a post after its latency): a socket that went away meanwhile is gone.
  const open = (): Connection | undefined => {
    const conn = deps.connection(connectionId);
    return conn?.isOpen ? conn : undefined;
  };
  switch (req.method) {
    case 'POST': {
      const { body, size } = await readBody(req, deps.maxPostBytes);
      if (size > deps.maxPostBytes) return sendError(res, 413, 'Request entity too large');
      const latency = deps.postLatencyMs();
      if (latency > 0) await delay(latency);
      await deps.held(connectionId, body);
      const fault = deps.faults.take(connectionId);
      if (fault) return sendError(res, fault, 'Injected fault');
      const conn = open();
      if (!conn) return sendError(res, 410, '');
      conn.send(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end();
      return;
    }
    case 'GET': {
      const conn = open();
      if (!conn) return sendError(res, 410, '');
      return sendJson(res, 200, {
        connectedAt: new Date(conn.connectedAt).toISOString(),
        identity: { sourceIp: conn.sourceIp, ...(conn.userAgent ? { userAgent: conn.userAgent } : {}) },
        lastActiveAt: new Date(conn.lastActiveAt).toISOString(),
      });
    }
    case 'DELETE': {
      const conn = open();
      if (!conn) return sendError(res, 410, '');
      conn.close(1000, 'Closed by the server');
      res.writeHead(204).end();
      return;
    }
    default:
      return sendError(res, 400, `Unsupported method ${req.method}`);
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  // The `x-amzn-errortype` of each status, from which the SDK builds its exception.
  const type = MANAGEMENT_ERROR_TYPES[status] ?? 'BadRequestException';
  sendJson(res, status, { message: message || null }, { 'x-amzn-errortype': type });
}

/** Reads the whole body but keeps it only while it fits in `limit` bytes; `size` is the full size. */
async function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; size: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size <= limit) chunks.push(buf);
  }
  return { body: Buffer.concat(chunks), size };
}

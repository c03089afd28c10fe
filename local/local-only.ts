/**
 * The `/_local/*` endpoints (dev tokens, the push stand-ins' record) answer this machine only, also
 * when the gateway listens on the network (`HOST=0.0.0.0`, to try the web chat from a phone): they
 * hand out tokens, message text and device tokens, or change state, and have no authentication.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopback } from './defaults.ts';

/**
 * True when the request comes from this machine: from a loopback address, or from `boundHost`, the
 * one address the server listens on (a caller on this machine that connects to it comes from it).
 * A server listening on every address (`0.0.0.0`, `::`) or on loopback admits loopback only.
 */
export function fromThisMachine(req: IncomingMessage, boundHost?: string): boolean {
  const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  return isLoopback(from) || (boundHost !== undefined && from === boundHost);
}

/**
 * Answers a caller from elsewhere on the network with 403 and resolves true (the request is
 * served); false for callers on this machine, which the endpoint then serves itself.
 */
export function refusedBeyondThisMachine(req: IncomingMessage, res: ServerResponse): boolean {
  if (fromThisMachine(req)) return false;
  const body = JSON.stringify({
    message: `${new URL(req.url ?? '/', 'http://localhost').pathname} answers this machine only.`,
  });
  res.writeHead(403, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
  return true;
}

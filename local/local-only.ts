/**
 * The `/_local/*` endpoints (dev tokens, the push stand-ins' record) answer this machine only, also
 * when the gateway listens on the network (`HOST=0.0.0.0`, to try the web chat from a phone): they
 * hand out tokens, message text and device tokens, or change state, and have no authentication. Nor
 * do they answer a page of another site, also one whose name was rebound to 127.0.0.1.
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
 * True when the request names this machine as its Host: a loopback name or address, or the address
 * it came in on (the one the server is bound to). A page of another site whose name was rebound to
 * 127.0.0.1 (DNS rebinding) reaches us from loopback but sends its own name.
 */
export function addressedToThisMachine(req: IncomingMessage): boolean {
  let name: string;
  try {
    name = new URL(`http://${req.headers.host ?? ''}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  const local = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  return name !== '' && (isLoopback(name) || name === local);
}

/** True unless a browser says the request comes from a page of another origin (`Origin`). */
function fromOwnPage(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false; // `Origin: null` (a sandboxed frame, a file) or garbage.
  }
}

/**
 * Answers with 403 and resolves true (the request is served) a caller from elsewhere on the network,
 * a request addressed to another host name (DNS rebinding) and a page of another origin; false for
 * callers on this machine, which the endpoint then serves itself.
 */
export function refusedBeyondThisMachine(req: IncomingMessage, res: ServerResponse): boolean {
  if (fromThisMachine(req) && addressedToThisMachine(req) && fromOwnPage(req)) return false;
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

/**
 * The smoke test's WebSocket client (scripts/smoke.ts): connects with a token, sends actions with a
 * fresh requestId, and waits for replies and events. Plain `ws`, no test framework, so the same code
 * runs against AWS and against `npm run dev`.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type?: string };

interface Waiter {
  readonly predicate: (frame: Frame) => boolean;
  readonly resolve: (frame: Frame) => void;
}

/** The URL with `token` added to its query string. */
export function withToken(url: string, token: string): string {
  const u = new URL(url);
  u.searchParams.set('token', token);
  return u.toString();
}

/** The `sub` claim of a JWT, read without verifying it (the server verifies). */
export function subjectOf(token: string): string {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('not a JWT (expected three dot-separated parts)');
  let sub: unknown;
  try {
    sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
  } catch {
    throw new Error('not a JWT (its payload is not JSON)');
  }
  if (typeof sub !== 'string' || !sub) throw new Error('the token has no sub claim');
  return sub;
}

export class SmokeClient {
  readonly frames: Frame[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        frame = { type: '__raw', raw: data.toString() };
      }
      this.frames.push(frame);
      for (const waiter of this.#waiters) {
        if (waiter.predicate(frame)) {
          this.#waiters.delete(waiter);
          waiter.resolve(frame);
        }
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', (code) => resolve(code)));
  }

  /** Opens a socket; rejects with the HTTP status when the handshake is refused. */
  static connect(url: string, timeoutMs: number): Promise<SmokeClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
      socket.once('open', () => resolve(new SmokeClient(socket)));
      socket.once('unexpected-response', (_req, res) => {
        reject(new Error(`handshake refused with HTTP ${res.statusCode}`));
        socket.terminate();
      });
      socket.once('error', (error) => reject(error));
    });
  }

  /** Sends an action and resolves with its ack (or pong); rejects on an error frame or timeout. */
  async ok(action: string, fields: Record<string, unknown>, timeoutMs: number): Promise<Frame> {
    const requestId = `smoke-${randomBytes(6).toString('hex')}`;
    const reply = this.waitFor((f) => f.requestId === requestId, timeoutMs, `the reply to ${action}`);
    this.socket.send(JSON.stringify({ action, requestId, ...fields }));
    const frame = await reply;
    if (frame.type === 'error') throw new Error(`${action} answered ${frame.code}: ${frame.message}`);
    return frame;
  }

  /** Resolves with the first frame (already received or future) that matches. */
  waitFor(predicate: (frame: Frame) => boolean, timeoutMs: number, what: string): Promise<Frame> {
    const seen = this.frames.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000);
    await this.closed;
  }
}

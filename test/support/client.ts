/** A real `ws` client for end-to-end tests: records every frame, waits for the ones asked for. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { sendFragmented } from './fragments.ts';
import { FrameWaiter, HandshakeError, openSocket } from './frame-waiter.ts';

export { HandshakeError, sleep };

export type Frame = Record<string, unknown> & { type?: string };

/** A frame as JSON; anything else as `{type: '__raw', raw}`. */
function parse(data: WebSocket.RawData): Frame {
  try {
    return JSON.parse(data.toString()) as Frame;
  } catch {
    return { type: '__raw', raw: data.toString() };
  }
}

export class TestClient {
  readonly #arrivals = new FrameWaiter<Frame>();
  closeCode: number | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.#arrivals.deliver(parse(data)));
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeCode = code;
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  /** Opens a socket; rejects with HandshakeError(status) when the server refuses it. */
  static async connect(url: string): Promise<TestClient> {
    return new TestClient(await openSocket(url));
  }

  /** Every frame received so far, in order. */
  get frames(): Frame[] {
    return this.#arrivals.received;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Sends one text message, in frames of at most 32 KB (API Gateway's frame quota): like a client
   * that fragments, so the tests reach the server's own limits (64 KB) with larger frames. A test of
   * the frame quota itself sends on `socket`.
   */
  sendRaw(data: string | Buffer): void {
    sendFragmented(this.socket, data);
  }

  send(frame: Record<string, unknown>): void {
    this.sendRaw(JSON.stringify(frame));
  }

  /** Sends an action with a fresh requestId and resolves with its reply (ack, pong or error). */
  async request(action: string, fields: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Frame> {
    const requestId = randomBytes(6).toString('hex');
    const reply = this.waitFor((f) => f.requestId === requestId, timeoutMs, `reply to ${action}`);
    this.send({ action, requestId, ...fields });
    return reply;
  }

  /** Like `request`, but fails unless the reply is an ack; returns it. */
  async ok(action: string, fields: Record<string, unknown> = {}, timeoutMs?: number): Promise<Frame> {
    const reply = await this.request(action, fields, timeoutMs);
    if (reply.type !== 'ack') throw new Error(`${action} failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Resolves with the first frame (already received or future) that matches. */
  waitFor(predicate: (frame: Frame) => boolean, timeoutMs = 10_000, what = 'frame'): Promise<Frame> {
    return this.#arrivals.next(predicate, { timeoutMs, what });
  }

  /** Resolves with the first event of `type` matching `where`. */
  event(type: string, where: (frame: Frame) => boolean = () => true, timeoutMs = 10_000): Promise<Frame> {
    return this.waitFor((f) => f.type === type && where(f), timeoutMs, `event ${type}`);
  }

  /** Events of a type received so far. */
  events(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000);
    await this.closed;
  }
}

/** A promise and the functions that settle it (a gate a test opens, or fails, when it chooses). */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((r, j) => {
    resolve = r;
    reject = j;
  });
  return { promise, resolve, reject };
}

/** Polls `check` until it returns true (for eventually-true facts such as `$disconnect` cleanup). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

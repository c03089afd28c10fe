/**
 * A fake WebSocket with the browser API the client uses, driven by the test as the server: it
 * opens, refuses handshakes, answers requests, pushes events and closes, all synchronously or on
 * vitest's fake timers.
 */
import type { WebSocketLike } from '../../../client/src/index.ts';

export type Sent = Record<string, unknown> & { action: string; requestId: string };

export class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  readonly sent: Sent[] = [];
  closed: { code?: number; reason?: string } | undefined;
  /** Set by a test: the browser's readyState (undefined: not reported, as some sockets do). */
  readyState: number | undefined;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  static reset(): void {
    FakeSocket.all = [];
  }

  static get last(): FakeSocket {
    const socket = FakeSocket.all.at(-1);
    if (!socket) throw new Error('no socket was created');
    return socket;
  }

  get token(): string {
    return new URL(this.url).searchParams.get('token') ?? '';
  }

  send(data: string): void {
    if (this.closed) throw new Error('send on a closed socket');
    this.sent.push(JSON.parse(data) as Sent);
  }

  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }

  // --- the server side ---

  open(): void {
    (this.onopen as ((e: unknown) => void) | null)?.({});
  }

  /** Refuses the handshake the way Node's `ws` reports it (or silently, like a browser). */
  refuse(status?: number): void {
    if (status) {
      const message = `Unexpected server response: ${status}`;
      (this.onerror as ((e: unknown) => void) | null)?.({ message, error: new Error(message) });
    }
    this.serverClose(1006);
  }

  push(frame: Record<string, unknown>): void {
    (this.onmessage as ((e: unknown) => void) | null)?.({ data: JSON.stringify(frame) });
  }

  serverClose(code = 1001, reason = ''): void {
    this.closed ??= { code, reason };
    (this.onclose as ((e: unknown) => void) | null)?.({ code, reason });
  }

  /** Requests of one action (all, or only those not answered yet). */
  requests(action?: string): Sent[] {
    return this.sent.filter((f) => action === undefined || f.action === action);
  }

  ack(request: Sent, fields: Record<string, unknown> = {}): void {
    const type = request.action === 'ping' ? 'pong' : 'ack';
    this.push({ type, action: request.action, requestId: request.requestId, ...fields });
  }

  error(request: Sent, code: string, extra: Record<string, unknown> = {}): void {
    this.push({
      type: 'error',
      action: request.action,
      requestId: request.requestId,
      code,
      message: code,
      ...extra,
    });
  }
}

/** A lean `ws` client for the load generator: request/reply matching and timestamped events. */
import WebSocket from 'ws';
import { devToken } from '../local/token.ts';

export type Frame = Record<string, unknown> & { type?: string };

export type EventListener = (frame: Frame, receivedAt: number) => void;

let requestCounter = 0;

export class BenchClient {
  readonly #pending = new Map<string, { resolve: (f: Frame) => void; timer: NodeJS.Timeout }>();
  readonly #listeners: EventListener[] = [];

  private constructor(
    readonly userId: string,
    readonly socket: WebSocket,
  ) {
    socket.on('message', (data) => {
      const receivedAt = performance.now();
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        return;
      }
      const requestId = frame.requestId;
      if ((frame.type === 'ack' || frame.type === 'error' || frame.type === 'pong') && requestId) {
        const waiter = this.#pending.get(String(requestId));
        if (waiter) {
          this.#pending.delete(String(requestId));
          clearTimeout(waiter.timer);
          waiter.resolve(frame);
          return;
        }
      }
      for (const listener of this.#listeners) listener(frame, receivedAt);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      for (const [id, waiter] of this.#pending) {
        clearTimeout(waiter.timer);
        waiter.resolve({ type: 'error', code: 'CLOSED', requestId: id });
      }
      this.#pending.clear();
    });
  }

  static async connect(baseUrl: string, userId: string, timeoutMs = 15_000): Promise<BenchClient> {
    const token = await devToken(userId, { name: `Bench ${userId}`, ttlSeconds: 4 * 3600 });
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${baseUrl}/?token=${token}`);
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`connect ${userId}: timed out`));
      }, timeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(new BenchClient(userId, socket));
      });
      socket.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        socket.terminate();
        reject(new Error(`connect ${userId}: HTTP ${res.statusCode}`));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  onEvent(listener: EventListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Sends an action and resolves with its reply (ack, pong or error; `{code: 'TIMEOUT'}` when none
   * came). `onWrite` runs just before the frame is written, for latency measurements.
   */
  request(
    action: string,
    fields: Record<string, unknown> = {},
    options: { timeoutMs?: number; onWrite?: () => void } = {},
  ): Promise<Frame> {
    const requestId = `r${(++requestCounter).toString(36)}`;
    const data = JSON.stringify({ action, requestId, ...fields });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        resolve({ type: 'error', code: 'TIMEOUT', requestId });
      }, options.timeoutMs ?? 30_000);
      this.#pending.set(requestId, { resolve, timer });
      options.onWrite?.();
      this.socket.send(data);
    });
  }

  /** Like `request`, but throws unless the reply is an ack (or pong). */
  async ok(action: string, fields: Record<string, unknown> = {}): Promise<Frame> {
    const reply = await this.request(action, fields);
    if (reply.type === 'error')
      throw new Error(`${action} by ${this.userId} failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Sends a frame without waiting for anything. */
  send(frame: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(frame));
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.close(1000);
    const timer = setTimeout(() => this.socket.terminate(), 3000);
    await closed;
    clearTimeout(timer);
  }
}

/** Opens `userIds.length` sockets with at most `concurrency` handshakes in flight. */
export async function connectAll(
  baseUrl: string,
  userIds: readonly string[],
  concurrency = 16,
  onProgress?: (done: number) => void,
): Promise<BenchClient[]> {
  const clients: BenchClient[] = new Array(userIds.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < userIds.length) {
      const i = next++;
      clients[i] = await BenchClient.connect(baseUrl, userIds[i] as string);
      onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, userIds.length) }, worker));
  return clients;
}

/** Closes the sockets with at most `concurrency` closes (and so `$disconnect`s) in flight. */
export async function closeAll(clients: readonly BenchClient[], concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < clients.length) await (clients[next++] as BenchClient).close();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker));
}

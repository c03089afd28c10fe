/** A lean `ws` client for the load generator: request/reply matching and timestamped events. */
import WebSocket from 'ws';
import { devToken } from '../local/token.ts';
import { FrameWaiter, HandshakeError, openSocket } from '../test/support/frame-waiter.ts';

export type Frame = Record<string, unknown> & { type?: string };

export type EventListener = (frame: Frame, receivedAt: number) => void;

let requestCounter = 0;

const isReply = (frame: Frame) => frame.type === 'ack' || frame.type === 'error' || frame.type === 'pong';

export class BenchClient {
  /** Replies being waited for (frames are not kept: the load runs for minutes). */
  readonly #replies = new FrameWaiter<Frame>(false);
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
      if (isReply(frame) && frame.requestId && this.#replies.deliver(frame)) return;
      for (const listener of this.#listeners) listener(frame, receivedAt);
    });
    socket.on('error', () => {});
    socket.on('close', () => this.#replies.cancelAll());
  }

  static async connect(baseUrl: string, userId: string, timeoutMs = 15_000): Promise<BenchClient> {
    const token = await devToken(userId, { name: `Bench ${userId}`, ttlSeconds: 4 * 3600 });
    try {
      return new BenchClient(userId, await openSocket(`${baseUrl}/?token=${token}`, { timeoutMs }));
    } catch (error) {
      if (error instanceof HandshakeError) throw new Error(`connect ${userId}: HTTP ${error.status}`);
      if ((error as Error).message.includes('timed out')) throw new Error(`connect ${userId}: timed out`);
      throw error;
    }
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
    const reply = this.#replies.next((f) => f.requestId === requestId, {
      timeoutMs: options.timeoutMs ?? 30_000,
      orElse: (why) => ({ type: 'error', code: why === 'timeout' ? 'TIMEOUT' : 'CLOSED', requestId }),
    });
    options.onWrite?.();
    this.socket.send(data);
    return reply;
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

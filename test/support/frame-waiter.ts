/**
 * The core every WebSocket client of the tests and the bench shares: opening a socket (a refused
 * handshake rejects with its HTTP status) and waiting for frames — a wait resolves with the first
 * arrival that matches, whether it came before the wait or after.
 */
import WebSocket from 'ws';

/** The server refused the WebSocket handshake with this HTTP status. */
export class HandshakeError extends Error {
  constructor(readonly status: number) {
    super(`handshake refused with HTTP ${status}`);
  }
}

/** Opens a socket; rejects with HandshakeError(status) when the server refuses the upgrade. */
export function openSocket(
  url: string,
  options: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.headers ? { headers: options.headers } : {});
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            socket.terminate();
            reject(new Error(`connecting to ${url.split('?')[0]} timed out`));
          }, options.timeoutMs);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new HandshakeError(res.statusCode ?? 0));
      socket.terminate();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export interface WaitOptions<T> {
  readonly timeoutMs: number;
  /** What is awaited (for the timeout error). */
  readonly what?: string;
  /** Resolve with `orElse(why)` instead of rejecting when the wait times out or is cancelled. */
  readonly orElse?: (why: 'timeout' | 'cancelled') => T;
}

interface Waiter<T> {
  readonly match: (item: T) => boolean;
  readonly resolve: (item: T) => void;
  readonly cancel: () => void;
}

export class FrameWaiter<T> {
  /** Every arrival, in order (kept only when `keep`). */
  readonly received: T[] = [];
  readonly #waiters = new Set<Waiter<T>>();

  /** @param keep whether to keep arrivals (a wait then also matches earlier ones) */
  constructor(private readonly keep = true) {}

  /** Records an arrival and resolves every waiter it matches; true when one took it. */
  deliver(item: T): boolean {
    if (this.keep) this.received.push(item);
    let taken = false;
    for (const waiter of this.#waiters) {
      if (!waiter.match(item)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(item);
      taken = true;
    }
    return taken;
  }

  /** Resolves with the first arrival (earlier or future) that matches. */
  next(match: (item: T) => boolean, options: WaitOptions<T>): Promise<T> {
    const seen = this.received.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const settle = (why: 'timeout' | 'cancelled') => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        if (options.orElse) return resolve(options.orElse(why));
        const got = JSON.stringify(this.received.slice(-5));
        reject(
          new Error(
            `${why === 'timeout' ? 'timed out' : 'cancelled'} waiting for ${options.what ?? 'a frame'}; got ${got}`,
          ),
        );
      };
      const timer = setTimeout(() => settle('timeout'), options.timeoutMs);
      const waiter: Waiter<T> = {
        match,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
        cancel: () => settle('cancelled'),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Ends every pending wait at once (for example when the socket closed). */
  cancelAll(): void {
    for (const waiter of [...this.#waiters]) waiter.cancel();
  }
}

/**
 * Small platform-neutral helpers. Timers are looked up on `globalThis` at call time (so fake timers
 * in tests apply, and no Node or DOM typings are needed); ids use `Math.random` (React Native has no
 * `crypto` by default, and these ids only need to be unique per sender).
 */

export type TimerId = unknown;

interface Globals {
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
  atob?: (data: string) => string;
  WebSocket?: unknown;
  performance?: { now(): number };
}

const g = (): Globals => globalThis as unknown as Globals;

export const later = (fn: () => void, ms: number): TimerId => g().setTimeout(fn, ms);

export function cancel(id: TimerId | undefined): void {
  if (id !== undefined) g().clearTimeout(id);
}

/**
 * Milliseconds on a monotonic clock (`performance.now()`, else `Date.now()`): for intervals and
 * deadlines, which a wall clock set back (or forward) would stretch or cut.
 */
export const clock = (): number => g().performance?.now() ?? Date.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => later(resolve, ms));

/** Waits `ms`, or less: until the function it adds to `naps` is called (then its timer is gone). */
export const nap = (ms: number, naps: Set<() => void>): Promise<void> =>
  new Promise((resolve) => {
    const wake = (): void => {
      cancel(timer);
      naps.delete(wake);
      resolve();
    };
    const timer = later(wake, ms);
    naps.add(wake);
  });

export const globalWebSocket = (): unknown => g().WebSocket;

const rand = (): string => Math.random().toString(36).slice(2, 10);

/** A 20–26 character id, unique enough for request ids and clientMessageIds. */
export const randomId = (): string => Date.now().toString(36) + rand() + rand();

/** Full-jitter exponential backoff: a random delay in [0, min(max, base·2^attempt)). */
export const backoff = (attempt: number, baseMs: number, maxMs: number): number =>
  Math.floor(Math.random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));

/** The claims of a JWT that the client uses (`sub`, `exp`); empty when it is not a readable JWT. */
export function jwtClaims(token: string): { sub?: string; exp?: number } {
  try {
    // Throws (caught) without a payload or without atob.
    const part = (token.split('.')[1] as string).replace(/-/g, '+').replace(/_/g, '/');
    // Each byte as %XX: decodeURIComponent reads them as UTF-8.
    const escaped = (g().atob as (data: string) => string)(part).replace(
      /./gs,
      (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
    const { sub, exp } = JSON.parse(decodeURIComponent(escaped)) as Record<string, unknown>;
    return { ...(typeof sub === 'string' && { sub }), ...(typeof exp === 'number' && { exp }) };
  } catch {
    return {};
  }
}

/** Runs `task` over `items`, at most `limit` at a time; resolves when all have settled. */
export async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<unknown>) {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A first-in first-out list: `take` is O(1) (what was taken is dropped once it is half the list). */
export class Fifo<T> {
  readonly items: T[] = [];
  private at = 0;

  get first(): T | undefined {
    return this.items[this.at];
  }

  get size(): number {
    return this.items.length - this.at;
  }

  take(): T | undefined {
    const item = this.items[this.at++];
    if (this.at * 2 >= this.items.length) {
      this.items.splice(0, this.at);
      this.at = 0;
    }
    return item;
  }

  /** Removes an item not taken yet (O(n)). */
  remove(item: T): void {
    const i = this.items.indexOf(item, this.at);
    if (i >= 0) this.items.splice(i, 1);
  }
}

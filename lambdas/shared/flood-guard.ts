/**
 * A socket that keeps sending after `RATE_LIMITED` is closed. Every refused frame still reached API
 * Gateway and invoked a function (rate-limits.ts refuses it, it does not stop it coming), so a
 * client that ignores the refusals costs an invocation per frame for as long as its socket lives.
 *
 * Each function instance counts, per connection, the frames the per-user limiter refused in a
 * window of `FLOOD_WINDOW_MS` anchored at the first refusal (a bounded map: `FLOOD_MAX_CONNECTIONS`
 * connections, the one refused least recently dropped first). The frame that makes more than
 * `FLOOD_REFUSALS_MAX` refusals in one window is answered `RATE_LIMITED` as usual, posted to the
 * socket, and then the socket is closed (close-socket.ts, as for an expired token), counted
 * (`FloodingSocketsClosed`) and logged once. Nothing else is written. Refusals of AWS's own
 * throttling (a DynamoDB or account throttle) are not the client's doing and do not count.
 *
 * Per instance: on AWS an instance serves one request at a time, so a flood spread over N instances
 * is closed after at most N × (`FLOOD_REFUSALS_MAX` + 1) refused frames (docs/security.md). A close
 * that fails (the post or DeleteConnection, twice: `FloodingSocketsLeftOpen`) never changes the
 * answer; the connection's count starts again, so the next `FLOOD_REFUSALS_MAX` + 1 refusals try once
 * more.
 */
import type { CloseReason } from './close-socket.ts';
import { tellAndClose } from './close-socket.ts';
import type { Frame } from './frames.ts';
import { logger } from './logger.ts';
import { countMetric } from './metrics.ts';

/**
 * Refused frames a socket may get in one window and stay open. A client that honours `retryAfterMs`
 * meets a handful per window (one per request in flight when the window ran out: the client package
 * keeps four catch-up reads and one send per chat in flight, and each waits out `retryAfterMs`);
 * only a client that ignores it reaches 30.
 */
export const FLOOD_REFUSALS_MAX = 30;
/** The window the refusals are counted in: the limits' own (60 s, rate-limits.ts). */
export const FLOOD_WINDOW_MS = 60_000;
/** Connections one instance keeps a count for (about 100 bytes each). */
export const FLOOD_MAX_CONNECTIONS = 5_000;

interface Count {
  windowStart: number;
  refused: number;
}

/** Refused frames per connection in the current window, for a bounded number of connections. */
export class RefusalCounter {
  readonly #counts = new Map<string, Count>();

  constructor(
    readonly max = FLOOD_REFUSALS_MAX,
    readonly windowMs = FLOOD_WINDOW_MS,
    readonly maxConnections = FLOOD_MAX_CONNECTIONS,
  ) {}

  /**
   * Counts one refused frame of `connectionId` at `nowMs`. True for the one that makes more than
   * `max` in its window (once per window: the socket is to be closed now).
   */
  refuse(connectionId: string, nowMs: number): boolean {
    let count = this.#counts.get(connectionId);
    if (!count || nowMs >= count.windowStart + this.windowMs) count = { windowStart: nowMs, refused: 0 };
    count.refused++;
    // Most recently refused last: the first key is the one to drop.
    this.#counts.delete(connectionId);
    this.#counts.set(connectionId, count);
    if (this.#counts.size > this.maxConnections) {
      const oldest = this.#counts.keys().next().value;
      if (oldest !== undefined) this.#counts.delete(oldest);
    }
    return count.refused === this.max + 1;
  }

  /** Forgets the connection's count (a close that failed: its next refusals count from 0). */
  forget(connectionId: string): void {
    this.#counts.delete(connectionId);
  }

  /** The refusals counted for `connectionId` in its current window (tests). */
  refusedOf(connectionId: string): number {
    return this.#counts.get(connectionId)?.refused ?? 0;
  }

  /** Connections held (tests). */
  get size(): number {
    return this.#counts.size;
  }
}

const FLOODING: CloseReason = {
  what: 'that kept sending after RATE_LIMITED',
  leftOpen: 'FloodingSocketsLeftOpen',
};

/** This instance's counts. */
const refusals = new RefusalCounter();

/**
 * The answer to a frame the per-user limiter refused on `connectionId` (`frame`: its `RATE_LIMITED`
 * error). Returns the frame to answer as the route response: `frame` itself, unless it is one refusal
 * too many: then it is posted, the socket is closed, and the answer is nothing (or `frame` still,
 * when it could not be posted). Never throws.
 */
export async function answerRefusal(
  connectionId: string,
  frame: Frame,
  nowMs = Date.now(),
  counter: RefusalCounter = refusals,
): Promise<Frame | undefined> {
  if (!counter.refuse(connectionId, nowMs)) return frame;
  logger.warn('closing a socket that keeps sending after RATE_LIMITED', {
    refused: counter.max + 1,
    windowMs: counter.windowMs,
  });
  const { answer, closed } = await tellAndClose(connectionId, frame, FLOODING);
  if (closed) countMetric('FloodingSocketsClosed');
  else counter.forget(connectionId);
  return answer;
}

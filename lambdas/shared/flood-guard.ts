/**
 * A socket that keeps sending after `RATE_LIMITED` is closed. Every refused frame still reached API
 * Gateway and invoked a function (rate-limits.ts refuses it, it does not stop it coming), so a
 * client that ignores the refusals costs an invocation per frame for as long as its socket lives.
 *
 * What counts is a frame that ignored a refusal: a frame of an action refused on this connection,
 * arriving more than `FLOOD_GRACE_MS` after the connection's first refusal of that action and
 * before that refusal's `retryAfterMs` ran out. Frames that were in flight when the first refusal
 * went out (a client with many requests outstanding: a catch-up over hundreds of chats) arrive
 * within the grace and never count as ignoring it; a client that waits out `retryAfterMs`
 * never sends one that counts. Refused frames within graces count toward a ceiling of their own,
 * `FLOOD_GRACE_FRAMES_MAX` (a grace is per limit and starts again with each window: a client
 * rotating a flood over the limits would escape otherwise). A refusal is counted under its limit's
 * key, never the frame's own `action` (on `$default` a client makes that up at will). Each function
 * instance counts them per connection in a window of
 * `FLOOD_WINDOW_MS` anchored at the first (a bounded map: `FLOOD_MAX_CONNECTIONS` connections, the
 * one refused least recently dropped first). The frame that makes more than `FLOOD_REFUSALS_MAX` in
 * one window is answered `RATE_LIMITED` as usual, posted to the socket, and then the socket is
 * closed (close-socket.ts, as for an expired token), counted (`FloodingSocketsClosed`) and logged
 * once. Before the close, the user's handshakes are held for one `$connect` window
 * (`FLOOD_HANDSHAKE_HOLD_MS`, 60 s): their window is spent (`spendRateLimit`, one write), so
 * `$connect` answers 429 and a closed flooder cannot come straight back with a fresh grace. Nothing
 * else is written. Refusals of AWS's own throttling (a DynamoDB or account throttle) are not the
 * client's doing and do not count.
 *
 * Per instance: on AWS each route is a function of its own and an instance serves one request at a
 * time, so a flood of one action spread over N instances is closed after at most N ×
 * (`FLOOD_REFUSALS_MAX` + 1) counted frames (docs/security.md). A close that fails (the post or
 * DeleteConnection, twice: `FloodingSocketsLeftOpen`) never changes the answer; the connection's
 * counts start again (what it was told stays), so as many frames more try once more. A close is
 * asked for at most once a window, whichever count gets there.
 */
import type { CloseReason } from './close-socket.ts';
import { tellAndClose } from './close-socket.ts';
import type { Frame } from './frames.ts';
import { logger } from './logger.ts';
import { countMetric } from './metrics.ts';
import { spendRateLimit } from './rate-limiter.ts';
import { RATE_LIMITS } from './rate-limits.ts';

/**
 * Frames that ignored a refusal a socket may send in one window and stay open: a client that
 * retries once too early now and then stays far below; one that ignores `retryAfterMs` reaches it
 * within a second or two of its grace.
 */
export const FLOOD_REFUSALS_MAX = 30;
/** The window they are counted in: the limits' own (60 s, rate-limits.ts). */
export const FLOOD_WINDOW_MS = 60_000;
/**
 * After a connection's first refusal of an action: frames of that action sent before the client
 * could have read it (a slow mobile round trip, a burst already on the wire) do not count.
 */
export const FLOOD_GRACE_MS = 3_000;
/**
 * Refused frames within graces a socket may send in one window: a grace is per limit and starts
 * again with each of its windows, so without a ceiling a client rotating its frames over the limits
 * would never be counted. A client in 1,000 chats whose receipts all run into their limit at once
 * sends about 700 (one per chat in flight); a flood reaches it within a second.
 */
export const FLOOD_GRACE_FRAMES_MAX = 2_000;
/** Connections one instance keeps a count for (a few hundred bytes each). */
export const FLOOD_MAX_CONNECTIONS = 5_000;
/** The limit a flood close spends for the user: its handshakes are refused (429) for its window. */
export const FLOOD_HANDSHAKE_HOLD = '$connect';
/**
 * How long a flooding socket's user cannot open another socket: one `$connect` window (60 s; the
 * hold reopens that window spent, so a window shortened by `RATE_LIMIT_WINDOW_SECONDS`, tests only,
 * shortens the hold with it).
 */
export const FLOOD_HANDSHAKE_HOLD_MS = (RATE_LIMITS[FLOOD_HANDSHAKE_HOLD]?.windowSeconds ?? 60) * 1000;

/** One refused frame: the limit that refused it (rate-limits.ts) and the wait its refusal asked for. */
export interface Refusal {
  /** The limit's key: the route's action, or `$default` for every frame no route matches. */
  readonly action: string;
  readonly retryAfterMs: number;
}

interface Count {
  windowStart: number;
  /** Frames that ignored a refusal, in this window. */
  refused: number;
  /** Refused frames within a grace (or telling the client), in this window. */
  graced: number;
  /** A close was asked for in this window. */
  closing: boolean;
  /** Per action: the grace's end and the end of the wait its first refusal asked for. */
  readonly episodes: Map<string, { readonly graceEnd: number; readonly until: number }>;
}

/** Frames that ignored a refusal, per connection, for a bounded number of connections. */
export class RefusalCounter {
  readonly #counts = new Map<string, Count>();

  constructor(
    readonly max = FLOOD_REFUSALS_MAX,
    readonly windowMs = FLOOD_WINDOW_MS,
    readonly maxConnections = FLOOD_MAX_CONNECTIONS,
    readonly graceMs = FLOOD_GRACE_MS,
    readonly graceMax = FLOOD_GRACE_FRAMES_MAX,
  ) {}

  /**
   * Takes one refused frame of `connectionId` at `nowMs`. True for the one that makes more than
   * `max` frames that ignored a refusal in its window (once per window: the socket is to be closed).
   */
  refuse(connectionId: string, refusal: Refusal, nowMs: number): boolean {
    const count = this.#countOf(connectionId, nowMs);
    if (nowMs >= count.windowStart + this.windowMs) {
      count.windowStart = nowMs;
      count.refused = 0;
      count.graced = 0;
      count.closing = false;
    }
    const episode = count.episodes.get(refusal.action);
    const told = episode !== undefined && nowMs < episode.until;
    if (!told) {
      // The first refusal of the action (or the first since its wait ran out): the client is told now.
      const wait = Math.max(0, refusal.retryAfterMs);
      count.episodes.set(refusal.action, { graceEnd: nowMs + this.graceMs, until: nowMs + wait });
    }
    // On the wire before the client could know: not ignoring anything, but not without end either.
    if (!told || nowMs < episode.graceEnd) count.graced++;
    else count.refused++;
    if (count.closing || (count.graced <= this.graceMax && count.refused <= this.max)) return false;
    count.closing = true; // once a window, whichever count got there
    return true;
  }

  /** The connection's count, the most recently refused (the first key is the one to drop). */
  #countOf(connectionId: string, nowMs: number): Count {
    const count = this.#counts.get(connectionId) ?? {
      windowStart: nowMs,
      refused: 0,
      graced: 0,
      closing: false,
      episodes: new Map(),
    };
    this.#counts.delete(connectionId);
    this.#counts.set(connectionId, count);
    if (this.#counts.size > this.maxConnections) {
      const oldest = this.#counts.keys().next().value;
      if (oldest !== undefined) this.#counts.delete(oldest);
    }
    return count;
  }

  /**
   * A close that failed: the connection's counts start again (its episodes, and so what it was
   * told, stay), so as many frames more try once more.
   */
  restart(connectionId: string): void {
    const count = this.#counts.get(connectionId);
    if (!count) return;
    count.refused = 0;
    count.graced = 0;
    count.closing = false;
  }

  /** The frames that ignored a refusal counted for `connectionId` in its current window (tests). */
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

/** A frame the per-user limiter refused: its socket, its user, and the limit that refused it. */
export interface RefusedFrame {
  readonly connectionId: string;
  /** Whose limit it was counted against (absent: no user to hold). */
  readonly userId: string | undefined;
  /**
   * The limit's key wsRateLimit counted it under: never the frame's own `action`, which a client may
   * vary at will on `$default`.
   */
  readonly limit: string;
}

/** Holds a user's handshakes (the `$connect` window spent); may throw. */
export type HoldHandshakes = (userId: string) => Promise<void>;

const holdHandshakes: HoldHandshakes = (userId) => spendRateLimit(userId, FLOOD_HANDSHAKE_HOLD);

/**
 * The answer to a refused frame (`frame`: its `RATE_LIMITED` error). Returns the frame to answer as
 * the route response: `frame` itself, unless it is one refusal too many: then the user's handshakes
 * are held, it is posted, the socket is closed, and the answer is nothing (or `frame` still, when
 * it could not be posted). Never throws (a hold that fails is logged; the close goes on).
 */
export async function answerRefusal(
  refused: RefusedFrame,
  frame: Frame,
  nowMs = Date.now(),
  counter: RefusalCounter = refusals,
  hold: HoldHandshakes = holdHandshakes,
): Promise<Frame | undefined> {
  const { connectionId, userId } = refused;
  const refusal = {
    action: refused.limit,
    retryAfterMs: typeof frame.retryAfterMs === 'number' ? frame.retryAfterMs : 0,
  };
  if (!counter.refuse(connectionId, refusal, nowMs)) return frame;
  logger.warn('closing a socket that keeps sending after RATE_LIMITED', {
    ignoredRefusals: counter.refusedOf(connectionId),
    windowMs: counter.windowMs,
  });
  // Held before the close: a client reconnecting as soon as it sees the close finds it in place.
  if (userId !== undefined) {
    await hold(userId).catch((error: unknown) => {
      logger.warn("could not hold a flooding socket's user's handshakes", { error });
    });
  }
  const { answer, closed } = await tellAndClose(connectionId, frame, FLOODING);
  if (closed) countMetric('FloodingSocketsClosed');
  else counter.restart(connectionId);
  return answer;
}

/**
 * Rate-limit leases (issue 17, item 1: a limit check should not add a write to every message). A
 * function instance takes a block of frames from the user's shared window in one conditional write
 * (lambdas/data/rate-limits.ts) and spends them from memory; it writes again only when its lease is
 * spent. The shared condition keeps the sum of every instance's leases within `max` per window, so
 * the limit holds across sockets and instances as an upper bound; frames leased but not used by an
 * instance are lost (stricter, never looser). So leases are sized to what is left:
 * `k = min(K, ceil(remaining / 4))` (K: the action's `lease` in rate-limits.ts), down to 1 near the
 * limit, and a user whose frames all reach one instance can still use all `max`. On AWS an instance
 * serves one request at a time, so a burst of one user (an outbox flush) spreads over many instances:
 * each instance's first lease in a window is 1 frame, and each next one doubles (1, 2, 4, 8, K), so
 * an instance that sees one frame wastes nothing and a busy one soon writes once per K frames.
 *
 * A lease belongs to one window (user, action, windowStart) and expires with it: frames left at
 * `windowStart + window` are dropped, never carried into the next window. Once the window is known
 * to be exhausted, further frames of it are refused from memory (no write), and such a decision can
 * be had synchronously (`takeNow`: the pipeline then settles the frame before its action starts).
 * Concurrent frames of one user and action in one instance share one request in flight. Memory is
 * bounded: at most `maxEntries` (user, action) pairs, past windows dropped first, then the least
 * recently used.
 *
 * A limit with a daily byte budget (`bytesPerDay`: sendMessage's and scheduleMessage's text) has the
 * bytes its admitted frames stored noted here (`noteBytes`) and carried on this instance's next
 * lease write of the pair (lambdas/data/rate-limits.ts), so the budget costs no write of its own.
 * Once a write finds the day's budget spent, the pair's frames are refused from memory until
 * 00:00 UTC. Bytes noted but not yet carried (at most a lease's frames) are lost with the instance
 * or past `maxEntries` pairs: looser by that much, never by more.
 */
import type { Charged, ChargeRequest } from '../data/rate-charges.ts';
import type { LeaseRequest, LeaseResult, RateDecision } from '../data/rate-limits.ts';
import type { RateLimit } from './rate-limits.ts';

/** Where leases come from (RateLimitRepository). */
export interface LeaseSource {
  lease(userId: string, action: string, req: LeaseRequest): Promise<LeaseResult>;
  charge(userId: string, action: string, req: ChargeRequest): Promise<Charged>;
}

interface Entry {
  /** The window this entry's frames belong to, and when it ends (this instance's clock). */
  windowStart: number;
  endsAt: number;
  /** Frames leased to this instance and not spent yet. */
  tokens: number;
  /** `max - count` as this instance last saw it (0: the window is exhausted). */
  remaining: number;
  /** The most this instance asks for in its next lease of this window (doubles, up to K). */
  nextSize: number;
  /** The lease request in flight for this pair, which concurrent frames wait for. */
  inflight: Promise<void> | undefined;
}

/** Leases are a quarter of what is left of the window, at most K. */
export function leaseSize(limit: Pick<RateLimit, 'lease'>, remaining: number): number {
  return Math.max(1, Math.min(limit.lease, Math.ceil(remaining / 4)));
}

const DEFAULT_MAX_ENTRIES = 10_000;

export class RateLeases {
  readonly #entries = new Map<string, Entry>();
  /** Bytes of admitted frames not yet carried on a lease write, per pair. */
  readonly #unwritten = new Map<string, number>();
  /** Pairs whose daily byte budget is spent, and when that ends (00:00 UTC). */
  readonly #spentUntil = new Map<string, number>();

  constructor(
    private readonly source: LeaseSource,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  /** Counts one frame of `action` for `userId` against `limit`, from this instance's lease if it can. */
  async take(userId: string, action: string, limit: RateLimit, nowMs: number): Promise<RateDecision> {
    const key = keyOf(userId, action);
    for (;;) {
      const known = this.takeNow(userId, action, limit, nowMs);
      if (known) return known;
      const entry = this.#entries.get(key);
      if (entry?.inflight) {
        await entry.inflight;
        continue;
      }
      const result = await this.#refill(key, entry, userId, action, limit, nowMs);
      // Without a window to remember (several lost races), this frame alone is refused.
      if (result) return result;
    }
  }

  /**
   * The frame's decision when this instance's memory makes it, with no request and no wait: a frame
   * of its lease spent (allowed), or the window known to be exhausted (refused). Undefined when a
   * lease must be asked for (or one in flight waited for): then `take`.
   */
  takeNow(userId: string, action: string, limit: RateLimit, nowMs: number): RateDecision | undefined {
    const key = keyOf(userId, action);
    const spentUntil = this.#spentUntil.get(key);
    if (spentUntil !== undefined && nowMs < spentUntil) {
      return { allowed: false, retryAfterMs: Math.ceil(spentUntil - nowMs), overBudget: true };
    }
    if (spentUntil !== undefined) this.#spentUntil.delete(key);
    const entry = this.#entries.get(key);
    if (!entry || nowMs >= entry.endsAt) return undefined;
    if (entry.tokens > 0) {
      entry.tokens--;
      this.#touch(key, entry);
      return { allowed: true };
    }
    if (entry.remaining > 0) return undefined;
    return { allowed: false, retryAfterMs: retryAfter(entry, nowMs, limit.windowSeconds * 1000) };
  }

  /**
   * Counts `frames` more of `action` for `userId` after the fact (an expensive read: rate-limiter.ts
   * `chargeReads`): from this instance's lease first (no write), the rest charged to the shared
   * window (one write; two when that overdraws it, which pushes the window later: rate-charges.ts),
   * never refused. What this instance then knows of the window (spent, or pushed) refuses its next
   * frames from memory.
   */
  async charge(
    userId: string,
    action: string,
    limit: RateLimit,
    frames: number,
    nowMs: number,
  ): Promise<void> {
    const key = keyOf(userId, action);
    const entry = this.#entries.get(key);
    let left = frames;
    if (entry && nowMs < entry.endsAt) {
      const spent = Math.min(entry.tokens, left);
      entry.tokens -= spent;
      left -= spent;
    }
    if (left <= 0) return;
    const windowMs = limit.windowSeconds * 1000;
    // A limit with a daily byte budget: its item keeps the day's count, which the charge keeps too.
    const req = { max: limit.max, windowMs, nowMs, frames: left, daily: limit.bytesPerDay !== undefined };
    const got = await this.source.charge(userId, action, req);
    const remaining = Math.max(0, limit.max - got.count);
    const held = this.#entries.get(key);
    if (held && held.windowStart === got.windowStart) {
      held.remaining = Math.min(held.remaining, remaining);
    } else if (!held?.inflight) {
      this.#store(key, {
        windowStart: got.windowStart,
        endsAt: got.windowStart + windowMs,
        tokens: 0,
        remaining,
        nextSize: 1,
        inflight: undefined,
      });
    }
  }

  /**
   * Notes `bytes` stored by an admitted frame of `action` (a limit with `bytesPerDay`), to be carried
   * on this instance's next lease write of the pair (module comment).
   */
  noteBytes(userId: string, action: string, bytes: number): void {
    if (!(bytes > 0)) return;
    const key = keyOf(userId, action);
    this.#unwritten.set(key, (this.#unwritten.get(key) ?? 0) + bytes);
    if (this.#unwritten.size <= this.maxEntries) return;
    const oldest = this.#unwritten.keys().next().value;
    if (oldest !== undefined && oldest !== key) this.#unwritten.delete(oldest);
  }

  /** Pairs held in memory (tests). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Asks the source for a lease and stores it; concurrent frames wait on it (the caller's own
   * continuation runs first, so it gets the first frame of the lease).
   */
  async #refill(
    key: string,
    previous: Entry | undefined,
    userId: string,
    action: string,
    limit: RateLimit,
    nowMs: number,
  ): Promise<RateDecision | undefined> {
    const windowMs = limit.windowSeconds * 1000;
    // A lease of a window that is over: open the next one first. Nothing known (no entry, or only a
    // placeholder of a request that failed): extend, which also creates a fresh window.
    const known = previous !== undefined && previous.endsAt > 0;
    const current = known && nowMs < previous.endsAt;
    const remaining = current ? previous.remaining : known ? undefined : limit.max;
    // A new window (or none known) starts again from a lease of one frame.
    const cap = current ? previous.nextSize : 1;
    const holder: Entry = previous ?? {
      windowStart: 0,
      endsAt: 0,
      tokens: 0,
      remaining: limit.max,
      nextSize: 1,
      inflight: undefined,
    };
    let result: LeaseResult | undefined;
    const carried = limit.bytesPerDay === undefined ? 0 : (this.#unwritten.get(key) ?? 0);
    const bytes = limit.bytesPerDay === undefined ? undefined : { amount: carried, max: limit.bytesPerDay };
    const asked = this.source
      .lease(userId, action, {
        max: limit.max,
        windowMs,
        nowMs,
        remaining,
        size: (left) => Math.min(cap, leaseSize(limit, left)),
        ...(bytes ? { bytes } : {}),
      })
      .then((got) => {
        result = got;
        if (got.kind === 'leased' && carried > 0) this.#carried(key, carried);
        // The bytes carried reached the day's budget (the write counted them, as frames already
        // stored), or the write found it reached: this frame and the next are refused (the lease
        // just granted goes unused: stricter, never looser).
        const reached = got.kind === 'leased' && bytes !== undefined && (got.bytesUsed ?? 0) >= bytes.max;
        if (reached || (got.kind === 'limited' && got.overBudget)) {
          this.#spend(key, nowMs);
        } else if (got.kind === 'leased') {
          this.#store(key, {
            windowStart: got.windowStart,
            endsAt: got.windowStart + windowMs,
            tokens: got.granted,
            remaining: limit.max - got.count,
            nextSize: Math.min(limit.lease, Math.max(1, got.granted) * 2),
            inflight: undefined,
          });
        } else if (got.windowStart !== undefined) {
          this.#store(key, {
            windowStart: got.windowStart,
            endsAt: got.windowStart + windowMs,
            tokens: 0,
            remaining: 0,
            nextSize: 1,
            inflight: undefined,
          });
        }
      })
      .finally(() => {
        holder.inflight = undefined;
      });
    holder.inflight = asked;
    if (!previous) this.#store(key, holder);
    await asked;
    if (result?.kind === 'limited' && result.windowStart === undefined) {
      return { allowed: false, retryAfterMs: result.retryAfterMs };
    }
    return undefined;
  }

  /** `bytes` of the pair's unwritten bytes were carried by a lease write. */
  #carried(key: string, bytes: number): void {
    const left = (this.#unwritten.get(key) ?? 0) - bytes;
    if (left > 0) this.#unwritten.set(key, left);
    else this.#unwritten.delete(key);
  }

  /** The pair's byte budget is spent until the next 00:00 UTC. */
  #spend(key: string, nowMs: number): void {
    this.#spentUntil.set(key, (Math.floor(nowMs / DAY_MS) + 1) * DAY_MS);
    for (const [k, until] of this.#spentUntil) {
      if (this.#spentUntil.size <= this.maxEntries) break;
      if (k !== key && until <= nowMs) this.#spentUntil.delete(k);
    }
  }

  #touch(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
  }

  #store(key: string, entry: Entry): void {
    this.#touch(key, entry);
    if (this.#entries.size <= this.maxEntries) return;
    // Past windows first (nothing in flight), then the least recently used; never the entry just
    // stored (its frame is about to spend it).
    const now = Date.now();
    for (const [k, e] of this.#entries) {
      if (k !== key && e.endsAt <= now && !e.inflight) this.#entries.delete(k);
    }
    for (const k of this.#entries.keys()) {
      if (this.#entries.size <= this.maxEntries) break;
      if (k !== key) this.#entries.delete(k);
    }
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
const keyOf = (userId: string, action: string) => `${userId}\u0000${action}`;

function retryAfter(entry: Entry, nowMs: number, windowMs: number): number {
  return Math.min(windowMs, Math.max(1, Math.ceil(entry.endsAt - nowMs)));
}

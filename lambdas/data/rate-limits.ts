/**
 * Per-user rate-limit windows (issue 17, item 1): one item per user and action
 * (`LIMIT#<userId>`, sort key the action) holding `windowStart` (epoch ms) and `count`, the frames
 * leased from the window so far. A fixed window anchored at its first frame. A function instance
 * leases a block of `k` frames in one conditional write and spends them from memory
 * (lambdas/shared/rate-leases.ts); the condition keeps the sum of all leases of a window within
 * `max`, whatever the number of sockets and instances:
 *
 * - extend: `count + k` if the window is current and `count + k <= max`; an absent item is created
 *   with `count = k` by the same write (1 write: the usual case);
 * - refused: the old item (returned with the refusal) tells whether the window is current (then
 *   `max - count` frames are left: a smaller lease is asked, or none is left and the frame is
 *   limited) or over (then open);
 * - open: a new window with `count = k`, if none is current (a race with another opening extends it);
 * - spend (`exhaust`): a window opened now with `count = max`, whatever was there: every lease
 *   attempt of it is refused until it ends (a flooding socket's close holds its user's handshakes
 *   this way: lambdas/shared/flood-guard.ts).
 *
 * The item expires by TTL two windows after it was opened. Cost: 1 write unit per lease, 1 per
 * refused attempt (docs/security.md).
 *
 * A lease may also carry a daily byte budget (`bytes`: the stored bytes of the action's frames the
 * instance admitted since its last lease, and the budget of a UTC day): the same write adds them to
 * the attribute of the day, `bytes<day>` (days since the epoch; the day before's is removed), and is
 * refused once that attribute has reached the budget, whatever the window holds: `limited` with
 * `overBudget` and a wait to the next 00:00 UTC. Bytes already spent always count (the condition
 * reads the count before them), so a user passes the budget by at most the frames of the leases
 * held. Such an item expires a window after its day ends, not before, so a pause keeps its count
 * (the charges on it after the fact keep that expiry too: rate-charges.ts).
 *
 * The client retries a write whose answer was lost (a network error, a timeout), and `count + k`
 * applied twice would count the lease twice. So each lease write stores its own random `lease` id,
 * and extend is conditional on the item not holding it already: a retry of a write that landed is
 * refused, and the old item it returns, holding that id, is this lease granted (as append.ts does
 * for a retried message put). Only a write of another instance landing between the two attempts can
 * still let a lease count twice (stricter, never looser).
 */
import { randomBytes } from 'node:crypto';
import type { Item } from './item.ts';
import { keys, TTL_ATTRIBUTE } from './keys.ts';
import { type Charged, type ChargeRequest, chargeWindow, expiryOf } from './rate-charges.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly overBudget?: true };

/** What one lease request got: `granted` frames of the window opened at `windowStart`, or none. */
export type LeaseResult =
  | {
      readonly kind: 'leased';
      readonly granted: number;
      readonly windowStart: number;
      /** Frames leased from the window by everyone, this lease included. */
      readonly count: number;
      /** With a byte budget: the bytes of the day counted so far, this lease's included. */
      readonly bytesUsed?: number;
    }
  | {
      readonly kind: 'limited';
      readonly retryAfterMs: number;
      /**
       * The exhausted window (absent when it could not be told after several races); over the byte
       * budget, a window ending when the day does.
       */
      readonly windowStart?: number;
      /** Refused for the day's byte budget, not the window's frames. */
      readonly overBudget?: true;
    };

type Leased = Extract<LeaseResult, { kind: 'leased' }>;
type Attempt = LeaseResult | { readonly kind: 'refused'; readonly item: Item | undefined };

export interface LeaseRequest {
  readonly max: number;
  readonly windowMs: number;
  readonly nowMs: number;
  /** How many frames to lease when `remaining` (>= 1) are left in the window: 1..remaining. */
  readonly size: (remaining: number) => number;
  /**
   * What the caller believes is left of the current window (`max - count`; `max` when it knows
   * nothing), or undefined when it knows the window it leased from is over (then it opens first).
   */
  readonly remaining: number | undefined;
  /** A daily byte budget the lease write keeps too (module comment). */
  readonly bytes?: ByteCharge;
}

/** Bytes to add to the day's count (`amount`, >= 0), and the day's budget (`max`). */
export interface ByteCharge {
  readonly amount: number;
  readonly max: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const dayOf = (nowMs: number) => Math.floor(nowMs / DAY_MS);
/** The attribute holding the bytes counted in `day` (days since the epoch, UTC). */
export const bytesAttribute = (day: number) => `bytes${day}`;

/** The window `exhaust` spends. */
export type ExhaustRequest = Pick<LeaseRequest, 'max' | 'windowMs' | 'nowMs'>;

const ATTEMPTS = 4;
const names = { '#w': 'windowStart', '#c': 'count', '#l': 'lease' };

/** A lease write's own id (what its retry finds, if its first attempt landed). */
const leaseId = () => randomBytes(9).toString('base64url');

/** A window's state as an item shows it, if the item is a window at all. */
function windowOf(item: Item | undefined): { start: number; count: number } | undefined {
  const start = item?.windowStart;
  const count = item?.count;
  return typeof start === 'number' && typeof count === 'number' ? { start, count } : undefined;
}

/** What a frame refused after losing every race for the window is told to wait. */
const CONTENDED_RETRY_MS = 1_000;

export class RateLimitRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Leases frames of `action` for `userId` against `max` per `windowMs`: one write when the caller's
   * belief (`remaining`) is right, more only near the limit or at a window's turn.
   */
  async lease(userId: string, action: string, req: LeaseRequest): Promise<LeaseResult> {
    const { max, windowMs, nowMs } = req;
    const since = nowMs - windowMs;
    const limited = (start: number): LeaseResult => ({
      kind: 'limited',
      // Clamped: another instance may have opened the window a moment "after" this frame's clock.
      retryAfterMs: Math.min(windowMs, Math.max(1, Math.ceil(start + windowMs - nowMs))),
      windowStart: start,
    });
    let remaining = req.remaining;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const k = clamp(req.size(remaining ?? max), remaining ?? max);
      const old =
        remaining === undefined
          ? await this.open(userId, action, k, req)
          : await this.extend(userId, action, k, req);
      if (old.kind !== 'refused') return old;
      if (req.bytes && overBudget(old.item, req.bytes, nowMs)) return budgetSpent(windowMs, nowMs);
      const current = windowOf(old.item);
      if (current === undefined || current.start <= since) {
        remaining = undefined;
        continue;
      }
      if (current.count >= max) return limited(current.start);
      remaining = max - current.count;
    }
    // Lost every race with other instances (contention, not exhaustion): retry soon, not a window later.
    return { kind: 'limited', retryAfterMs: Math.min(windowMs, CONTENDED_RETRY_MS) };
  }

  /**
   * Opens a spent window of `action` for `userId` now (`count = max`), whatever the item held: frames
   * of it are refused for `windowMs` on every instance that asks for a lease (one holding frames
   * leased before may still spend those). One unconditional write.
   */
  async exhaust(userId: string, action: string, { max, windowMs, nowMs }: ExhaustRequest): Promise<void> {
    await this.table.update({
      Key: keys.rateLimit(userId, action),
      // No lease id stays: a lease write retried across this one must not find its own and count it.
      UpdateExpression: 'SET #w = :now, #c = :max, #ttl = :ttl REMOVE #l',
      ExpressionAttributeNames: { ...names, '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':now': nowMs, ':max': max, ':ttl': ttlOf(nowMs, windowMs) },
    });
  }

  /**
   * Adds `frames` to the current window of `action` for `userId` after the fact, never refused (an
   * expensive read's units: rate-charges.ts); past `max`, the window is pushed later.
   */
  charge(userId: string, action: string, req: ChargeRequest): Promise<Charged> {
    return chargeWindow(this.table, userId, action, req);
  }

  /** `count + k` within the current window (or a new item with `count = k`); else the old item. */
  private extend(userId: string, action: string, k: number, req: LeaseRequest): Promise<Attempt> {
    const { max, windowMs, nowMs } = req;
    const id = leaseId();
    const budget = budgetParts(req);
    return ifConditionFails(
      this.table
        .update({
          Key: keys.rateLimit(userId, action),
          UpdateExpression: `SET #c = if_not_exists(#c, :zero) + :k, #w = if_not_exists(#w, :now), ${budget ? '#ttl = :ttl' : '#ttl = if_not_exists(#ttl, :ttl)'}, #l = :id${budget?.set ?? ''}`,
          ConditionExpression: `(attribute_not_exists(#w) OR (#w > :since AND #c <= :room)) AND (attribute_not_exists(#l) OR #l <> :id)${budget?.condition ?? ''}`,
          ExpressionAttributeNames: { ...names, '#ttl': TTL_ATTRIBUTE, ...budget?.names },
          ExpressionAttributeValues: {
            ':zero': 0,
            ':k': k,
            ':now': nowMs,
            ':since': nowMs - windowMs,
            ':room': max - k,
            ':ttl': budget?.ttl ?? ttlOf(nowMs, windowMs),
            ':id': id,
            ...budget?.values,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
        .then((item) => granted(k, item, req)),
      (failure): Attempt => refusedOrOurs(id, k, failure.reasons[0]?.item, req),
    );
  }

  /** A new window with `count = k`, if none is current; else the old item. */
  private open(userId: string, action: string, k: number, req: LeaseRequest): Promise<Attempt> {
    const { windowMs, nowMs } = req;
    const id = leaseId();
    const budget = budgetParts(req);
    return ifConditionFails(
      this.table
        .update({
          Key: keys.rateLimit(userId, action),
          UpdateExpression: `SET #w = :now, #c = :k, #ttl = :ttl, #l = :id${budget?.set ?? ''}`,
          // A retry of an opening that landed is refused by this condition itself (the window is current).
          ConditionExpression: `(attribute_not_exists(#w) OR #w <= :since)${budget?.condition ?? ''}`,
          ExpressionAttributeNames: { ...names, '#ttl': TTL_ATTRIBUTE, ...budget?.names },
          ExpressionAttributeValues: {
            ':now': nowMs,
            ':k': k,
            ':since': nowMs - windowMs,
            ':ttl': budget?.ttl ?? ttlOf(nowMs, windowMs),
            ':id': id,
            ...budget?.values,
          },
          ReturnValues: budget ? 'UPDATED_NEW' : 'NONE',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
        .then((item): Attempt => ({ ...granted(k, item, req), windowStart: nowMs, count: k })),
      (failure): Attempt => refusedOrOurs(id, k, failure.reasons[0]?.item, req),
    );
  }
}

const ttlOf = (nowMs: number, windowMs: number) => expiryOf(nowMs, windowMs);

/** A lease size within 1..most. */
const clamp = (k: number, most: number) => Math.max(1, Math.min(most, Math.floor(k)));

/**
 * A refused lease write: refused indeed, or a retry of this very write whose first attempt landed
 * (the item holds its id): then the lease is granted, as the item shows it.
 */
function refusedOrOurs(id: string, k: number, item: Item | undefined, req: LeaseRequest): Attempt {
  return item?.lease === id ? granted(k, item, req) : { kind: 'refused', item };
}

function granted(k: number, item: Item | undefined, { nowMs, bytes }: LeaseRequest): Leased {
  const window = windowOf(item);
  const used = bytes ? item?.[bytesAttribute(dayOf(nowMs))] : undefined;
  return {
    kind: 'leased',
    granted: k,
    windowStart: window?.start ?? nowMs,
    count: window?.count ?? k,
    ...(bytes ? { bytesUsed: typeof used === 'number' ? used : bytes.amount } : {}),
  };
}

/**
 * The byte budget's part of a lease write: the day's count grows by the bytes carried (the day
 * before's is removed), the write is refused once the count has reached the budget, and the item
 * lives a window past the day's end.
 */
function budgetParts({ bytes, nowMs, windowMs }: LeaseRequest) {
  if (!bytes) return undefined;
  const day = dayOf(nowMs);
  return {
    set: ', #b = if_not_exists(#b, :zero) + :bytes REMOVE #y',
    condition: ' AND (attribute_not_exists(#b) OR #b < :budget)',
    names: { '#b': bytesAttribute(day), '#y': bytesAttribute(day - 1) },
    values: { ':zero': 0, ':bytes': bytes.amount, ':budget': bytes.max },
    ttl: expiryOf(nowMs, windowMs, nowMs),
  };
}

/** Whether the item shows the day's byte budget reached. */
function overBudget(item: Item | undefined, bytes: ByteCharge, nowMs: number): boolean {
  const used = item?.[bytesAttribute(dayOf(nowMs))];
  return typeof used === 'number' && used >= bytes.max;
}

/** Refused for the day's budget: until 00:00 UTC, remembered as a spent window ending then. */
function budgetSpent(windowMs: number, nowMs: number): LeaseResult {
  const dayEnd = (dayOf(nowMs) + 1) * DAY_MS;
  return { kind: 'limited', retryAfterMs: dayEnd - nowMs, windowStart: dayEnd - windowMs, overBudget: true };
}

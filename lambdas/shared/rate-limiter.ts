/**
 * Applies the declared per-user limits (rate-limits.ts) to one frame: `RATE_LIMITED` with
 * `retryAfterMs` when the caller is over the limit of the action, so the action never runs. Frames
 * are counted from this instance's lease of the user's window (rate-leases.ts): one write per lease,
 * not per frame; a frame that memory decides is decided at once (`known`: nothing runs beside it).
 */
import type { RateDecision, RateLimitRepository } from '../data/rate-limits.ts';
import { store } from '../data/store.ts';
import { ChatError } from './errors.ts';
import { logger } from './logger.ts';
import { RateLeases } from './rate-leases.ts';
import { type RateLimit, rateLimitOf, UNMATCHED } from './rate-limits.ts';

/** The instance's leases, per repository (one per table: tests and the bench may swap the store). */
const leases = new WeakMap<RateLimitRepository, RateLeases>();

function leasesOf(repository: RateLimitRepository): RateLeases {
  let held = leases.get(repository);
  if (!held) {
    held = new RateLeases(repository);
    leases.set(repository, held);
  }
  return held;
}

/** Counts one frame of `action` for `userId`: allowed (also when the action is not limited) or not. */
export async function takeRateLimit(
  userId: string,
  action: string,
  nowMs = Date.now(),
): Promise<RateDecision> {
  const limit = rateLimitOf(action);
  if (!limit) return { allowed: true };
  return leasesOf(store().limits).take(userId, action, limit, nowMs);
}

/**
 * One frame's decision: `admitted` rejects with `RATE_LIMITED` (or the lease write's failure).
 * `known`: made from this instance's memory (a frame of its lease, or the window known to be spent,
 * or no limit at all), so `admitted` is settled already and nothing was written or waited for.
 */
export interface Admission {
  readonly admitted: Promise<void>;
  readonly known: boolean;
}

/** Counts one frame of `action` for `userId` (wsRateLimit): from memory when it can, else a lease. */
export function admitFrame(userId: string, action: string, nowMs = Date.now()): Admission {
  const limit = rateLimitOf(action);
  if (!limit) return { admitted: Promise.resolve(), known: true };
  const leases = leasesOf(store().limits);
  const now = leases.takeNow(userId, action, limit, nowMs);
  if (now) {
    const refused = refusal(action, limit, now);
    return { admitted: refused ? Promise.reject(refused) : Promise.resolve(), known: true };
  }
  const admitted = leases.take(userId, action, limit, nowMs).then((decision) => {
    const refused = refusal(action, limit, decision);
    if (refused) throw refused;
  });
  return { admitted, known: false };
}

/** The `RATE_LIMITED` error of a refused frame, with `retryAfterMs`. */
function refusal(action: string, limit: RateLimit, decision: RateDecision): ChatError | undefined {
  if (decision.allowed) return undefined;
  const seconds = Math.ceil(decision.retryAfterMs / 1000);
  if (decision.overBudget) {
    const mb = Math.round((limit.bytesPerDay ?? 0) / MIB);
    return new ChatError(
      'RATE_LIMITED',
      `Too much text stored today: at most ${mb} MB a day. Retry in ${seconds} s.`,
      { retryAfterMs: decision.retryAfterMs },
    );
  }
  const what = action === UNMATCHED ? 'frames without a known action' : `${action} requests`;
  // A metered action's window also holds what its requests read (or, a message, the members it
  // reached): one may have counted as several.
  const counted = limit.unitsPerFrame
    ? ' (one that reads much counts as several)'
    : limit.membersPerFrame
      ? ` (one to a chat of more than ${limit.membersPerFrame} members counts as several)`
      : '';
  return new ChatError(
    'RATE_LIMITED',
    `Too many ${what}: at most ${limit.max} every ${limit.windowSeconds} s${counted}. Retry in ${seconds} s.`,
    { retryAfterMs: decision.retryAfterMs },
  );
}

const MIB = 1024 * 1024;
/**
 * What a message counts against its sender's daily text budget: its text's UTF-8 bytes plus 1 KB
 * for the rest of what storing it costs (its item's keys and fields, two index entries, its claim:
 * ~850 B, docs/data-model.md "Size of a chat"), so a flood of short messages counts too.
 */
export const MESSAGE_OVERHEAD_BYTES = 1024;
export const storedTextBytes = (text: string | null | undefined): number =>
  Buffer.byteLength(text ?? '', 'utf8') + MESSAGE_OVERHEAD_BYTES;

/**
 * Notes that an admitted frame of `action` stored `text` (an action whose limit has `bytesPerDay`:
 * sendMessage, scheduleMessage): counted against the sender's daily text budget by this instance's
 * next lease write of the action (rate-leases.ts), no write of its own.
 */
export function noteStoredText(userId: string, action: string, text: string | null | undefined): void {
  const limit = rateLimitOf(action);
  if (!limit?.bytesPerDay) return;
  leasesOf(store().limits).noteBytes(userId, action, storedTextBytes(text));
}

/**
 * Charges a frame of `action` that read `units` read units (read-meter.ts) by what it read: an
 * action whose limit has `unitsPerFrame` counts `ceil(units / unitsPerFrame)` frames, the one
 * admitted and the rest charged now (rate-leases.ts `charge`: from this instance's lease, else one
 * write), so the table reads at most about `max × unitsPerFrame` units a window for that action of
 * one user. A frame within `unitsPerFrame` costs nothing more. A charge that fails is logged: the
 * frame's answer does not depend on it.
 */
export async function chargeReads(userId: string, action: string, units: number, nowMs = Date.now()) {
  const limit = rateLimitOf(action);
  await chargeBeyond(userId, action, limit, units, limit?.unitsPerFrame, nowMs);
}

/**
 * Charges a frame of `action` that reached `members` members (a message's audience: the chat head's
 * member count) by them: an action whose limit has `membersPerFrame` counts
 * `ceil(members / membersPerFrame)` frames, the one admitted and the rest charged now, as
 * `chargeReads` does (never refused: a debt refuses later frames), so one user's messages reach at
 * most about `max × membersPerFrame` members a window. A frame within `membersPerFrame` costs
 * nothing more (no write); a charge that fails is logged.
 */
export async function chargeAudience(userId: string, action: string, members: number, nowMs = Date.now()) {
  const limit = rateLimitOf(action);
  await chargeBeyond(userId, action, limit, members, limit?.membersPerFrame, nowMs);
}

/** Charges the frames beyond the first that `amount` is worth at `per` a frame (none without `per`). */
async function chargeBeyond(
  userId: string,
  action: string,
  limit: RateLimit | undefined,
  amount: number,
  per: number | undefined,
  nowMs: number,
): Promise<void> {
  if (!limit || !per) return;
  const extra = Math.ceil(amount / per) - 1;
  if (extra <= 0) return;
  try {
    await leasesOf(store().limits).charge(userId, action, limit, extra, nowMs);
  } catch (error) {
    logger.warn('could not charge a frame to its rate limit', { action, amount, error });
  }
}

/**
 * Spends `userId`'s window of `action` from now on (one write): its frames are refused for a whole
 * window, on every instance, since each asks the table for a lease first (with a lease of 1, as
 * `$connect` has, no instance holds a frame of it). A flooding socket's close holds its user's
 * handshakes this way (flood-guard.ts).
 */
export async function spendRateLimit(userId: string, action: string, nowMs = Date.now()): Promise<void> {
  const limit = rateLimitOf(action);
  if (!limit) return;
  const windowMs = limit.windowSeconds * 1000;
  await store().limits.exhaust(userId, action, { max: limit.max, windowMs, nowMs });
}

/**
 * Applies the declared per-user limits (rate-limits.ts) to one frame: throws `RATE_LIMITED` with
 * `retryAfterMs` when the caller is over the limit of the action, so the action never runs. Frames
 * are counted from this instance's lease of the user's window (rate-leases.ts): one write per lease,
 * not per frame.
 */
import type { RateDecision, RateLimitRepository } from '../data/rate-limits.ts';
import { store } from '../data/store.ts';
import { ChatError } from './errors.ts';
import { RateLeases } from './rate-leases.ts';
import { rateLimitOf, UNMATCHED } from './rate-limits.ts';

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

export async function enforceRateLimit(userId: string, action: string, nowMs = Date.now()): Promise<void> {
  const decision = await takeRateLimit(userId, action, nowMs);
  if (decision.allowed) return;
  const limit = rateLimitOf(action);
  if (!limit) return;
  const seconds = Math.ceil(decision.retryAfterMs / 1000);
  const what = action === UNMATCHED ? 'frames without a known action' : `${action} requests`;
  throw new ChatError(
    'RATE_LIMITED',
    `Too many ${what}: at most ${limit.max} every ${limit.windowSeconds} s. Retry in ${seconds} s.`,
    { retryAfterMs: decision.retryAfterMs },
  );
}

/**
 * Applies the declared per-user limits (rate-limits.ts) to one frame: throws `RATE_LIMITED` with
 * `retryAfterMs` when the caller is over the limit of the action, so the action never runs.
 */
import { store } from '../data/store.ts';
import { ChatError } from './errors.ts';
import { rateLimitOf } from './rate-limits.ts';

export async function enforceRateLimit(userId: string, action: string, nowMs = Date.now()): Promise<void> {
  const limit = rateLimitOf(action);
  if (!limit) return;
  const decision = await store().limits.take(userId, action, limit.max, limit.windowSeconds * 1000, nowMs);
  if (decision.allowed) return;
  const seconds = Math.ceil(decision.retryAfterMs / 1000);
  throw new ChatError(
    'RATE_LIMITED',
    `Too many ${action} requests: at most ${limit.max} every ${limit.windowSeconds} s. Retry in ${seconds} s.`,
    { retryAfterMs: decision.retryAfterMs },
  );
}

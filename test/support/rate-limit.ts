/** The rate limit of an action as the handlers read it now (the environment at the call), or a failure naming it. */
import { type RateLimit, rateLimitOf } from '../../lambdas/shared/rate-limits.ts';

export function limitOf(action: string): RateLimit {
  const limit = rateLimitOf(action);
  if (!limit) throw new Error(`${action} has no rate limit`);
  return limit;
}

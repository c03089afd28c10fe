/**
 * Per-user rate-limit windows (issue 17, item 1): one item per user and action
 * (`LIMIT#<userId>`, sort key the action) holding `windowStart` (epoch ms) and `count`. A fixed window
 * anchored at its first frame, updated conditionally, so concurrent frames on any socket and any
 * function instance count exactly once:
 *
 * 1. `count + 1` if the window is current and under the limit (1 write: the usual case);
 * 2. refused: the old item (returned with the refusal) says whether the window is full (limited:
 *    no further write) or over (3.);
 * 3. a new window with `count = 1`, if none is current (a race with another reset starts again).
 *
 * The item expires by TTL one window after it was opened. Cost: 1 write unit per counted frame,
 * 2 at the first frame of a window, 1 per refused frame (docs/security.md).
 */
import { keys, TTL_ATTRIBUTE } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number };

const ATTEMPTS = 3;
const names = { '#w': 'windowStart', '#c': 'count' };

export class RateLimitRepository {
  constructor(private readonly table: TableClient) {}

  /** Counts one frame of `action` for `userId` against `max` per `windowMs`. */
  async take(
    userId: string,
    action: string,
    max: number,
    windowMs: number,
    nowMs: number,
  ): Promise<RateDecision> {
    const Key = keys.rateLimit(userId, action);
    const since = nowMs - windowMs;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const counted = await ifConditionFails(
        this.table
          .update({
            Key,
            UpdateExpression: 'SET #c = #c + :one',
            ConditionExpression: '#w > :since AND #c < :max',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':one': 1, ':since': since, ':max': max },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          })
          .then(() => undefined),
        (failure) => ({ old: failure.reasons[0]?.item }),
      );
      if (counted === undefined) return { allowed: true };
      const start = counted.old?.windowStart;
      if (typeof start === 'number' && start > since) {
        // Clamped: another instance may have opened the window a moment "after" this frame's clock.
        return {
          allowed: false,
          retryAfterMs: Math.min(windowMs, Math.max(1, Math.ceil(start + windowMs - nowMs))),
        };
      }
      const opened = await ifConditionFails(
        this.table
          .update({
            Key,
            UpdateExpression: 'SET #w = :now, #c = :one, #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(#w) OR #w <= :since',
            ExpressionAttributeNames: { ...names, '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':now': nowMs,
              ':one': 1,
              ':since': since,
              ':ttl': Math.ceil((nowMs + 2 * windowMs) / 1000),
            },
          })
          .then(() => true),
        () => false,
      );
      if (opened) return { allowed: true };
    }
    return { allowed: false, retryAfterMs: windowMs };
  }
}

/**
 * The one backoff of the code base: exponential, capped, with full jitter (the delay before retry
 * `attempt` is drawn uniformly from [0, min(cap, base · 2^attempt)) ms), so that callers that lost
 * the same race do not retry in lockstep.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Backoff {
  /** Milliseconds at attempt 0, doubled at every attempt. */
  readonly baseMs: number;
  /** The largest delay in milliseconds. */
  readonly capMs: number;
}

/** The delay before retry `attempt` (full jitter). `random` is injectable for tests. */
export function backoffDelay(policy: Backoff, attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
}

/** Waits the backoff delay of `attempt`. */
export async function backOff(policy: Backoff, attempt: number): Promise<void> {
  await sleep(backoffDelay(policy, attempt));
}

/** What failed: throttling is retried at a lower price (the SDK's 2026 standard strategy). */
export type RetryKind = 'throttling' | 'transient';

/** The SDK's standard retry quota (`@smithy/core/retry`, 2026 configuration). */
export const RETRY_QUOTA = { capacity: 500, transientCost: 14, throttlingCost: 5, successRefund: 1 } as const;

/**
 * A retry quota, as each SDK client keeps one (its standard retry strategy): a retry spends from it
 * (14, or 5 after throttling), a success gives back what its last retry spent, or 1 when it needed
 * none. While a service keeps failing, a container's retries stop once the quota is spent instead
 * of multiplying its calls (the light paths that do their own retries: posts, `delivery.ts`; push
 * notifications, one per provider, lambdas/push/deliver.ts).
 */
export class RetryQuota {
  #available: number;

  constructor(readonly capacity: number = RETRY_QUOTA.capacity) {
    this.#available = capacity;
  }

  get available(): number {
    return this.#available;
  }

  /** Spends the price of one retry of `kind`; undefined (nothing spent) when it cannot pay it. */
  take(kind: RetryKind): number | undefined {
    const cost = kind === 'throttling' ? RETRY_QUOTA.throttlingCost : RETRY_QUOTA.transientCost;
    if (this.#available < cost) return undefined;
    this.#available -= cost;
    return cost;
  }

  /**
   * Gives back a retry's price that was taken but not spent on a call (the retry was dropped after
   * all, e.g. its target went away during the wait), never above the capacity.
   */
  release(cost: number): void {
    this.#available = Math.min(this.capacity, this.#available + cost);
  }

  /** A success: gives back what its last retry spent (`lastCost`), or 1 when it needed none. */
  succeeded(lastCost: number): void {
    this.#available = Math.min(
      this.capacity,
      this.#available + (lastCost > 0 ? lastCost : RETRY_QUOTA.successRefund),
    );
  }
}

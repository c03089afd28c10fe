/**
 * The retry quota of one push provider in one container: the token bucket of the AWS SDK's
 * standard retry strategy (`@smithy/core/retry`, which lambdas/queue/light-sqs.ts uses for SQS),
 * with the SDK's own numbers. It starts with 500 tokens; a retry spends 5, or 10 when the attempt
 * it repeats timed out; a success gives back what its retry spent, or 1 after a first attempt. An
 * empty bucket refuses retries and never first attempts, so while a provider keeps failing, the
 * container's calls to it stop multiplying: a batch of 1,000 notifications makes about 1,100 calls,
 * not 4,000, and the notifications it could not retry are deferred (deliver.ts).
 *
 * Not the SDK's `StandardRetryStrategy` itself: its `refreshRetryTokenForRetry` waits out its own
 * backoff (real timers, no provider's `Retry-After`) before it answers, where the delivery loop
 * must first know whether the wait and the attempt fit the invocation's budget (budget.ts).
 */
import { INITIAL_RETRY_TOKENS, NO_RETRY_INCREMENT, RETRY_COST, TIMEOUT_RETRY_COST } from '@smithy/core/retry';

export class RetryQuota {
  #tokens: number;

  constructor(readonly capacity = INITIAL_RETRY_TOKENS) {
    this.#tokens = capacity;
  }

  /** Tokens left. */
  get available(): number {
    return this.#tokens;
  }

  /**
   * Takes a retry's cost (more when the failed attempt timed out) and returns it, for `recordSuccess`
   * to give back; undefined when the bucket holds too little: the retry is refused.
   */
  acquire(timedOut: boolean): number | undefined {
    const cost = timedOut ? TIMEOUT_RETRY_COST : RETRY_COST;
    if (this.#tokens < cost) return undefined;
    this.#tokens -= cost;
    return cost;
  }

  /** A success: gives back `spent` (what its retry took), or 1 after a first attempt. */
  recordSuccess(spent: number | undefined): void {
    this.#tokens = Math.min(this.capacity, this.#tokens + (spent ?? NO_RETRY_INCREMENT));
  }
}

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

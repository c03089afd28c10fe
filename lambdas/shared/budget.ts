/**
 * An invocation's time budget for work made of attempts of bounded length (a notification to a push
 * provider, a post to a socket): an attempt, or the wait before one, is started only when it can end
 * by `until`, the invocation's deadline less a reserve kept for handing the rest on (queueing a job
 * of what was not tried). Without one, a slow or failing service keeps an invocation working past its
 * timeout, and Lambda delivers the whole job or batch again: everything it had done goes twice, and
 * after the last receive nothing of it is done at all.
 */

/** The part of Lambda's context a budget reads. */
export interface Invocation {
  getRemainingTimeInMillis(): number;
}

export interface SendBudget {
  /** Epoch ms by which every started attempt has ended. */
  readonly until: number;
  readonly now: () => number;
}

/** The budget of an invocation, keeping `reserveMs` at its end (undefined without a context). */
export function sendBudget(
  invocation: Invocation | undefined,
  reserveMs: number,
  now: () => number = Date.now,
): SendBudget | undefined {
  if (!invocation) return undefined;
  return { until: now() + invocation.getRemainingTimeInMillis() - reserveMs, now };
}

/**
 * Whether an attempt of at most `attemptMs`, started after waiting `waitMs`, ends within the budget
 * (always, without one).
 */
export function fitsBudget(budget: SendBudget | undefined, attemptMs: number, waitMs = 0): boolean {
  return !budget || budget.now() + waitMs + attemptMs <= budget.until;
}

/**
 * An invocation's time budget for work made of attempts of bounded length (a notification to a push
 * provider, a post to a socket): an attempt, or the wait before one, is started only when it can end
 * by `until`, the invocation's deadline less a reserve kept for handing the rest on (queueing a job
 * of what was not tried). Without one, a slow or failing service keeps an invocation working past its
 * timeout, and Lambda delivers the whole job or batch again: everything it had done goes twice, and
 * after the last receive nothing of it is done at all.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

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

/**
 * The current invocation of a route or the scheduled dispatcher (set by their handlers:
 * lambdas/shared/ws-middleware.ts, lambdas/handlers/scheduledDispatch.ts),
 * for work deep in the domain that stops in time (the in-request fan-out, lambdas/fanout/fanout.ts).
 * A scope per invocation: locally the gateway runs many handlers at once in one process.
 */
const invocations = new AsyncLocalStorage<Invocation>();

/**
 * Runs `fn` with `invocation` current when it is one (a handler's Lambda context; tests pass their
 * own), else plainly.
 */
export function withInvocation<T>(invocation: Partial<Invocation> | undefined, fn: () => T): T {
  return typeof invocation?.getRemainingTimeInMillis === 'function'
    ? invocations.run(invocation as Invocation, fn)
    : fn();
}

/** The current invocation's budget, keeping `reserveMs` (undefined outside an invocation). */
export function currentBudget(reserveMs: number): SendBudget | undefined {
  return sendBudget(invocations.getStore(), reserveMs);
}

/**
 * The push side of lambdas/shared/budget.ts: how long an invocation that sends notifications may
 * keep starting requests to a provider (4 attempts of up to 10 s each, with waits of up to 10 s
 * between them, would otherwise run past its timeout). An attempt, or the wait before one, starts
 * only when it can end `FINISH_RESERVE_MS` before the deadline, kept for queueing what is left
 * (worker.ts, handler.ts). A notification that cannot be tried in time is deferred, never given up:
 * it goes to the push queue in a job of its own (jobs.ts `queueDeferred`), and only it is sent again.
 */
import { fitsBudget, type Invocation, type SendBudget, sendBudget } from '../shared/budget.ts';
import { PUSH_ATTEMPT_MS } from './provider.ts';

export type { SendBudget } from '../shared/budget.ts';

/** Kept at the end of an invocation for queueing the deferred notifications (an SQS call or two). */
export const FINISH_RESERVE_MS = 5_000;
/**
 * What one attempt may take: a provider's `send`, whose requests share one deadline of two request
 * timeouts (provider.ts `PUSH_ATTEMPT_MS`: FCM fetches an access token and posts, and both again
 * after a 401), and a second for the rest of it.
 */
export const ATTEMPT_MS = PUSH_ATTEMPT_MS + 1_000;
/** Kept for a job's (or a record's) reads before its first send. */
export const READS_MS = 10_000;

/** The budget of an invocation (undefined: none, every notification is tried to the end). */
export function pushBudget(invocation: Invocation | undefined, now = Date.now): SendBudget | undefined {
  return sendBudget(invocation, FINISH_RESERVE_MS, now);
}

/** Whether a notification's attempt started after waiting `waitMs` ends within the budget. */
export function leavesTime(budget: SendBudget | undefined, waitMs = 0): boolean {
  return fitsBudget(budget, ATTEMPT_MS, waitMs);
}

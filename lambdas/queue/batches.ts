/**
 * One `SendMessageBatch` and its refused entries: SQS answers 200 with a `Failed` list for entries it
 * did not take (an internal error on some of them, a throttled batch); those are sent again, alone,
 * with backoff, a bounded number of calls in all. An error of the call itself is thrown as it is:
 * the sender has already tried it again (`light-sqs.ts`, within its retry quota), and trying the
 * whole batch once more here would multiply its attempts. The fan-out's and the push worker's job
 * queue (`lambdas/fanout/jobs.ts`) and the due queue of scheduled messages (`due-queue.ts`) send
 * their batches this way.
 */
import { logger } from '../shared/logger.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import type { SqsEntry, SqsSender } from './light-sqs.ts';

export interface ResendPolicy {
  /** Calls in all, the first included. */
  readonly attempts: number;
  readonly backoff: Backoff;
}

/** Sends `entries` (at most 10) to the queue; the entries still refused after the last call. */
export async function sendBatch(
  sqs: SqsSender,
  queueUrl: string,
  entries: readonly SqsEntry[],
  policy: ResendPolicy,
): Promise<SqsEntry[]> {
  let pending = [...entries];
  for (let attempt = 1; pending.length > 0; attempt++) {
    const out = await sqs.sendMessageBatch({ QueueUrl: queueUrl, Entries: pending });
    const refused = new Set((out.Failed ?? []).map((f) => f.Id));
    if (refused.size === 0) return [];
    logger.warn('the queue refused entries', { queueUrl, failed: out.Failed, attempt });
    pending = pending.filter((e) => refused.has(e.Id));
    if (attempt >= policy.attempts) return pending;
    await backOff(policy.backoff, attempt);
  }
  return [];
}

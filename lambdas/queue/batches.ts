/**
 * One `SendMessageBatch` and its refused entries: SQS answers 200 with a `Failed` list for entries it
 * did not take (an internal error on some of them, a throttled batch); those are sent again, alone,
 * with backoff, a bounded number of calls in all. An error of the first call is thrown as it is:
 * the sender has already tried it again (`light-sqs.ts`, within its retry quota), and trying the
 * whole batch once more here would multiply its attempts. An error of a later call is thrown as
 * `EntriesNotSent`, naming just the entries that call carried: the others went already. The fan-out's and the push worker's job
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

/** A call sending again the entries SQS refused failed (`cause`): `entries` were not sent, the others were. */
export class EntriesNotSent extends Error {
  constructor(
    readonly entries: readonly SqsEntry[],
    options: { cause: unknown },
  ) {
    super(`${entries.length} refused entries could not be sent again`, options);
    this.name = 'EntriesNotSent';
  }
}

/**
 * Sends `entries` (at most 10) to the queue; the entries still refused after the last call. Throws
 * the first call's error as it is, a later call's as `EntriesNotSent` (module comment).
 */
export async function sendBatch(
  sqs: SqsSender,
  queueUrl: string,
  entries: readonly SqsEntry[],
  policy: ResendPolicy,
): Promise<SqsEntry[]> {
  let pending = [...entries];
  for (let attempt = 1; pending.length > 0; attempt++) {
    let out: Awaited<ReturnType<SqsSender['sendMessageBatch']>>;
    try {
      out = await sqs.sendMessageBatch({ QueueUrl: queueUrl, Entries: pending });
    } catch (error) {
      if (attempt === 1) throw error;
      throw new EntriesNotSent(pending, { cause: error });
    }
    const refused = new Set((out.Failed ?? []).map((f) => f.Id));
    if (refused.size === 0) return [];
    logger.warn('the queue refused entries', { queueUrl, failed: out.Failed, attempt });
    pending = pending.filter((e) => refused.has(e.Id));
    if (attempt >= policy.attempts) return pending;
    await backOff(policy.backoff, attempt);
  }
  return [];
}

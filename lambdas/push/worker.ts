/**
 * The push worker's jobs (jobs.ts): for each, the second step of a message's plan over the job's
 * recipients (plan.ts `planRecipients`: their sockets and devices, the message read again, their
 * badges) and the notifications (deliver.ts); for a job of deferred notifications (version 2),
 * their recipients looked up again, the message read again, and those notifications
 * (`planDeferred`). Every read comes before any send: a job whose reads fail has sent nothing, is
 * reported as a batch item failure, and SQS delivers it again: after 10 s times its receive count (at
 * most 60 s, queue/retry-later.ts), not the queue's 6-minute visibility timeout, since a throttled
 * read is worth trying again soon (5 receives in all, lib/workers.ts). A notification that fails is retried
 * and counted by `deliver`, never thrown. A job older than `PUSH_JOB_MAX_AGE_MS` is dropped (a late
 * push is noise; a deferred job's notifications are counted as given up, `PushGivenUp`, and logged),
 * and so is a body that is not a job.
 *
 * Sends stop in time (budget.ts): what the invocation could not try (or retry: the provider's retry
 * quota, deliver.ts) goes back to the queue as a job of deferred notifications (delayed by what the
 * provider asked), so a timeout never sends a job's
 * notifications twice; and once some went out (or were queued), those the queue refuses are given up
 * (`PushGivenUp`, logged: jobs.ts `queueJobs`), not the job failed, which would send the rest
 * again. A job started with too little time left for its reads and one attempt is
 * handed back to SQS unread.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Counters } from '../pipeline/metrics.ts';
import type { RetryLater } from '../queue/retry-later.ts';
import { logger } from '../shared/logger.ts';
import { leavesTime, READS_MS, type SendBudget } from './budget.ts';
import { type DeliveryDeps, deliverAll } from './deliver.ts';
import {
  DEFERRED_JOB_VERSION,
  decodePushJob,
  PUSH_JOB_MAX_AGE_MS,
  type PushJobQueue,
  queueDeferred,
  recipientsOf,
  sendsOf,
} from './jobs.ts';
import { type PlanDeps, planDeferred, planRecipients } from './plan.ts';

export interface PushWorkerDeps {
  readonly plan: PlanDeps;
  readonly delivery: DeliveryDeps;
  readonly counters: Counters;
  /** Where deferred notifications go (the worker's own queue). Without it, nothing is deferred. */
  readonly queue?: PushJobQueue | undefined;
  /** The invocation's send budget (budget.ts `pushBudget`). */
  readonly budget?: SendBudget | undefined;
  /** Shortens a failed job's wait for its next receive (queue/retry-later.ts); none: the queue's. */
  readonly retryLater?: RetryLater | undefined;
}

export async function processPushJobs(event: SQSEvent, deps: PushWorkerDeps): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  const budget = deps.queue ? deps.budget : undefined;
  for (const record of event.Records) {
    const job = decodePushJob(record.body);
    if (!job) {
      logger.error('dropping a queue message that is not a push job', { sqsMessageId: record.messageId });
      deps.counters.add('PushJobsDropped');
      continue;
    }
    const now = deps.plan.now().getTime();
    const since = Math.min(job.since ?? now, sentAt(record) ?? now);
    if (now - since > PUSH_JOB_MAX_AGE_MS) {
      // A deferred job's notifications were tried and failed (or were never tried in time): given up.
      const givenUp = job.sends?.length ?? 0;
      const extra = { sqsMessageId: record.messageId, since, givenUp };
      if (givenUp > 0)
        logger.error('dropping a push job queued too long ago: its notifications given up', extra);
      else logger.warn('dropping a push job queued too long ago', extra);
      deps.counters.add('PushJobsExpired');
      if (givenUp > 0) deps.counters.add('PushGivenUp', givenUp);
      continue;
    }
    if (!leavesTime(budget, READS_MS)) {
      logger.warn('no time left for a push job: SQS will deliver it again', {
        sqsMessageId: record.messageId,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      const planned =
        job.v === DEFERRED_JOB_VERSION
          ? await planDeferred(deps.plan, job.message, sendsOf(job), deps.counters)
          : await planRecipients(deps.plan, job.message, recipientsOf(job), deps.counters);
      const { deferred, sent } = await deliverAll(planned, deps.delivery, budget, deps.queue !== undefined);
      if (deps.queue) {
        await queueDeferred(deps.queue, job.message, deferred, since, deps.counters, now, sent);
      }
      deps.counters.add('PushJobsDone');
    } catch (error) {
      logger.error('push job failed; SQS will deliver it again', { sqsMessageId: record.messageId, error });
      await deps.retryLater?.(record);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** When SQS received the job (epoch ms), when the record says. */
function sentAt(record: SQSRecord): number | undefined {
  const at = Number(record.attributes?.SentTimestamp);
  return Number.isFinite(at) ? at : undefined;
}

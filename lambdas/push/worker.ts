/**
 * The push worker's jobs (jobs.ts): for each, the second step of a message's plan over the job's
 * recipients (plan.ts `planRecipients`: their sockets and devices, the message read again, their
 * badges) and the notifications (deliver.ts); for a job of deferred notifications, the message read
 * again and those notifications. Every read comes before any send: a job whose reads fail has sent
 * nothing, is reported as a batch item failure, and SQS delivers it again. A notification that fails
 * is retried and counted by `deliver`, never thrown. A job older than `PUSH_JOB_MAX_AGE_MS` is
 * dropped (a late push is noise), and so is a body that is not a job.
 *
 * Sends stop in time (budget.ts): what the invocation could not try goes back to the queue as a job
 * of deferred notifications, so a timeout never sends a job's notifications twice. A job started
 * with too little time left for its reads and one attempt is handed back to SQS unread.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Counters } from '../pipeline/metrics.ts';
import { logger } from '../shared/logger.ts';
import { leavesTime, type SendBudget } from './budget.ts';
import { type DeliveryDeps, deliverAll, type PlannedPush } from './deliver.ts';
import {
  decodePushJob,
  deferredJobs,
  PUSH_JOB_MAX_AGE_MS,
  type PushJob,
  type PushJobQueue,
  recipientsOf,
  sendsOf,
} from './jobs.ts';
import { messageContent, type PlanDeps, planRecipients } from './plan.ts';

export interface PushWorkerDeps {
  readonly plan: PlanDeps;
  readonly delivery: DeliveryDeps;
  readonly counters: Counters;
  /** Where deferred notifications go (the worker's own queue). Without it, nothing is deferred. */
  readonly queue?: PushJobQueue | undefined;
  /** The invocation's send budget (budget.ts `sendBudget`). */
  readonly budget?: SendBudget | undefined;
}

/** Kept for a job's reads before its first send: a job is not started with less time than this left. */
export const JOB_READS_MS = 10_000;

export async function processPushJobs(event: SQSEvent, deps: PushWorkerDeps): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  const budget = deps.queue ? deps.budget : undefined;
  for (const record of event.Records) {
    const job = decodePushJob(record.body);
    if (!job) {
      logger.error('dropping a queue message that is not a push job', { messageId: record.messageId });
      deps.counters.add('PushJobsDropped');
      continue;
    }
    const since = Math.min(job.since ?? Number.POSITIVE_INFINITY, sentAt(record));
    if (deps.plan.now().getTime() - since > PUSH_JOB_MAX_AGE_MS) {
      logger.warn('dropping a push job queued too long ago', { messageId: record.messageId, since });
      deps.counters.add('PushJobsExpired');
      continue;
    }
    if (!leavesTime(budget, JOB_READS_MS)) {
      logger.warn('no time left for a push job: SQS will deliver it again', { messageId: record.messageId });
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      const planned = await planJob(deps, job);
      const deferred = await deliverAll(planned, deps.delivery, budget);
      if (deferred.length > 0 && deps.queue) {
        const jobs = deferredJobs(job.message, deferred, since);
        await deps.queue.send(jobs);
        deps.counters.add('PushJobsQueued', jobs.length);
      }
      deps.counters.add('PushJobsDone');
    } catch (error) {
      logger.error('push job failed; SQS will deliver it again', { messageId: record.messageId, error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** When SQS received the job (epoch ms; +Infinity when the record does not say). */
function sentAt(record: SQSRecord): number {
  const at = Number(record.attributes?.SentTimestamp);
  return Number.isFinite(at) ? at : Number.POSITIVE_INFINITY;
}

/** A job's notifications: planned for its recipients, or its deferred ones with the message as it is now. */
async function planJob(deps: PushWorkerDeps, job: PushJob): Promise<PlannedPush[]> {
  const planned = await planRecipients(deps.plan, job.message, recipientsOf(job), deps.counters);
  const sends = sendsOf(job);
  if (sends.length === 0) return planned;
  const contentOf = await messageContent(deps.plan, job.message, deps.counters);
  if (!contentOf) return planned;
  return [...planned, ...sends.map(({ device, badge }) => ({ device, content: contentOf(badge) }))];
}

/**
 * The push worker's jobs (jobs.ts): for each, the second step of a message's plan over the job's
 * recipients (plan.ts `planRecipients`: their sockets and devices, the message read again, their
 * badges) and the notifications (deliver.ts). Every read comes before any send: a job whose reads
 * fail has sent nothing, is reported as a batch item failure, and SQS delivers it again. A
 * notification that fails is retried and counted by `deliver`, never thrown. A job older than
 * `PUSH_JOB_MAX_AGE_MS` is dropped (a late push is noise), and so is a body that is not a job.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Counters } from '../pipeline/metrics.ts';
import { logger } from '../shared/logger.ts';
import { type DeliveryDeps, deliverAll } from './deliver.ts';
import { decodePushJob, PUSH_JOB_MAX_AGE_MS, recipientsOf } from './jobs.ts';
import { type PlanDeps, planRecipients } from './plan.ts';

export interface PushWorkerDeps {
  readonly plan: PlanDeps;
  readonly delivery: DeliveryDeps;
  readonly counters: Counters;
}

export async function processPushJobs(event: SQSEvent, deps: PushWorkerDeps): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  for (const record of event.Records) {
    const job = decodePushJob(record.body);
    if (!job) {
      logger.error('dropping a queue message that is not a push job', { messageId: record.messageId });
      deps.counters.add('PushJobsDropped');
      continue;
    }
    const sentAt = Number(record.attributes?.SentTimestamp);
    if (deps.plan.now().getTime() - sentAt > PUSH_JOB_MAX_AGE_MS) {
      logger.warn('dropping a push job queued too long ago', { messageId: record.messageId, sentAt });
      deps.counters.add('PushJobsExpired');
      continue;
    }
    try {
      const planned = await planRecipients(deps.plan, job.message, recipientsOf(job), deps.counters);
      await deliverAll(planned, deps.delivery);
      deps.counters.add('PushJobsDone');
    } catch (error) {
      logger.error('push job failed; SQS will deliver it again', { messageId: record.messageId, error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

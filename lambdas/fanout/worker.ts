/**
 * The fan-out queue worker: posts each job's frame to the job's sockets (the same delivery policy
 * as a request: bounded concurrency, 410 forgets the socket, 429/5xx retried a few times).
 *
 * Delivery is at least once per open socket. Sockets whose posts still fail go back to the queue
 * as a new, smaller job (`attempt` + 1, delayed) until `maxJobAttempts`; only when that re-enqueue
 * itself fails is the record reported as a batch item failure, and SQS delivers the whole job
 * again (its sockets may then get the event twice: clients de-duplicate by messageId). A body that
 * is not a job is logged and dropped (retrying it cannot help). Jobs of a batch run one after the
 * other, so at most `concurrency` posts are in flight per worker instance.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '../shared/logger.ts';
import type { FanOut } from './fanout.ts';
import { decodeJob, type JobQueue, planJobs, targetsOf } from './jobs.ts';

export interface WorkerDeps {
  readonly fanOut: Pick<FanOut, 'post'>;
  /** Where jobs with failed sockets go again; none: they are given up at once. */
  readonly queue: JobQueue | undefined;
  /** @default 3 */
  readonly maxJobAttempts?: number;
}

/** Seconds before a job of failed sockets runs again (SQS DelaySeconds: at most 900). */
export const retryDelaySeconds = (attempt: number): number => Math.min(900, 2 ** attempt);

export async function processFanOutJobs(event: SQSEvent, deps: WorkerDeps): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  const maxAttempts = deps.maxJobAttempts ?? 3;
  for (const record of event.Records) {
    const job = decodeJob(record.body);
    if (!job) {
      logger.error('dropping a queue message that is not a fan-out job', { messageId: record.messageId });
      continue;
    }
    try {
      const data = new TextEncoder().encode(job.frame);
      const { report, failed } = await deps.fanOut.post(targetsOf(job), data, job.chatId);
      if (failed.length === 0) continue;
      if (deps.queue && job.attempt < maxAttempts) {
        await deps.queue.send(planJobs(failed, job.frame, job.chatId, failed.length, job.attempt + 1), {
          delaySeconds: retryDelaySeconds(job.attempt),
        });
        logger.warn('fan-out job: failed sockets queued again', { ...report, attempt: job.attempt });
      } else {
        logger.error('fan-out job: gave up on sockets', { ...report, attempt: job.attempt });
      }
    } catch (error) {
      logger.error('fan-out job failed; SQS will deliver it again', { messageId: record.messageId, error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

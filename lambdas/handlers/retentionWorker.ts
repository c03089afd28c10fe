/**
 * The retention queue worker (not a route: lib/workers.ts `RETENTION_WORKER`): deletes a deleted
 * chat's media objects and gives its items their TTL, a budget of pages per job, and queues the rest
 * (lambdas/domain/retention-jobs.ts); and finishes a deletion interrupted after its mark when the
 * deletion's finish job comes (lambdas/domain/chat-deletion.ts), posting `chat.deleted` itself; and
 * runs the delayed jobs of a big group's creation and a last leave (lambdas/domain/safety-net-jobs.ts),
 * and an account deletion's jobs: the user's chats left, their blocks removed
 * (lambdas/domain/account-deletion-job.ts).
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import { mediaBucket } from '../data/media-bucket.ts';
import { store } from '../data/store.ts';
import { decodeDeleteAccountJob, runDeleteAccountJob } from '../domain/account-deletion-job.ts';
import type { DeleteAccountJob } from '../domain/account-jobs.ts';
import { finishInterruptedDeletion } from '../domain/chat-deletion.ts';
import { deps, retentionQueue, workerFanOut } from '../domain/deps.ts';
import { processRetentionJobs } from '../domain/retention-jobs.ts';
import { decodeSafetyNetJob, runSafetyNetJob, type SafetyNetJob } from '../domain/safety-net-jobs.ts';
import { withInvocation } from '../shared/budget.ts';
import { config } from '../shared/config.ts';
import { extended } from '../shared/env-use.ts';
import { logger } from '../shared/logger.ts';

/** Of the time left, the share a job may spend starting pages (the last page runs past it). */
const TIME_SHARE = 0.7;

/** The worker's scope names it (its log lines, and its AWS calls for the IAM check). */
export const handler = (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  logger.runWithKeys(
    { worker: RETENTION_WORKER.name, awsRequestId: context?.awsRequestId },
    () => {
      const queue = retentionQueue();
      if (!queue) throw new Error(`${RETENTION_WORKER.queueUrlEnv} is not configured`);
      const { pageSize, maxPages, budgetMs } = config().retention;
      const left = context?.getRemainingTimeInMillis();
      const budget = {
        pageSize,
        maxPages,
        budgetMs: left === undefined ? budgetMs : Math.min(budgetMs, Math.floor(left * TIME_SHARE)),
      };
      // A finish job runs deleteChat's own steps, with the worker's posts in flight (no fan-out
      // queue: it posts chat.deleted itself; a post that finds a last socket gone queues its offline
      // check there, lib/chat-stack.ts) and its retention job on this queue.
      const worker = extended(deps(), {
        fanOut: workerFanOut(RETENTION_WORKER.postConcurrency ?? 16),
        retentionQueue: queue,
      });
      // Within the invocation: a refused retention job's partition is expired only while the
      // worker's time allows a page; the rest (META kept) fails the job, and SQS delivers it again.
      const finish = (chatId: string) =>
        withInvocation(context, () => finishInterruptedDeletion(worker, chatId));
      const safetyNet = {
        decode: decodeSafetyNetJob,
        run: (job: SafetyNetJob) => runSafetyNetJob(worker, job),
      };
      // Within the invocation too: a last leave whose retention job the queue refused expires the
      // partition only as far as the worker's time allows (as a finish job's).
      const accountDeletion = {
        decode: decodeDeleteAccountJob,
        run: (job: DeleteAccountJob) =>
          withInvocation(context, () => runDeleteAccountJob(worker, job, budget)),
      };
      // The bucket on first use: a chat without uploads needs none.
      return processRetentionJobs(event, {
        retention: store().retention,
        media: mediaBucket,
        queue,
        budget,
        finish,
        safetyNet,
        accountDeletion,
      });
    },
    RETENTION_WORKER.name,
  );

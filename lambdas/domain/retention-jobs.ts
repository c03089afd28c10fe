/**
 * A deleted chat's retention, off the request path (issue 17, item 8): `deleteChat` queues one job
 * `{ chatId, expiresAt }`, delayed as its finish job is (past every write in flight at its mark:
 * chat-deletion.ts), and answers; the retention worker (lib/workers.ts `RETENTION_WORKER`)
 * gives the partition's items their TTL a page at a time (lambdas/data/retention.ts) and, before its
 * budget of pages or time runs out, queues the rest as a continuation job (`startKey`: the Query's
 * LastEvaluatedKey) and returns. Any size of chat is so expired in jobs of bounded time.
 *
 * The chat's media goes the same way: the upload records (`UPLOAD#<uploadId>`) a page meets name
 * its objects (`mediaKey`), attached or not, and the page deletes them (one DeleteObjects per 1,000
 * keys) before any of its items gets its TTL. A failed delete fails the page: its upload records
 * do not get the TTL and the page is done again (the job redelivered, or continued from that page), so no
 * record that names an object disappears before the object. Nothing in `deleteChat`'s request grows
 * with the chat's uploads, and it makes no S3 call while the queue takes the job.
 *
 * Idempotent: an update sets the same TTL on an item that still exists, and deleting an object
 * that is gone is fine, so a job delivered again (a failed update or delete, a failed continuation
 * send, a timeout) redoes its pages harmlessly. A job that keeps failing ends in the dead-letter
 * queue (alarm); the chat is gone for its members anyway. When the queue refuses the job,
 * `deleteChat` runs every page itself (media included), as before (lambdas/domain/chat-deletion.ts).
 *
 * The same queue carries each deletion's finish job `{ kind: 'finishDeletion', chatId }` (queued by
 * `deleteChat` with a delay before its mark; `finish`, chat-deletion.ts `finishInterruptedDeletion`,
 * finishes a deletion interrupted after its mark), the delayed jobs of a big group's creation and of a
 * last leave (`safetyNet`: safety-net-jobs.ts), and an account deletion's jobs, which leave the user's
 * chats and remove their blocks (`accountDeletion`: account-jobs.ts, account-deletion-job.ts).
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mediaKey } from '../../lib/media.ts';
import type { MediaBucket } from '../data/media-bucket.ts';
import type { BeforeExpiring, RetentionKey, RetentionRepository } from '../data/retention.ts';
import type { SqsSender } from '../queue/light-sqs.ts';
import { sqsBody } from '../queue/sqs-body.ts';
import { logger } from '../shared/logger.ts';
import { AccountJobStepFailed, type DeleteAccountJob } from './account-jobs.ts';
import { decodeFinishJob, decodeRetentionJob } from './retention-job-codec.ts';
import type { SafetyNetJob } from './safety-net-jobs.ts';

export const RETENTION_JOB_VERSION = 1;

export interface RetentionJob {
  readonly v: typeof RETENTION_JOB_VERSION;
  readonly chatId: string;
  /** The TTL to set, epoch seconds (the deletion time). */
  readonly expiresAt: number;
  /** Where to go on in the partition (a continuation job); none: from its start. */
  readonly startKey?: RetentionKey;
}

/**
 * A deletion's safety net (lambdas/domain/chat-deletion.ts): queued with a delay before the chat's
 * mark, it finishes the deletion if the request stopped after the mark. It carries no `expiresAt`
 * (the worker takes the mark's time), so a worker older than this kind drops it as no retention job
 * rather than expire a chat that may not be deleted.
 */
export interface FinishDeletionJob {
  readonly v: typeof RETENTION_JOB_VERSION;
  readonly kind: 'finishDeletion';
  readonly chatId: string;
}

/**
 * What a finish job found: the chat gone (its deletion finished: nothing to do), there but not marked
 * (the deletion never got to its mark: nothing to do), or marked (it finished the deletion).
 */
export type FinishOutcome = 'gone' | 'not-marked' | 'finished';

/** What the retention queue carries (the kinds of job: module comment). */
export type QueuedRetentionJob = RetentionJob | FinishDeletionJob | SafetyNetJob | DeleteAccountJob;

/** Where retention jobs go. */
export interface RetentionQueue {
  /**
   * Enqueues the job or throws: after the finish delay when `delayed` (by default the jobs with a
   * `kind`; a deletion's retention job too: chat-deletion.ts), at once otherwise (a continuation).
   */
  send(job: QueuedRetentionJob, options?: { readonly delayed?: boolean }): Promise<void>;
}

/**
 * SQS (locally its stand-in, by the queue URL): one SendMessage per job; a delayed one with
 * `finishDelaySeconds` of `DelaySeconds` (at most 900, SQS's limit).
 */
export class SqsRetentionQueue implements RetentionQueue {
  constructor(
    private readonly sqs: () => SqsSender,
    readonly queueUrl: string,
    readonly finishDelaySeconds: number,
  ) {}

  async send(job: QueuedRetentionJob, options: { readonly delayed?: boolean } = {}): Promise<void> {
    const delayed = options.delayed ?? 'kind' in job;
    const delay = delayed ? Math.min(900, this.finishDelaySeconds) : 0;
    await this.sqs().sendMessage({
      QueueUrl: this.queueUrl,
      MessageBody: sqsBody(job),
      ...(delay > 0 ? { DelaySeconds: delay } : {}),
    });
  }
}

/** Where a retention page's upload ids go: their objects are deleted (absent ones are fine). */
export const deleteUploadMedia =
  (media: () => Pick<MediaBucket, 'delete'>, chatId: string): BeforeExpiring =>
  (uploadIds) =>
    media().delete(uploadIds.map((id) => mediaKey(chatId, id)));

/** How much of a partition one job expires before it hands the rest on. */
export interface RetentionBudget {
  /** Keys per page (the Query's Limit). */
  readonly pageSize: number;
  /** Pages per job at most. */
  readonly maxPages: number;
  /** After this many ms no further page starts. */
  readonly budgetMs: number;
}

export interface RetentionWorkerDeps {
  readonly retention: Pick<RetentionRepository, 'expirePage'>;
  /** The media bucket: a page's upload objects are deleted before its items get their TTL. */
  readonly media: () => Pick<MediaBucket, 'delete'>;
  /** The worker's own queue: continuation jobs go there. */
  readonly queue: RetentionQueue;
  readonly budget: RetentionBudget;
  /** Milliseconds, for the time budget. @default Date.now */
  readonly clock?: () => number;
  /** Finishes an interrupted deletion (a finish job): what it found. */
  readonly finish: (chatId: string) => Promise<FinishOutcome>;
  /** The other delayed jobs (safety-net-jobs.ts): `decode` says whether a body is one. */
  readonly safetyNet?: {
    readonly decode: (body: string) => SafetyNetJob | undefined;
    readonly run: (job: SafetyNetJob) => Promise<string>;
  };
  /** An account deletion's jobs (account-deletion-job.ts); a malformed one decodes to none. */
  readonly accountDeletion?: {
    readonly decode: (body: string) => DeleteAccountJob | undefined;
    readonly run: (job: DeleteAccountJob) => Promise<object>;
  };
}

export interface RetentionJobReport {
  readonly pages: number;
  readonly items: number;
  /** Where the continuation job starts; none: the partition is done. */
  readonly continuedAt: RetentionKey | undefined;
}

/**
 * Expires pages (each after deleting its uploads' objects) from the job's start until the
 * partition ends or the budget (pages or time) is spent, then queues the rest. A page that fails
 * after others succeeded is where the continuation starts. Throws when the first page failed or the
 * continuation could not be sent: the job is then delivered again.
 */
export async function runRetentionJob(
  job: RetentionJob,
  deps: RetentionWorkerDeps,
): Promise<RetentionJobReport> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const { pageSize, maxPages, budgetMs } = deps.budget;
  let startKey = job.startKey;
  const beforeExpiring = deleteUploadMedia(deps.media, job.chatId);
  let pages = 0;
  let items = 0;
  for (;;) {
    const from = startKey;
    let page: Awaited<ReturnType<typeof deps.retention.expirePage>>;
    try {
      page = await deps.retention.expirePage(job.chatId, job.expiresAt, {
        startKey,
        limit: pageSize,
        beforeExpiring,
      });
      if (page.failed > 0) throw new Error(`${page.failed} items of a deleted chat were not given a TTL`);
    } catch (error) {
      // Nothing done yet: SQS delivers this job again (and dead-letters it after 5 receives). After
      // some progress, the rest continues from the failed page in a new job: a job never redoes pages
      // it finished, and every job either advances a page or fails.
      if (pages === 0 || from === undefined) throw error;
      logger.warn('a retention page failed; the rest continues from it in a new job', {
        chatId: job.chatId,
        error,
      });
      await deps.queue.send({
        v: RETENTION_JOB_VERSION,
        chatId: job.chatId,
        expiresAt: job.expiresAt,
        startKey: from,
      });
      return { pages, items, continuedAt: from };
    }
    pages++;
    items += page.count;
    startKey = page.next;
    if (!startKey) return { pages, items, continuedAt: undefined };
    if (pages >= maxPages || clock() - started >= budgetMs) break;
  }
  await deps.queue.send({ v: RETENTION_JOB_VERSION, chatId: job.chatId, expiresAt: job.expiresAt, startKey });
  return { pages, items, continuedAt: startKey };
}

/** The worker's batch: each record one job; a failed job is reported for SQS to deliver again. */
export async function processRetentionJobs(
  event: SQSEvent,
  deps: RetentionWorkerDeps,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  for (const record of event.Records) {
    const { body, messageId } = record;
    const other = decodeFinishJob(body) ?? deps.safetyNet?.decode(body) ?? deps.accountDeletion?.decode(body);
    if (other) {
      const about = 'userId' in other ? { userId: other.userId } : { chatId: other.chatId };
      try {
        const found =
          other.kind === 'finishDeletion'
            ? await deps.finish(other.chatId)
            : other.kind === 'deleteAccount'
              ? await deps.accountDeletion?.run(other)
              : await deps.safetyNet?.run(other);
        logger.info(`${other.kind} job done`, { ...about, found });
      } catch (error) {
        // An account deletion's step names the chat it was in (the runbook looks for it).
        const step = error instanceof AccountJobStepFailed ? error : undefined;
        logger.error(`${other.kind} job failed; SQS will deliver it again`, {
          ...about,
          ...(step?.chatId !== undefined ? { chatId: step.chatId } : {}),
          sqsMessageId: messageId,
          error: step ? step.cause : error,
        });
        batchItemFailures.push({ itemIdentifier: messageId });
      }
      continue;
    }
    const job = decodeRetentionJob(body);
    if (!job) {
      logger.error('dropping a queue message that is not a retention job', { sqsMessageId: messageId });
      continue;
    }
    try {
      const report = await runRetentionJob(job, deps);
      logger.info('retention job done', {
        chatId: job.chatId,
        pages: report.pages,
        items: report.items,
        continued: report.continuedAt !== undefined,
      });
    } catch (error) {
      logger.error('retention job failed; SQS will deliver it again', {
        chatId: job.chatId,
        sqsMessageId: messageId,
        error,
      });
      batchItemFailures.push({ itemIdentifier: messageId });
    }
  }
  return { batchItemFailures };
}

/**
 * The fan-out queue worker: posts each job's frame to the job's sockets (the same delivery policy
 * as a request: bounded concurrency, 410 forgets the socket, 429/5xx retried a few times).
 *
 * Delivery is at least once per open socket. Sockets whose posts still fail go back to the queue
 * as new jobs of at most `jobSize` sockets (`attempt` + 1, delayed 2, 4, 8, 16, 32, 60, then 120 s)
 * until `maxJobAttempts` (8: about 4 minutes, enough for a Management API throttle to pass). On
 * the last attempt the sockets that still fail are never dropped silently: when every socket of
 * the job failed, the record is reported as a batch item failure, so SQS delivers it again (the
 * `retryLater` backoff below) and after its last receive moves it to the dead-letter queue, whose
 * alarm fires and from which it can be redriven; when some got it, the failed ones are queued as a
 * job of that same last attempt, which then fails alone. A 410 is never retried (the socket is
 * forgotten). When a re-enqueue itself fails the record is reported too, and SQS delivers the
 * whole job again (its sockets may then get the event twice: clients de-duplicate by
 * messageId). A body that is not a job is logged and dropped (retrying it cannot help). Jobs of a
 * batch run one after the other, so at most `concurrency` posts are in flight per worker instance.
 *
 * A job that fails so (a re-enqueue, or a lookup below) is first given a short visibility
 * (`retryLater`: 10 s times its receive count, at most 60 s, queue/retry-later.ts): SQS delivers it
 * again after seconds, not after the queue's 3-minute visibility timeout (6 × the 30 s function
 * timeout, lib/queue-worker.ts), which then applies only when that change fails too.
 *
 * Posts stop in time for the invocation's timeout (`budget`, lambdas/shared/budget.ts): sockets
 * not tried in time go back to the queue at once as a job of the same attempt, so a slow Management
 * API never makes SQS deliver a half-posted job again (and, after its last receive, drop it). A job
 * reached with no time left for one post is handed back to SQS untouched.
 *
 * A job of users (`users`: a request could not look their sockets up, fanout.ts) looks them up first
 * (the directory's retries); a lookup that still fails posts nothing and reports the record, so SQS
 * delivers the job again (10 s later, then 20 s, 30 s, 40 s), and after its last receive moves it to
 * the dead-letter queue. A receipt's job (`maxSockets`: its group's roster could not be read in the
 * request, lambdas/domain/receipts.ts) reads that roster again, one Query (up to `maxSockets` sockets:
 * more, and it goes to none, the receipt rule), and posts to its sockets but the `reader`'s and
 * those of the users the reader has blocked (`blockedBy`: their block list, read only when the
 * roster lists someone else's socket, lambdas/domain/blocked-audience.ts); a read that fails reports
 * the record the same way. A direct chat's receipt whose reader's blocks could not be read is a job of
 * `users` (the other member) with its `reader`: the worker reads the reader's blocks first (a failure
 * reported as a lookup's) and looks up only those not blocked. Not its members one by one: ~200 consistent Queries a
 * receipt in a group of 200, each retried, all while the table throttles.
 *
 * `presence` and `typing` are worth nothing late: a job of them first sent more than
 * `EPHEMERAL_MAX_AGE_MS` ago (SQS's `SentTimestamp`: a job delivered again after a failed lookup,
 * 10 s on at the earliest) is dropped, logged, since a newer state may have reached its users
 * directly meanwhile (an `online: true` posted after the `online: false` that followed it would show
 * them online until their next change). Every other event is posted however late (at least once).
 *
 * Their failing sockets get `EPHEMERAL_MAX_JOB_ATTEMPTS` jobs (the last 6 s after the first), never
 * the dead-letter queue. A `presence` job so dropped, or whose sockets are given up on after its last attempt, is not the
 * end of it: the worker queues a recheck of that user (`planPresenceRecheck`, with the state the job
 * announced as `unmark`), `PRESENCE_RETRY_SECONDS` later, as presence-announce.ts does for a post
 * that failed in the request. The recheck takes back that state's mark (while it still is that
 * state: a newer announcement left alone) and announces the user's state true then, so peers missed
 * do not show a wrong presence until the user's next change. A recheck that cannot be queued reports
 * the record (SQS delivers it again, and it is dropped again, queueing the recheck). `typing` is
 * dropped for good: it is stale seconds later anyway.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { PRESENCE_RETRY_SECONDS } from '../domain/presence-announce.ts';
import type { RetryLater } from '../queue/retry-later.ts';
import { fitsBudget, type SendBudget } from '../shared/budget.ts';
import { logger } from '../shared/logger.ts';
import { POST_ATTEMPT_MS } from './delivery.ts';
import { DEFAULT_JOB_SIZE, type FanOut, type Target } from './fanout.ts';
import {
  decodeJob,
  type FanOutJob,
  isEphemeral,
  type JobQueue,
  PRESENCE_FRAME,
  planJobs,
  planPresenceRecheck,
  targetsOf,
} from './jobs.ts';

export interface WorkerDeps {
  readonly fanOut: Pick<FanOut, 'post' | 'socketsOf' | 'directory'>;
  /**
   * Where jobs with failed sockets go again, and the recheck of a presence job not delivered; none:
   * a job with failed sockets is reported to SQS, unrechecked.
   */
  readonly queue: JobQueue | undefined;
  /** @default MAX_JOB_ATTEMPTS */
  readonly maxJobAttempts?: number;
  /**
   * Sockets per job it queues again (those not tried in time, those whose posts failed): a lookup
   * job's users may have thousands. @default DEFAULT_JOB_SIZE (deployments pass FANOUT_JOB_SIZE)
   */
  readonly jobSize?: number;
  /** The invocation's time budget; used only with a queue to take the sockets not tried. */
  readonly budget?: SendBudget | undefined;
  /** Shortens a failed job's wait for its next receive (queue/retry-later.ts); none: the queue's. */
  readonly retryLater?: RetryLater | undefined;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * Which of `userIds` the reader of a receipt's job has blocked (lambdas/domain/blocked-audience.ts:
   * their sockets are left out). None: nobody is left out.
   */
  readonly blockedBy?: (readerId: string, userIds: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Runs an offline check job (`offline`, jobs.ts): presence.ts `wentOffline`. None: dropped. */
  readonly wentOffline?: (userId: string) => Promise<void>;
  /**
   * Runs a presence recheck job (`recheck`, with its `unmark`, jobs.ts): presence.ts `recheckPresence`.
   * None: dropped.
   */
  readonly recheckPresence?: (userId: string, unmark: boolean | undefined) => Promise<void>;
}

/** A `presence` or `typing` job older than this is dropped (module comment). */
export const EPHEMERAL_MAX_AGE_MS = 10_000;
/**
 * Jobs a `presence` or `typing` job's failing sockets are tried in: the third runs 2 + 4 = 6 s after
 * the first, within EPHEMERAL_MAX_AGE_MS (each retry is a new message: its SentTimestamp is its own,
 * so the age check alone would let a fourth, 14 s late, through).
 */
export const EPHEMERAL_MAX_JOB_ATTEMPTS = 3;

/** The user and state a `presence` frame announces; undefined for any other frame. */
function presenceOf(frame: string): { userId: string; online: boolean } | undefined {
  if (!frame.startsWith(PRESENCE_FRAME)) return undefined;
  try {
    const { userId, online } = JSON.parse(frame) as { userId?: unknown; online?: unknown };
    return typeof userId === 'string' && typeof online === 'boolean' ? { userId, online } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A job its sockets will not get (dropped, or given up on): when it is a `presence` job, a recheck of
 * its user is queued (module comment); throws when that send fails. Whether one was queued.
 */
async function recheckUndelivered(queue: JobQueue | undefined, frame: string): Promise<boolean> {
  const presence = presenceOf(frame);
  if (!presence || !queue) return false;
  await queue.send([planPresenceRecheck(presence.userId, presence.online)], {
    delaySeconds: PRESENCE_RETRY_SECONDS,
  });
  return true;
}

/** Kept at the end of an invocation for queueing the sockets not tried (an SQS call or two). */
export const QUEUEING_RESERVE_MS = 3_000;

/**
 * Jobs a failing socket is tried in before the last one is reported (module comment). With the
 * delays below that is 2 + 4 + 8 + 16 + 32 + 60 + 120 s ≈ 4 minutes: long enough for a Management
 * API throttle or a brief outage to pass, short enough that the event still arrives as news. SQS's
 * receives of the last job then add 100 s (10, 20, 30, 40 s apart) before the dead-letter queue.
 */
export const MAX_JOB_ATTEMPTS = 8;
const RETRY_DELAYS_SECONDS = [2, 4, 8, 16, 32, 60] as const;
/** The longest wait between two jobs (SQS's DelaySeconds allows 900). */
const MAX_RETRY_DELAY_SECONDS = 120;

/** Seconds before the job of the sockets that failed in job `attempt` runs: 2, 4 … 60, then 120. */
export const retryDelaySeconds = (attempt: number): number =>
  RETRY_DELAYS_SECONDS[attempt - 1] ?? MAX_RETRY_DELAY_SECONDS;

/** A receipt's job's sockets (module comment); none for any other job. */
async function receiptSockets(deps: WorkerDeps, job: FanOutJob): Promise<Target[]> {
  if (job.maxSockets === undefined || job.chatId === undefined) return [];
  const listed = await deps.fanOut.directory.someSocketsOfGroup(job.chatId, job.maxSockets, {
    consistent: true,
  });
  const others = (listed ?? []).filter((t) => t.userId !== job.reader);
  if (others.length === 0 || job.reader === undefined || !deps.blockedBy) return others;
  const blocked = await deps.blockedBy(job.reader, [...new Set(others.map((t) => t.userId))]);
  return others.filter((t) => !blocked.has(t.userId));
}

/** A lookup job's users but those its `reader` has blocked (a direct chat's receipt: jobs.ts). */
async function unblockedUsers(deps: WorkerDeps, job: FanOutJob, users: readonly string[]): Promise<string[]> {
  if (job.reader === undefined || !deps.blockedBy) return [...users];
  const blocked = await deps.blockedBy(job.reader, users);
  return users.filter((id) => !blocked.has(id));
}

export async function processFanOutJobs(event: SQSEvent, deps: WorkerDeps): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  const maxAttempts = deps.maxJobAttempts ?? MAX_JOB_ATTEMPTS;
  const jobSize = deps.jobSize ?? DEFAULT_JOB_SIZE;
  const budget = deps.queue ? deps.budget : undefined;
  for (const record of event.Records) {
    const job = decodeJob(record.body);
    if (!job) {
      logger.error('dropping a queue message that is not a fan-out job', { sqsMessageId: record.messageId });
      continue;
    }
    if (job.offline !== undefined || job.recheck !== undefined) {
      try {
        if (job.offline !== undefined) await deps.wentOffline?.(job.offline);
        if (job.recheck !== undefined) await deps.recheckPresence?.(job.recheck, job.unmark);
      } catch (error) {
        logger.error('offline check or presence recheck failed; SQS will deliver it again', {
          sqsMessageId: record.messageId,
          error,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
      continue;
    }
    const sentAt = Number(record.attributes?.SentTimestamp);
    const ageMs = (deps.now ?? Date.now)() - sentAt;
    if (ageMs > EPHEMERAL_MAX_AGE_MS && isEphemeral(job.frame)) {
      try {
        const rechecked = await recheckUndelivered(deps.queue, job.frame);
        logger.warn('dropping a presence or typing job sent too long ago', {
          sqsMessageId: record.messageId,
          ageMs,
          rechecked,
        });
      } catch (error) {
        logger.error('could not queue the recheck of a dropped presence job; SQS will deliver it again', {
          sqsMessageId: record.messageId,
          error,
        });
        await deps.retryLater?.(record);
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
      continue;
    }
    if (!fitsBudget(budget, POST_ATTEMPT_MS)) {
      logger.warn('no time left for a fan-out job: SQS will deliver it again', {
        sqsMessageId: record.messageId,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      const data = new TextEncoder().encode(job.frame);
      const looked = job.users
        ? await deps.fanOut.socketsOf(await unblockedUsers(deps, job, job.users), {
            excludeConnectionId: job.exclude,
          })
        : await receiptSockets(deps, job);
      const targets = [...targetsOf(job), ...looked];
      const { report, failed, deferred } = await deps.fanOut.post(targets, data, job.chatId, budget);
      if (deferred.length > 0 && deps.queue) {
        // Not tried for want of time: the same attempt, at once.
        await deps.queue.send(planJobs(deferred, job.frame, job.chatId, jobSize, job.attempt));
        logger.warn('fan-out job: sockets not tried in time queued again', {
          deferred: deferred.length,
          attempt: job.attempt,
        });
      }
      if (failed.length === 0) continue;
      const ephemeral = isEphemeral(job.frame);
      const last =
        !deps.queue ||
        job.attempt >= (ephemeral ? Math.min(maxAttempts, EPHEMERAL_MAX_JOB_ATTEMPTS) : maxAttempts);
      if (deps.queue && (!last || (!ephemeral && failed.length < targets.length))) {
        // The next attempt; or, on the last, a job of only the failed sockets (the others got it).
        const attempt = last ? job.attempt : job.attempt + 1;
        await deps.queue.send(planJobs(failed, job.frame, job.chatId, jobSize, attempt), {
          delaySeconds: retryDelaySeconds(job.attempt),
        });
        logger.warn('fan-out job: failed sockets queued again', { ...report, attempt: job.attempt });
        continue;
      }
      if (ephemeral) {
        // Worth nothing late: a presence job's user is rechecked instead (module comment).
        const rechecked = await recheckUndelivered(deps.queue, job.frame);
        logger.warn('fan-out job: gave up on a presence or typing job', {
          ...report,
          attempt: job.attempt,
          rechecked,
        });
        continue;
      }
      // Every socket of the last attempt failed: SQS delivers this job again, then moves it to the
      // dead-letter queue (its alarm), where it can be redriven once the Management API answers.
      logger.error(
        'fan-out job: sockets still failing on the last attempt; reported for the dead-letter queue',
        {
          ...report,
          attempt: job.attempt,
          sqsMessageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
        },
      );
      await deps.retryLater?.(record);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    } catch (error) {
      logger.error('fan-out job failed; SQS will deliver it again', {
        sqsMessageId: record.messageId,
        error,
      });
      await deps.retryLater?.(record);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

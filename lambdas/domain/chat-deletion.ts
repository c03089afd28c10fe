/**
 * A deleted chat's steps after its mark, one implementation for `deleteChat` (chats.ts) and for the
 * job that finishes a deletion interrupted after its mark; and a deleted chat's retention, for both
 * and for a last member's leave.
 *
 * `deleteChat` queues the chat's finish job `{ kind: 'finishDeletion', chatId }` on the retention
 * queue before its mark, delayed (`RETENTION_FINISH_DELAY_SECONDS`, 60 s: beyond the request's 10 s),
 * then marks the chat (`deletedAt` on `META`) and runs `finishChatDeletion`. When the job comes, the
 * retention worker reads `META` (`finishInterruptedDeletion`): gone, the deletion finished (and its
 * retention job went before `META` did): nothing to do; there and not marked, the mark never happened
 * (refused, or the request stopped before it): nothing to do; marked, the request stopped between its
 * mark and its last step: the worker runs `finishChatDeletion` itself. A job delivered again then finds
 * `META` gone. Neither a Scan nor an index of marked chats: one delayed message per `deleteChat`.
 *
 * Two rules make every run, however the one before it stopped, finish what that one left:
 * - Members are told before their memberships go. A run reads the members, sends them `chat.deleted`
 *   (the roster, their sockets, is disbanded last), then deletes their memberships: so a membership
 *   that a run finds gone was deleted by a run that had told its member. (After the mark the chat is
 *   NOT_FOUND to everyone already; events are at least once, so a member may be told twice.)
 * - `META` goes last, after the retention job is queued: so a chat without `META` has its job. Only
 *   the run whose transaction deleted the owner's membership (it requires `META`) queues the job, then
 *   deletes `META`; one that finds `META` gone stops there. A run that stops between the two (or whose
 *   transaction landed but answered an error) leaves the marked `META` for the next run, which queues
 *   the job. The partition is so expired once, after every membership went; twice only
 *   when a run stops between its job's send and `META`'s delete, or two runs pass the transaction
 *   at once (an owner's retry racing the finish job): jobs are idempotent.
 *
 * The retention job goes with the finish job's delay (60 s), not at once: writes whose checks passed
 * before the mark may still land after it (a message or reaction allocated before it, within the
 * write deadline: timing.ts; anything a request sent, within its 10 s), and a job that ran first
 * would leave them without a TTL for good. A last member's leave gets the same delay from its
 * `expireLeft` job (safety-net-jobs.ts). Only the fallback without a queue expires at once.
 */

import { mediaBucket } from '../data/media-bucket.ts';
import type { ChatRecord } from '../data/store.ts';
import { REQUEST_RESERVE_MS } from '../fanout/options.ts';
import { currentBudget, fitsBudget, type SendBudget } from '../shared/budget.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { countMetric } from '../shared/metrics.ts';
import { userIdsOf } from './access.ts';
import type { Deps } from './deps.ts';
import {
  deleteUploadMedia,
  type FinishDeletionJob,
  type FinishOutcome,
  type QueuedRetentionJob,
  RETENTION_JOB_VERSION,
} from './retention-jobs.ts';
import { disbandRoster } from './rosters.ts';

/** Epoch seconds of an ISO time: a deleted chat's TTL. */
export const epochSeconds = (at: Date): number => Math.floor(at.getTime() / 1000);

/**
 * Queues the deletion's finish job (delayed by the queue). Without a queue, or when it refuses the
 * job (logged), the deletion goes on without it, as before it existed: it is a safety net for a
 * request that stops after its mark, not a step of the deletion.
 */
export async function queueDeletionFinish(deps: Deps, chatId: string): Promise<void> {
  const queue = deps.retentionQueue;
  if (!queue) return;
  try {
    await withinMs(queue.send({ v: RETENTION_JOB_VERSION, kind: 'finishDeletion', chatId }), firstSendMs());
  } catch (error) {
    logger.error('retention queue unavailable: the deletion goes on without its finish job', {
      chatId,
      error,
    });
  }
}

/**
 * Everything a marked chat's deletion does after the mark, in an order in which no step can skip the
 * next (the rules above): the members read and told; the memberships but the owner's deleted; the
 * owner's membership (and a direct chat's pair pointer) under `META`'s condition; the retention job
 * (the partition expired here when the queue refuses it); `META`; the roster disbanded. A failure
 * throws (the finish job or a retry runs the steps again, from what is still there); run twice at
 * once, both finish and both tell.
 */
export async function finishChatDeletion(
  deps: Deps,
  chat: ChatRecord,
  expiresAt: number,
): Promise<'done' | 'retention-left'> {
  const { chatId } = chat;
  let left = false;
  const { members } = await deps.store.chats.getWithMembers(chatId, { consistent: true });
  if (members.length > 0) {
    await deps.fanOut.toUsers(userIdsOf(members), event('chat.deleted', { chatId }), { chat });
  }
  await deps.store.chats.deleteMembersButOwner(chat, members);
  if ((await deps.store.chats.deleteOwnerAndPointer(chat, members)) === 'deleted') {
    const finish: FinishDeletionJob = { v: RETENTION_JOB_VERSION, kind: 'finishDeletion', chatId };
    // A partition whose expiry is unfinished keeps its marked META: the finish job tries again.
    left = (await retain(deps, chatId, expiresAt, finish)) === 'left';
    if (!left) await deps.store.chats.deleteMeta(chatId);
  }
  await disbandRoster(deps, chat);
  return left ? 'retention-left' : 'done';
}

/**
 * The finish job (retention worker): finishes the chat's deletion if it stopped after its mark. The
 * worker runs it within its invocation (retentionWorker.ts), so when the queue refuses the retention
 * job the partition is expired only as far as the worker's time allows, like a request's; what is
 * left (META kept marked) makes it throw: SQS delivers the finish job again, and after its last
 * receive it lands on the dead-letter queue (alarmed), rather than Lambda stopping the worker
 * mid-page at its timeout.
 */
export async function finishInterruptedDeletion(deps: Deps, chatId: string): Promise<FinishOutcome> {
  const chat = await deps.store.chats.getChat(chatId, { consistent: true });
  if (!chat) return 'gone';
  if (chat.deletedAt === undefined) return 'not-marked';
  logger.warn('finishing a deletion interrupted after its mark', { chatId, deletedAt: chat.deletedAt });
  if ((await finishChatDeletion(deps, chat, epochSeconds(new Date(chat.deletedAt)))) === 'retention-left') {
    throw new Error(`chat ${chatId}: its retention is unfinished and not queued; the finish job goes again`);
  }
  return 'finished';
}

/**
 * A deleted chat's retention (its items' TTL and its media: retention-jobs.ts), for a last member's
 * leave whose `expireLeft` job the queue refused: its job queued (delayed), or when there is no
 * queue or it refuses the job again, what fits in the request expired here (`retain`).
 */
export async function expireDeletedChat(
  deps: Deps,
  chatId: string,
  expiresAt: number,
): Promise<'queued' | 'expired' | 'left'> {
  return retain(deps, chatId, expiresAt, { v: RETENTION_JOB_VERSION, chatId, expiresAt });
}

/** Keys per page when a request expires a partition itself (DynamoDB Local: ~0.3 s a page). */
export const REQUEST_PAGE_SIZE = 100;
/**
 * The time a request's page is given: a page starts only while it can end this long before the
 * invocation's budget does (`REQUEST_RESERVE_MS` before its timeout), which keeps the time to ask the
 * queue again, to delete `META` or log, to disband the roster and to answer.
 */
export const REQUEST_PAGE_MS = 1_000;
/**
 * Kept at the end of the invocation when the queue is asked again after the pages: the time to log,
 * to delete `META` or disband the roster, and to answer.
 */
export const QUEUE_AGAIN_RESERVE_MS = 1_000;
/** Less time left than this for asking the queue again, and it is not asked (SQS answers in tens of ms). */
export const QUEUE_ANSWER_MS = 100;
/**
 * The longest a request waits for the queue to take its finish job, or its retention job the first
 * time (SQS answers in tens of ms; one that hangs keeps a send up to 3 attempts of 2.5 s and their
 * backoff: queue/light-sqs.ts). Within an invocation each also ends `QUEUE_AGAIN_RESERVE_MS` before
 * its end (given `QUEUE_ANSWER_MS` at least); unanswered, the job counts as refused.
 */
export const QUEUE_SEND_MS = 1_500;

/** The time the finish job's send, or the retention job's first, may take (unbounded outside an invocation). */
function firstSendMs(): number | undefined {
  const budget = currentBudget(QUEUE_AGAIN_RESERVE_MS);
  if (!budget) return undefined;
  return Math.min(QUEUE_SEND_MS, Math.max(QUEUE_ANSWER_MS, budget.until - budget.now()));
}

/**
 * A deleted chat's retention: its job queued (delayed: module comment), or when there is no queue or
 * it refuses the job, the partition expired in the request, as far as the invocation's time allows
 * (a chat of thousands of items outruns a request: Lambda would stop it mid-way, with nothing
 * logged and nothing after it done). When that did not finish, the queue is asked again for the
 * whole job (from the start: a page done twice is harmless, and a write that landed after the mark
 * on a page done already gets its TTL too), within the invocation's time but `QUEUE_AGAIN_RESERVE_MS`
 * (`queueRetentionJob`); refused again, or not answering in that time, the chat is `left`: an ERROR line names it
 * and `unfinished`, the job that finishes it once sent to the retention queue, and
 * `RetentionNotQueued` (alarmed) is counted (docs/operations.md, "A deleted chat's retention not
 * queued"). `deleteChat` then keeps its marked `META`, which its finish job (or that job sent by hand)
 * finds.
 */
async function retain(
  deps: Deps,
  chatId: string,
  expiresAt: number,
  unfinished: QueuedRetentionJob,
): Promise<'queued' | 'expired' | 'left'> {
  if (await queueRetentionJob(deps, chatId, expiresAt)) return 'queued';
  if ((await expireInRequest(deps, chatId, expiresAt)) === 'expired') return 'expired';
  if (await queueRetentionJob(deps, chatId, expiresAt, currentBudget(QUEUE_AGAIN_RESERVE_MS)))
    return 'queued';
  logger.error(
    "a deleted chat's retention is unfinished and not queued: send its job to the retention queue",
    {
      chatId,
      job: unfinished,
    },
  );
  countMetric('RetentionNotQueued');
  return 'left';
}

/**
 * Queues the chat's retention job, delayed past the writes in flight at the deletion (module
 * comment): whether it went (not when there is no queue or it refused: logged). Asked the first
 * time, the send gets `firstSendMs` (an unanswered one counts as refused: the pages follow). With a
 * `budget` (asked again, after the pages) the send gets only the time left in it, and is not made with less
 * than `QUEUE_ANSWER_MS` left: an SQS that times out instead of refusing keeps a send up to 3
 * attempts of 2.5 s and their backoff (queue/light-sqs.ts), past the route's timeout, and Lambda
 * would stop the request before `retain`'s error line and metric. A send cut short may still land
 * (the job then runs as well as the logged one would: jobs are idempotent).
 */
async function queueRetentionJob(
  deps: Deps,
  chatId: string,
  expiresAt: number,
  budget?: SendBudget,
): Promise<boolean> {
  const queue = deps.retentionQueue;
  if (!queue) return false;
  const leftMs = budget ? budget.until - budget.now() : firstSendMs();
  if (budget && leftMs !== undefined && leftMs < QUEUE_ANSWER_MS) {
    logger.error('no time left to ask the retention queue again', { chatId, leftMs });
    return false;
  }
  try {
    const sent = queue.send({ v: RETENTION_JOB_VERSION, chatId, expiresAt }, { delayed: true });
    await withinMs(sent, leftMs);
    return true;
  } catch (error) {
    logger.error('retention queue unavailable: expiring the deleted chat in the request', { chatId, error });
    return false;
  }
}

/**
 * `work`, or a TimeoutError once `ms` have passed first (`work` goes on; its failure is dropped);
 * without `ms`, `work`.
 */
async function withinMs(work: Promise<void>, ms: number | undefined): Promise<void> {
  if (ms === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => {});
  try {
    await Promise.race([
      work,
      new Promise<never>((_, fail) => {
        timer = setTimeout(
          () => fail(Object.assign(new Error(`no answer within ${ms} ms`), { name: 'TimeoutError' })),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Expires the partition and deletes its media here, through the retention job's pages, while the
 * invocation's time allows a page (`REQUEST_PAGE_MS`; every page outside an invocation). The chat is
 * deleted already, so a failure is logged and does not fail the deletion (its members are still
 * told): `unfinished`, as when time ran out first.
 */
async function expireInRequest(
  deps: Deps,
  chatId: string,
  expiresAt: number,
): Promise<'expired' | 'unfinished'> {
  const budget = currentBudget(REQUEST_RESERVE_MS);
  try {
    const { count, done } = await deps.store.retention.expireChat(
      chatId,
      expiresAt,
      deleteUploadMedia(() => deps.media ?? mediaBucket(), chatId),
      { limit: REQUEST_PAGE_SIZE, mayStartPage: () => fitsBudget(budget, REQUEST_PAGE_MS) },
    );
    if (done) return 'expired';
    logger.warn('out of time expiring a deleted chat in the request: the rest is left', { chatId, count });
    return 'unfinished';
  } catch (error) {
    logger.error('a deleted chat could not be expired: its items and media are left', { chatId, error });
    return 'unfinished';
  }
}

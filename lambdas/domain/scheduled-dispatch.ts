/**
 * Scheduled messages, the system's side: the sweep that puts due messages on the queue, and the
 * dispatch that sends one at its time, exactly once:
 *
 * 1. a conditional claim (pending → sending, with a lease) lets one dispatcher through; anything
 *    else (sent, failed, cancelled, gone, or held by a live dispatcher) is left alone, which makes
 *    duplicate queue messages and racing dispatchers harmless;
 * 2. the message goes out through `sendMessage`, the same domain path as a client's send, with a
 *    clientMessageId derived from the scheduled id: a second attempt after a crash finds the first
 *    one's message instead of storing another;
 * 3. a conditional completion (sending → sent | failed, guarded by the claim) records the outcome,
 *    and only the dispatcher whose completion succeeded tells the author's sockets.
 *
 * A dispatcher that dies between 1 and 3 leaves `sending`; once its lease runs out the next sweep's
 * queue message lets another take over (step 2 makes that safe).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DUE_SHARDS } from '../data/keys.ts';
import type { Completion, DueRef, ScheduledRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { isChatError } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { sendMessage } from './messages.ts';
import { scheduledView, sendClientMessageId } from './scheduled.ts';
import type { ScheduledDeps } from './scheduled-deps.ts';

/** How long a claim holds: longer than one dispatch can take (the dispatcher times out at 20 s). */
export const DISPATCH_LEASE_MS = 60_000;
/** Attempts that claimed a message before it is given up as failed (`INTERNAL`). */
export const MAX_DISPATCH_ATTEMPTS = 5;
/**
 * A queue message that arrives this early is held until its time (timers round down to the second,
 * so every one arrives up to a second early); an earlier one is put back on the queue.
 */
const MAX_EARLY_WAIT_MS = 2000;
/** `sendMessage` gets no socket to leave out: every socket of the author gets `message.created`. */
const NO_SOCKET = '';

export type DispatchOutcome = 'sent' | 'failed' | 'skipped' | 'requeued';

export async function dispatchScheduled(deps: ScheduledDeps, ref: DueRef): Promise<DispatchOutcome> {
  // The queue message carries the send time (it never changes), so an early one costs no read.
  const early = Date.parse(ref.sendAt) - deps.now().getTime();
  if (early > MAX_EARLY_WAIT_MS) {
    await deps.queue.enqueue([ref], deps.now());
    return 'requeued';
  }
  if (early > 0) await sleep(early);

  const dispatchId = randomBytes(9).toString('base64url');
  const claimed = await deps.store.scheduled.claim(ref, dispatchId, deps.now(), DISPATCH_LEASE_MS);
  if (!claimed) return 'skipped';
  let outcome: Completion;
  try {
    outcome = await publish(deps, claimed);
  } catch (error) {
    // Not an outcome (throttling, an outage): give it back for the next attempt.
    await deps.store.scheduled.release(claimed, dispatchId).catch(() => undefined);
    throw error;
  }
  const at = deps.now();
  if (!(await deps.store.scheduled.complete(claimed, dispatchId, outcome, at))) return 'skipped';
  const scheduled = scheduledView({
    ...claimed,
    status: outcome.status,
    ...(outcome.status === 'sent' ? { messageId: outcome.messageId } : { reason: outcome.reason }),
  });
  const lagMs = at.getTime() - Date.parse(claimed.sendAt);
  logger.info('scheduled message dispatched', {
    scheduledId: claimed.scheduledId,
    status: outcome.status,
    reason: scheduled.reason,
    attempts: claimed.attempts,
    lagMs,
  });
  await deps.fanOut.toUsers(
    [claimed.userId],
    outcome.status === 'sent'
      ? event('scheduled.sent', { scheduled })
      : event('scheduled.failed', { scheduled }),
  );
  return outcome.status;
}

/** Sends a claimed message as its author, or says why it cannot go out. Throws only when it may retry. */
async function publish(deps: ScheduledDeps, record: ScheduledRecord): Promise<Completion> {
  const clientMessageId = sendClientMessageId(record.scheduledId);
  if (record.attempts > 1) {
    // An earlier attempt may have stored the message and died before recording it.
    const messageId = await deps.store.scheduled.findSentMessageId(
      record.chatId,
      record.userId,
      clientMessageId,
    );
    if (messageId) return { status: 'sent', messageId };
    if (record.attempts > MAX_DISPATCH_ATTEMPTS) {
      logger.error('scheduled message given up', {
        scheduledId: record.scheduledId,
        attempts: record.attempts,
      });
      return { status: 'failed', reason: 'INTERNAL' };
    }
  }
  const author: Caller = { userId: record.userId, name: record.authorName };
  try {
    const { message } = await sendMessage(deps, author, {
      chatId: record.chatId,
      text: record.text,
      replyTo: record.replyTo ?? undefined,
      clientMessageId,
      attachments: undefined,
      connectionId: NO_SOCKET,
    });
    return { status: 'sent', messageId: message.messageId };
  } catch (error) {
    if (!isChatError(error)) throw error;
    // The author is no longer a member, or the chat is gone: say which.
    if (error.code === 'NOT_FOUND') {
      const refusal = await whyNot(deps, record);
      if (refusal) return refusal;
    }
    // A request the send path refuses for good (it was valid when scheduled).
    if (error.code === 'BAD_REQUEST' || error.code === 'FORBIDDEN')
      return { status: 'failed', reason: error.code };
    throw error;
  }
}

/** `CHAT_DELETED` or `NOT_MEMBER` when the author can no longer send in the chat. */
async function whyNot(deps: ScheduledDeps, record: ScheduledRecord): Promise<Completion | undefined> {
  const { chat, members } = await deps.store.chats.getWithMembers(record.chatId, { consistent: true });
  if (!chat) return { status: 'failed', reason: 'CHAT_DELETED' };
  if (!members.some((m) => m.userId === record.userId)) return { status: 'failed', reason: 'NOT_MEMBER' };
  return undefined;
}

export interface SweepReport {
  /** Scheduled messages found due within the horizon (and put on the queue). */
  readonly due: number;
  /** How long the oldest of them is overdue (0 when none is): the sweep's view of the lag. */
  readonly overdueMs: number;
}

/**
 * Puts everything due before now + horizon on the queue, each to become visible at its send time:
 * one Query per due-index shard, reading only messages still to go out. A message already on the
 * queue may be put there again (harmless); one that is stuck (a lost queue message, a dispatcher that
 * died) is retried by every sweep until it leaves the index.
 */
export async function sweepDue(deps: ScheduledDeps): Promise<SweepReport> {
  const now = deps.now();
  const before = new Date(now.getTime() + deps.horizonMs).toISOString();
  const shards = Array.from({ length: DUE_SHARDS }, (_, shard) => shard);
  const due = (await Promise.all(shards.map((shard) => deps.store.scheduled.listDue(shard, before)))).flat();
  await deps.queue.enqueue(due, now);
  const oldest = due.reduce((min, ref) => Math.min(min, Date.parse(ref.sendAt)), Number.POSITIVE_INFINITY);
  const overdueMs = Number.isFinite(oldest) ? Math.max(0, now.getTime() - oldest) : 0;
  logger.info('scheduled sweep', { due: due.length, overdueMs });
  return { due: due.length, overdueMs };
}

/**
 * Scheduled messages, the system's side: the dispatch that sends one at its time, exactly once (the
 * sweep that puts due messages on the queue: ./scheduled-sweep.ts):
 *
 * 1. a conditional claim (pending → sending, with a lease) lets one dispatcher through; anything
 *    else (sent, failed, cancelled, gone, or held by a live dispatcher) is left alone, which makes
 *    duplicate queue messages and racing dispatchers harmless;
 * 2. the message goes out through `sendMessage`, the same domain path as a client's send, with a
 *    clientMessageId derived from the scheduled id: a second attempt after a crash finds the first
 *    one's message instead of storing another, and posts it to the members again (the first may
 *    have died before its posts). It does not move the author's read cursor (they have not read
 *    what came since they scheduled it): the message is noted as theirs, never unread for them
 *    (`sender-cursor.ts`);
 * 3. a conditional completion (sending → sent | failed, guarded by the claim) records the outcome,
 *    and only the dispatcher whose completion succeeded tells the author's sockets.
 *
 * A dispatcher that dies between 1 and 3, or fails there for a reason that may pass (an outage, a
 * pre-send hook that could not answer while its fallback is `deny`), leaves
 * `sending` (never `pending` again: its send may have stored the message, which must then not be
 * cancellable); once its lease runs out the queue message's next delivery, or the sweep's, lets
 * another take over (step 2 makes that safe).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Completion, DueRef, ScheduledRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { isChatError } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { countMetric, putMetrics } from '../shared/metrics.ts';
import { announceAgain } from './announce.ts';
import { claimClientId, releaseClaim } from './client-ids.ts';
import { isHookRefusal, refusalSentence } from './hooks.ts';
import { isUploadRefusal } from './media.ts';
import { scheduledView } from './scheduled.ts';
import type { ScheduledDeps } from './scheduled-deps.ts';
import { attachmentIdsOf, releaseUploads, sendIdOf } from './scheduled-media.ts';
import { sendMessage } from './send.ts';
import { ADMITTED } from './send-checks.ts';
import { markSent } from './sender-cursor.ts';

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
/** The author did not send it just now: their read cursor stays (sender-cursor.ts). */
const AS_SCHEDULED = { movesReadCursor: false } as const;

/**
 * `busy`: the completion was cancelled by contention every time (the author's other completions on
 * the pending count, throttling), so nothing was recorded: the claim stays, and the queue message
 * is to come again (the handler reports it failed), as after a thrown error.
 */
export type DispatchOutcome = 'sent' | 'failed' | 'skipped' | 'requeued' | 'busy';

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
  // Anything thrown is not an outcome (throttling, an outage, a send that stored the message and
  // then failed): the claim is kept, so the message cannot be cancelled while it may be out (its
  // uploads' bytes given back under it). Once the lease runs out, the queue message's next delivery
  // or the sweep takes over and first looks for the message.
  const outcome = await publish(deps, claimed);
  const at = deps.now();
  const completed = await deps.store.scheduled.complete(claimed, dispatchId, outcome, at);
  if (completed === 'refused') return 'skipped';
  if (completed === 'busy') return 'busy';
  // What failed to go out gives its uploads back (the claim is still the completed message's).
  if (outcome.status === 'failed') await releaseUploads(deps, claimed, attachmentIdsOf(claimed));
  const scheduled = await scheduledView(deps, {
    ...claimed,
    status: outcome.status,
    ...(outcome.status === 'sent'
      ? { messageId: outcome.messageId }
      : { reason: outcome.reason, detail: outcome.detail }),
  });
  const lagMs = at.getTime() - Date.parse(claimed.sendAt);
  // The lag alarm's metric (lib/scheduled-messages.ts): a metric, so that it survives LOG_LEVEL=WARN.
  putMetrics({ ScheduledDispatchLag: Math.max(0, lagMs) });
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
  const clientMessageId = sendIdOf(record);
  if (record.attempts > 1) {
    // An earlier attempt may have stored the message and died before recording it, or (its lease run
    // out while it still ran) be storing it now: the send path's claim of the clientMessageId, not one
    // read of the client-id index, tells which (`earlierSend`).
    const earlier = await earlierSend(deps, record, clientMessageId);
    if (earlier) return earlier;
    if (record.attempts > MAX_DISPATCH_ATTEMPTS) {
      countMetric('ScheduledGivenUp');
      logger.error('scheduled message given up', {
        scheduledId: record.scheduledId,
        attempts: record.attempts,
      });
      return { status: 'failed', reason: 'INTERNAL' };
    }
  }
  // An administrator deactivated the author (deactivation.ts): nothing goes out as them, even a
  // schedule made, or claimed, while `deactivateUser` was cancelling the others. One key lookup.
  if (await deps.store.deactivations.get(record.userId)) return { status: 'failed', reason: 'DEACTIVATED' };
  const author: Caller = { userId: record.userId, name: record.authorName };
  try {
    const { message } = await sendMessage(
      deps,
      author,
      {
        chatId: record.chatId,
        text: record.text,
        replyTo: record.replyTo ?? undefined,
        clientMessageId,
        // Checked again as the send that claimed them: still there, same size and type.
        attachments: record.attachments?.map((a) => ({ uploadId: a.attachmentId })),
        connectionId: NO_SOCKET,
      },
      ADMITTED,
      AS_SCHEDULED,
    );
    return { status: 'sent', messageId: message.messageId };
  } catch (error) {
    if (!isChatError(error)) throw error;
    // An upload it carries is no longer usable (its bytes or record are gone): it does not go out
    // without it.
    if (isUploadRefusal(error)) return { status: 'failed', reason: 'ATTACHMENT_UNAVAILABLE' };
    // The author is no longer a member, or the chat is gone: say which.
    if (error.code === 'NOT_FOUND') {
      const refusal = await whyNot(deps, record);
      if (refusal) return refusal;
    }
    // The pre-send hook could not answer (timed out, threw, could not be loaded) and its fallback
    // is `deny`: that may pass, so it is tried again, as a thrown error is (at most
    // MAX_DISPATCH_ATTEMPTS, then INTERNAL). The hook's own refusal is final (below).
    if (isHookRefusal(error) && error.unanswered) throw error;
    if (isHookRefusal(error)) {
      // The hook's own refusal: its sentence (cleaned when the hook answered: `refusalSentence`) goes
      // to the author as `detail`, as a send's FORBIDDEN frame gives it. Only a HookRefusal's: no
      // other error's text (an exception's) can reach the author this way.
      logger.info('scheduled message refused by the pre-send hook', {
        scheduledId: record.scheduledId,
        hookReason: error.message,
      });
      return { status: 'failed', reason: 'FORBIDDEN', detail: refusalSentence(error.message) };
    }
    // A request the send path refuses for good (it was valid when scheduled).
    if (error.code === 'BAD_REQUEST' || error.code === 'FORBIDDEN')
      return { status: 'failed', reason: error.code };
    throw error;
  }
}

/**
 * What an earlier attempt did with the message: `sent` when it stored it, else undefined (nothing
 * stored, and nothing can be stored by it any more). It claims the clientMessageId as a send does
 * (`claimClientId`): a holder still storing the message (an attempt whose lease ran out while it
 * ran) is waited for and its message taken as sent; one read of the index would find nothing yet,
 * and this attempt would then fail the message that goes out a moment later (given up, `INTERNAL`,
 * its uploads given back under it), or send it again and be refused by checks that no longer pass
 * (`NOT_MEMBER`, `FORBIDDEN`). A claim it gets (no holder, or a dead one's taken over) is given back
 * for the send that follows. A holder still running after the claim's wait makes this throw
 * (`CONFLICT`): the claim is kept and the message tried again.
 *
 * The message found is posted to the members again: the attempt that stored it may have died before
 * its posts (one still running posts it too: clients drop a messageId they hold).
 */
async function earlierSend(
  deps: ScheduledDeps,
  record: ScheduledRecord,
  clientMessageId: string,
): Promise<Completion | undefined> {
  const resolution = await claimClientId(deps, {
    chatId: record.chatId,
    senderId: record.userId,
    clientMessageId,
  });
  if (resolution.status === 'claimed') {
    await releaseClaim(deps, resolution.claim);
    return undefined;
  }
  const stored = resolution.message;
  // Best effort: the message went out; a failure here must not hold its completion back. The earlier
  // attempt may also have died before noting it as the author's (never unread for them).
  await Promise.all([
    announceAgain(deps, stored),
    markSent(deps, stored, AS_SCHEDULED).catch((error: unknown) =>
      logger.warn('could not note a scheduled message as sent by its author', { error }),
    ),
  ]);
  return { status: 'sent', messageId: stored.messageId };
}

/** `CHAT_DELETED` or `NOT_MEMBER` when the author can no longer send in the chat. */
async function whyNot(deps: ScheduledDeps, record: ScheduledRecord): Promise<Completion | undefined> {
  const { chat, members } = await deps.store.chats.getWithMembers(record.chatId, { consistent: true });
  if (!chat) return { status: 'failed', reason: 'CHAT_DELETED' };
  if (!members.some((m) => m.userId === record.userId)) return { status: 'failed', reason: 'NOT_MEMBER' };
  return undefined;
}

/**
 * Scheduled messages, the author's side: scheduleMessage (listScheduled is `scheduled-list.ts`,
 * cancelScheduled `scheduled-cancel.ts`). Sending them at their time is `scheduled-dispatch.ts`. Only the author ever sees a scheduled message:
 * it lives in the author's partition, so anyone else's lookup finds nothing (NOT_FOUND).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request } from '../contract/index.ts';
import type { Scheduled } from '../contract/objects.ts';
import type { CreateScheduledOutcome } from '../data/scheduled.ts';
import {
  type ChatRecord,
  isFinishedSchedule,
  type ScheduledRecord,
  type StoredAttachment,
  type StoredSchedule,
} from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { loadAsMember, loadMemberAndChat } from './access.ts';
import { refuseBlockedSend } from './blocking.ts';
import type { Deps } from './deps.ts';
import { seqOfMessageId } from './ids.ts';
import { LIMITS } from './limits.ts';
import { isUploadRefusal } from './media.ts';
import type { ScheduledDeps } from './scheduled-deps.ts';
import {
  attachmentIdsOf,
  claimForSchedule,
  releaseUploads,
  scheduledAttachments,
  sendClientMessageId,
} from './scheduled-media.ts';

export { sendClientMessageId, sendIdOf } from './scheduled-media.ts';

const DAY_MS = 24 * 3600 * 1000;
/** Clocks of different functions may disagree this much. */
const CLOCK_MARGIN_MS = 5000;

/** A schedule as the domain takes it: the frame's fields and the socket it came from. */
export interface ScheduleMessageInput extends Request<'scheduleMessage'> {
  /** The author's socket: it gets the ack, so it is left out of `scheduled.created`. */
  readonly connectionId: string;
}

/**
 * A scheduled message as the wire shows it (its attachments' download URLs signed). What is kept of
 * a finished one has no text nor attachments: `""` and none (the message it became has them).
 */
export async function scheduledView(deps: Deps, r: StoredSchedule): Promise<Scheduled> {
  const finished = isFinishedSchedule(r);
  return {
    scheduledId: r.scheduledId,
    chatId: r.chatId,
    text: finished ? '' : r.text,
    attachments: finished ? [] : await scheduledAttachments(deps, r),
    replyTo: r.replyTo ?? null,
    sendAt: r.sendAt,
    status: r.status === 'sending' ? 'pending' : r.status,
    messageId: r.messageId ?? null,
    reason: r.reason ?? null,
    detail: r.detail ?? null,
    createdAt: r.createdAt,
  };
}

/**
 * The id of a schedule: random, or, with a clientMessageId, derived from author, chat and that id,
 * so a repeated request names the same item and the conditional create de-duplicates it.
 */
export function scheduledIdFor(userId: string, chatId: string, clientMessageId: string | undefined): string {
  const bytes = clientMessageId
    ? createHash('sha256').update(`${userId}\u0000${chatId}\u0000${clientMessageId}`).digest().subarray(0, 16)
    : randomBytes(16);
  return `s_${bytes.toString('base64url')}`;
}

/** Why `sendAt` is refused, if it is: it must be in the future and at most 30 days ahead. */
export function sendAtRefusal(sendAt: Date, now: Date): Error | undefined {
  if (sendAt.getTime() <= now.getTime()) {
    return badRequest(
      `"sendAt" must be in the future (it is ${sendAt.toISOString()}; now is ${now.toISOString()}).`,
    );
  }
  if (sendAt.getTime() > now.getTime() + LIMITS.scheduleMaxDaysAhead * DAY_MS) {
    return badRequest(`"sendAt" must be at most ${LIMITS.scheduleMaxDaysAhead} days ahead.`);
  }
  return undefined;
}

/**
 * `chargeAudience`: charges the author's rate limit by the members the send at `sendAt` will reach
 * (the chat's member count, as a sendMessage frame is: rate-limits.ts `membersPerFrame`), once the
 * schedule is stored (a repeat, or one refused, stores nothing and is not charged more). `stored`
 * says whether this request stored it (false: a repeat answered with the schedule made before), so
 * that its text counts against the daily budget once.
 */
export async function scheduleMessage(
  deps: ScheduledDeps,
  caller: Caller,
  input: ScheduleMessageInput,
  chargeAudience: (members: number) => Promise<void> = async () => undefined,
): Promise<{ scheduled: Scheduled; stored: boolean }> {
  const now = deps.now();
  const sendAt = new Date(input.sendAt);
  const scheduledId = scheduledIdFor(caller.userId, input.chatId, input.clientMessageId);
  const refusal = sendAtRefusal(sendAt, now);
  if (refusal) {
    // A retry of a schedule made earlier (same clientMessageId) may come after its sendAt: it is
    // answered with that schedule, whatever its status now. Anything else refused stores nothing.
    const earlier =
      input.clientMessageId === undefined
        ? undefined
        : await deps.store.scheduled.get(caller.userId, scheduledId, { consistent: true });
    if (earlier) return { scheduled: await scheduledView(deps, earlier), stored: false };
    throw refusal;
  }
  const { chat } = await scheduleAccess(deps, caller, input.chatId);
  if (input.replyTo !== undefined) {
    const seq = seqOfMessageId(input.replyTo);
    const target = seq === undefined ? undefined : await deps.store.messages.get(input.chatId, seq);
    if (!target || target.messageId !== input.replyTo) {
      throw badRequest('"replyTo" must be the messageId of a message in this chat.');
    }
  }
  // Checked and claimed as sendMessage does, for the send that goes out at sendAt (the last check:
  // a refused upload writes nothing).
  const sendId = sendClientMessageId(scheduledId, sendAt.toISOString());
  let attachments: StoredAttachment[] | undefined;
  try {
    attachments = await claimForSchedule(deps, caller, input.chatId, sendId, input.attachments);
  } catch (error) {
    // The same clientMessageId with another sendAt: its uploads are held for the earlier request's
    // send. That schedule is the answer, as for any repeat of it.
    const earlier =
      input.clientMessageId !== undefined && isUploadRefusal(error)
        ? await deps.store.scheduled.get(caller.userId, scheduledId, { consistent: true })
        : undefined;
    if (earlier) return { scheduled: await scheduledView(deps, earlier), stored: false };
    throw error;
  }
  const record: ScheduledRecord = {
    scheduledId,
    userId: caller.userId,
    authorName: caller.name,
    chatId: input.chatId,
    text: input.text ?? '',
    replyTo: input.replyTo ?? null,
    ...(attachments ? { attachments } : {}),
    clientMessageId: input.clientMessageId ?? null,
    sendAt: sendAt.toISOString(),
    sendClientMessageId: sendId,
    status: 'pending',
    messageId: null,
    reason: null,
    createdAt: now.toISOString(),
    attempts: 0,
  };
  // An error may come after the commit (a timeout): the uploads stay claimed for this schedule, which
  // a retry with the same clientMessageId finds (or creates) with them; only an answered refusal
  // that no other request can turn into this schedule gives them back.
  let outcome = await createOrFindOwn(deps, record);
  if (outcome.status === 'busy') {
    const busy = conflict('Your scheduled messages were busy; please retry.');
    // A random id: no other request names this schedule, so nothing of it will ever be stored.
    if (input.clientMessageId === undefined) {
      await releaseUploads(deps, record, attachmentIdsOf(record));
      throw busy;
    }
    // Nothing of this request was stored, but an identical one (same clientMessageId, same uploads
    // claimed for the same send) may be what held the items. Stored already, it is the answer. Not
    // yet, it may still commit, a moment after any read: the uploads stay claimed for it, never
    // given back under it (the lifecycle rule would remove its attachments' bytes). The CONFLICT
    // asks for a retry with the same clientMessageId, which finds that schedule or makes it with them.
    const existing = await deps.store.scheduled.get(caller.userId, scheduledId, { consistent: true });
    if (!existing) throw busy;
    outcome = { status: 'duplicate', existing };
  }
  // The SDK retried a create whose first attempt landed (its answer was lost): ours after all.
  if (outcome.status === 'duplicate' && isOwn(outcome.existing, record)) outcome = { status: 'created' };
  if (outcome.status === 'duplicate') {
    // The schedule made the first time holds (or sent) what it carries; anything else this retry
    // claimed goes back.
    const existing = outcome.existing;
    const kept =
      existing.status === 'cancelled' || existing.status === 'failed' ? [] : attachmentIdsOf(existing);
    await releaseUploads(
      deps,
      record,
      attachmentIdsOf(record).filter((id) => !kept.includes(id)),
    );
    return { scheduled: await scheduledView(deps, existing), stored: false };
  }
  if (outcome.status === 'limit') {
    await releaseUploads(deps, record, attachmentIdsOf(record));
    throw badRequest(
      `You have ${LIMITS.scheduledMaxPending} scheduled messages waiting, the most allowed; cancel one or wait until one goes out.`,
    );
  }
  // Due before the sweep's cursor may already be past it: onto the queue now (a margin for clocks).
  // Should that fail, the item is stored all the same and a sweep retries it once it is stuck
  // (late): the schedule is not lost. Its timer counts from now, not from the request's start: the
  // round trips above (a second on a busy day) would make it end that much after sendAt.
  if (sendAt.getTime() < now.getTime() + deps.horizonMs + CLOCK_MARGIN_MS) {
    await deps.queue
      .enqueue(
        [{ userId: record.userId, scheduledId: record.scheduledId, sendAt: record.sendAt }],
        deps.now(),
      )
      .catch((error: unknown) => logger.error('could not enqueue a scheduled message', { error }));
  }
  const scheduled = await scheduledView(deps, record);
  await Promise.all([
    chargeAudience(chat.memberCount),
    deps.fanOut.toUsers([caller.userId], event('scheduled.created', { scheduled }), {
      excludeConnectionId: input.connectionId,
    }),
  ]);
  return { scheduled, stored: true };
}

/**
 * Stores `record` (`scheduled.create`). An error may come after the commit (a timeout, its answer
 * lost after the SDK's retries): the schedule is then read back (consistently), and when it is this
 * request's own record the request answers as having stored it, so that its text and audience are
 * counted (the client's retry is a repeat, stored: false, counted nothing). Should the read fail too,
 * the error stands: that schedule is never counted (docs/security.md, the daily text budget).
 */
async function createOrFindOwn(
  deps: ScheduledDeps,
  record: ScheduledRecord,
): Promise<CreateScheduledOutcome> {
  try {
    return await deps.store.scheduled.create(record, LIMITS.scheduledMaxPending);
  } catch (error) {
    const stored = await deps.store.scheduled
      .get(record.userId, record.scheduledId, { consistent: true })
      .catch(() => undefined);
    if (stored && isOwn(stored, record)) return { status: 'created' };
    throw error;
  }
}

/**
 * Whether a stored schedule is the one this request wrote: the id and the request's own clock
 * (`createdAt`, to the millisecond), as a send compares its messageId. Another request of the same
 * clientMessageId in the same millisecond would pass for it (counted twice: never less).
 */
function isOwn(stored: StoredSchedule, record: ScheduledRecord): boolean {
  return stored.scheduledId === record.scheduledId && stored.createdAt === record.createdAt;
}

/**
 * The chat a schedule goes into, for a caller who must be a member (NOT_FOUND otherwise) and, in a
 * direct chat, not blocked by the other member (FORBIDDEN, as their send is). The caller's membership
 * and `META` by key (one consistent BatchGet, ~2 R), never a group's member list: read on every
 * frame, refused ones included, a group of 1,000's list was ~33 R a frame, unmetered. In a direct
 * chat the other member is the membership's `peerId` (written with every join and leave of the
 * pair, so absent while they have left); a membership without one is read with the chat's two
 * members (a Query of two items), as it may predate `peerId`.
 */
async function scheduleAccess(deps: Deps, caller: Caller, chatId: string): Promise<{ chat: ChatRecord }> {
  const { member, chat } = await loadMemberAndChat(deps, caller, chatId);
  if (chat.kind === 'direct') {
    const head = member.peerId
      ? { chat, members: [member, { userId: member.peerId }] }
      : await loadAsMember(deps, caller, chatId);
    await refuseBlockedSend(deps, caller, head);
  }
  return { chat };
}

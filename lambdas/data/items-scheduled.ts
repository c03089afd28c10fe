/** Item kinds of scheduled messages: the message, the per-user count, the sweep's cursor (items.ts re-exports them). */
import { defineItem, field, type RecordOf } from './item.ts';
import { storedAttachments } from './items-content.ts';
import { dueIndexKeys, keys } from './keys.ts';
/**
 * `sending` is internal: a dispatcher holds the message (a lease, `sendingAt`) while it goes out;
 * clients see it as `pending`.
 */
export const SCHEDULED_STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type ScheduledStatus = (typeof SCHEDULED_STATUSES)[number];

const scheduledFields = {
  scheduledId: field.string,
  /** The author. */
  userId: field.string,
  /** The author's display name when it was scheduled (the send goes out as them). */
  authorName: field.string,
  chatId: field.string,
  text: field.string,
  replyTo: field.nullableString,
  /** The uploads it carries, claimed for it when it was scheduled (absent when none). */
  attachments: storedAttachments,
  /** The schedule's own clientMessageId (de-duplicates scheduleMessage). */
  clientMessageId: field.nullableString,
  /** ISO 8601 UTC, milliseconds: also the due index sort key. */
  sendAt: field.string,
  status: field.oneOf(SCHEDULED_STATUSES, 'pending'),
  messageId: field.nullableString,
  reason: field.nullableString,
  /**
   * With `reason` FORBIDDEN from the pre-send hook: the hook's refusal sentence, cleaned
   * (`refusalSentence`); absent otherwise. Set when it fails, so only a finished one has it.
   */
  detail: field.optionalString,
  createdAt: field.string,
  /**
   * The clientMessageId its send carries (lambdas/domain/scheduled-media.ts); absent on schedules
   * stored before it was recorded, whose send carries `sched_<scheduledId>`.
   */
  sendClientMessageId: field.optionalString,
  /** Dispatch attempts that claimed it. */
  attempts: field.number,
  /** While `sending`: when the dispatcher holding it claimed it, and which one. */
  sendingAt: field.optionalString,
  dispatchId: field.optionalString,
};
/**
 * A scheduled message, in its author's partition, while it is still to go out: it carries the due
 * index keys. Once sent, failed or cancelled it is replaced by a `SCHEDULED_DONE` item (see
 * `ScheduledRepository`); one finished before that item kind existed keeps this item, without the due
 * index keys, until its TTL.
 */
export const SCHEDULED = defineItem({
  itemType: 'scheduled',
  key: (s) => keys.scheduled(s.userId, s.scheduledId),
  fields: scheduledFields,
  derived: (s) =>
    s.status === 'pending' || s.status === 'sending' ? dueIndexKeys(s.scheduledId, s.sendAt) : {},
});
export type ScheduledRecord = RecordOf<typeof scheduledFields>;

/** How a scheduled message ended. */
export const FINISHED_STATUSES = ['sent', 'failed', 'cancelled'] as const;

const finishedFields = {
  scheduledId: field.string,
  userId: field.string,
  chatId: field.string,
  replyTo: field.nullableString,
  /** The ids of the uploads it carried (what a repeated `scheduleMessage` must not give back). */
  attachmentIds: (value: unknown): readonly string[] => (Array.isArray(value) ? value.map(String) : []),
  clientMessageId: field.nullableString,
  sendAt: field.string,
  status: field.oneOf(FINISHED_STATUSES, 'failed'),
  messageId: field.nullableString,
  reason: field.nullableString,
  /** The hook's refusal sentence of a FORBIDDEN one (up to 500 characters), else absent. */
  detail: field.optionalString,
  createdAt: field.string,
  sendClientMessageId: field.optionalString,
  attempts: field.number,
};
/**
 * What is kept of a scheduled message once it went out, failed or was cancelled: its status and
 * ids, not its text nor its attachments (a few hundred bytes, where the message was up to ~17 KB;
 * one the pre-send hook refused keeps the hook's sentence too, at most 500 characters).
 * Finishing one deletes its `SCHED#` item and puts this one in the same transaction, so the
 * `SCHED#` range holds only the ones still to go out (and, for their last 7 days, ones finished
 * before this item kind existed, whose item stayed where it was). It expires through TTL.
 */
export const SCHEDULED_DONE = defineItem({
  itemType: 'scheduledDone',
  key: (s) => keys.scheduledDone(s.userId, s.scheduledId),
  fields: finishedFields,
});
export type FinishedScheduledRecord = RecordOf<typeof finishedFields>;

/** A scheduled message as a lookup finds it: still to go out (or finished in the older layout), or finished. */
export type StoredSchedule = ScheduledRecord | FinishedScheduledRecord;

/** Whether a lookup found what is kept of a finished one (no text, no attachments). */
export const isFinishedSchedule = (s: StoredSchedule): s is FinishedScheduledRecord => 'attachmentIds' in s;

/** How many scheduled messages of a user are still to go out (the per-user cap). */
export const SCHEDULED_COUNT = defineItem({
  itemType: 'scheduledCount',
  key: (c: { readonly userId: string }) => keys.scheduledCount(c.userId),
  fields: { pending: field.number },
});

/** How far the sweep of scheduled messages has enqueued: every due-index entry up to `until`. */
export const SWEEP_CURSOR = defineItem({
  itemType: 'sweepCursor',
  key: (_: Record<string, never>) => keys.sweepCursor(),
  fields: { until: field.string },
});

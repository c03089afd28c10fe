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
 * A scheduled message, in its author's partition. Until it goes out it carries the due index keys;
 * once sent, failed or cancelled it loses them and expires through TTL (see `ScheduledRepository`).
 */
export const SCHEDULED = defineItem({
  itemType: 'scheduled',
  key: (s) => keys.scheduled(s.userId, s.scheduledId),
  fields: scheduledFields,
  derived: (s) =>
    s.status === 'pending' || s.status === 'sending' ? dueIndexKeys(s.scheduledId, s.sendAt) : {},
});
export type ScheduledRecord = RecordOf<typeof scheduledFields>;

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

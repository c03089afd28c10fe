/** Scheduled messages: sent once at `sendAt` as if the author sent them then. */
import * as v from 'valibot';
import { defineAction } from '../action.ts';
import { FIELD, id, isoTime, optional, pageCursor } from '../fields.ts';
import { LIMITS } from '../limits.ts';
import { Scheduled } from '../objects.ts';
import { sendMessage } from './messages.ts';

export const scheduleMessage = defineAction('scheduleMessage', {
  summary: `Send a message at sendAt (future, at most ${LIMITS.scheduleMaxDaysAhead} days ahead; ${LIMITS.scheduledMaxPending} pending per user).`,
  request: v.pipe(
    v.intersect(
      [sendMessage.request, v.object({ sendAt: isoTime })],
      (issue) => issue.issues?.[0]?.message ?? `${FIELD} is invalid.`,
    ),
  ),
  ack: { scheduled: Scheduled },
  events: ['scheduled.created', 'scheduled.sent', 'scheduled.failed'],
});

export const listScheduled = defineAction('listScheduled', {
  summary:
    "The caller's pending scheduled messages, soonest first (optionally of one chat), a page at a time.",
  request: v.object({ chatId: optional(id), cursor: pageCursor('listScheduled') }),
  ack: {
    scheduled: v.array(Scheduled),
    nextCursor: v.pipe(
      v.nullable(v.string()),
      v.description(
        'Pass as cursor for the next page (a page ends where one frame is full); null on the last.',
      ),
    ),
  },
});

export const cancelScheduled = defineAction('cancelScheduled', {
  summary: 'Cancels a pending scheduled message of the caller (CONFLICT once it went out).',
  request: v.object({ scheduledId: id }),
  ack: { scheduled: Scheduled },
  events: ['scheduled.cancelled'],
});

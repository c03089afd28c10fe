/** Actions on the messages of a chat. */
import * as v from 'valibot';
import { defineAction } from '../action.ts';
import { custom } from '../custom.ts';
import { isOneEmoji } from '../emoji.ts';
import {
  bool,
  clientMessageId,
  FIELD,
  id,
  int,
  messageText,
  optional,
  typeMessage,
  withDefault,
} from '../fields.ts';
import { LIMITS } from '../limits.ts';
import { Member, Message, type Reaction } from '../objects.ts';

const seq = int(1, LIMITS.maxSeq);

export const history = defineAction('history', {
  summary: 'A page of messages, ascending by seq: the newest, or before/after a seq.',
  request: v.pipe(
    v.object({
      chatId: id,
      before: optional(seq),
      after: optional(int(0, LIMITS.maxSeq)),
      limit: withDefault(int(1, LIMITS.historyMax), LIMITS.historyDefault),
    }),
    v.check((r) => r.before === undefined || r.after === undefined, 'Use "before" or "after", not both.'),
  ),
  ack: { messages: v.array(Message), hasMore: v.boolean() },
});

export const sendMessage = defineAction('sendMessage', {
  summary: 'Store a message and push message.created to the other sockets of every member.',
  request: v.pipe(
    v.object({
      chatId: id,
      text: v.optional(v.union([messageText(), v.literal('')], firstUnionMessage)),
      clientMessageId: optional(clientMessageId),
      replyTo: optional(id),
      attachments: optional(
        v.pipe(
          v.array(
            v.object({ uploadId: id }, typeMessage('an object {"uploadId": …}')),
            `${FIELD} must be an array of {"uploadId"} objects.`,
          ),
          v.minLength(1, `${FIELD} must hold at least 1 attachment.`),
          v.maxLength(
            LIMITS.attachmentsMax,
            `${FIELD} must hold at most ${LIMITS.attachmentsMax} attachments.`,
          ),
        ),
      ),
    }),
    v.forward(
      v.partialCheck(
        [['text'], ['attachments']],
        (r) => (r.text !== undefined && r.text !== '') || (r.attachments?.length ?? 0) > 0,
        `${FIELD} is required (it may be "" only beside attachments).`,
      ),
      ['text'],
    ),
  ),
  ack: { message: Message, duplicate: v.boolean() },
  events: ['message.created'],
});

/** A union reports its own issue; give the sentence of the first branch that failed instead. */
function firstUnionMessage(issue: v.BaseIssue<unknown>): string {
  const inner = issue.issues?.[0];
  return inner?.message ?? `${FIELD} must be a string.`;
}

export const editMessage = defineAction('editMessage', {
  summary: 'The author changes a message\'s text ("" removes the caption of a message with attachments).',
  request: v.object({
    chatId: id,
    messageId: id,
    // "" only on a message with attachments: the domain checks the stored message (messages.ts).
    text: v.union([messageText(), v.literal('')], firstUnionMessage),
  }),
  ack: { message: Message },
  events: ['message.updated'],
});

export const deleteMessage = defineAction('deleteMessage', {
  summary: 'The author (or an administrator) deletes a message: it keeps its seq, its text becomes "".',
  request: v.object({ chatId: id, messageId: id }),
  ack: { chatId: v.string(), messageId: v.string() },
  events: ['message.deleted'],
});

export const readMessage = defineAction('readMessage', {
  summary: 'Marks this message and all earlier ones as read; the cursor never moves back.',
  request: v.object({ chatId: id, messageId: id }),
  ack: { chatId: v.string(), lastReadSeq: v.number() },
  events: ['message.read'],
});

export const typing = defineAction('typing', {
  summary: 'Tells the other members; writes nothing. Acks only when a requestId was given.',
  request: v.object({ chatId: id, isTyping: withDefault(bool, true) }),
  ack: { chatId: v.string(), isTyping: v.boolean() },
  events: ['typing'],
  reply: 'ack-if-requested',
});

/**
 * What `emoji` may never contain: whitespace, control characters, and format characters (\p{Cf}:
 * among them every bidirectional control, U+202A–U+202E and U+2066–U+2069, zero-width spaces and
 * marks) but the zero-width joiner (U+200D) of ZWJ sequences and the tag characters
 * (U+E0020–U+E007F) of subdivision flags. VS16 (U+FE0F) is a mark, not a format character.
 */
const EMOJI_FORBIDDEN = /[\s\p{Cc}\u202a-\u202e\u2066-\u2069]|(?![\u200d\u{e0020}-\u{e007f}])\p{Cf}/u;

export const react = defineAction('react', {
  summary: "Adds or removes one emoji of the caller's on a message.",
  request: v.pipe(
    v.object({
      chatId: id,
      messageId: id,
      emoji: v.pipe(
        v.string(`${FIELD} must be a string (one emoji).`),
        v.minLength(1, `${FIELD} must not be empty.`),
        custom<string>(
          'max_chars',
          LIMITS.emojiMaxChars,
          (s) => [...s].length <= LIMITS.emojiMaxChars,
          `${FIELD} must be at most ${LIMITS.emojiMaxChars} characters.`,
        ),
        custom<string>(
          'emoji',
          'no spaces, control or format characters (ZWJ, VS16 and tag characters are fine)',
          (s) => s.isWellFormed() && !EMOJI_FORBIDDEN.test(s),
          `${FIELD} must be an emoji.`,
        ),
        v.description(
          'Exactly one emoji (a skin-tone, flag, keycap or ZWJ sequence counts as one), with or without VS16. ' +
            'Removing also takes a reaction stored before this rule.',
        ),
      ),
      remove: withDefault(bool, false),
    }),
    // Only adding needs one emoji: a reaction stored before the rule can still be taken back.
    v.forward(
      v.partialCheck(
        [['emoji'], ['remove']],
        (r) => r.remove || isOneEmoji(r.emoji),
        `${FIELD} must be exactly one emoji, such as "👍".`,
      ),
      ['emoji'],
    ),
  ),
  ack: { message: Message },
  events: ['message.reacted'],
});

export const markDelivered = defineAction('markDelivered', {
  summary: 'Messages up to seq reached the device; the cursor never moves back. Batch it.',
  request: v.object({ chatId: id, seq: int(0, LIMITS.maxSeq) }),
  ack: { chatId: v.string(), lastDeliveredSeq: v.number() },
  events: ['message.delivered'],
});

export const sync = defineAction('sync', {
  summary: 'Every message changed after sinceVer (ascending ver), and the members when they changed.',
  request: v.object({
    chatId: id,
    sinceVer: int(0, LIMITS.maxSeq),
    limit: withDefault(int(1, LIMITS.syncMax), LIMITS.syncDefault),
  }),
  ack: {
    chatId: v.string(),
    messages: v.array(Message),
    members: v.nullable(v.array(Member)),
    memberCount: v.pipe(
      v.number(),
      v.description('How many members the chat has (members lists at most 200 of them).'),
    ),
    lastVer: v.pipe(v.number(), v.description('Call sync again with sinceVer = lastVer.')),
    hasMore: v.boolean(),
    reset: v.pipe(v.boolean(), v.description('sinceVer is older than what is kept: reload with history.')),
  },
});

export type { Reaction };

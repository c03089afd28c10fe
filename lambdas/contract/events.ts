/**
 * Events the server pushes: `{"type": "<event>", ...fields}`. One schema per event, defined once;
 * the domain builds them with `event(type, fields)` (typed by this table), the typed client and the
 * AsyncAPI document read them from here.
 */
import * as v from 'valibot';
import { Chat, Message, Presence, Reaction, Scheduled } from './objects.ts';

const str = v.string();
const int = v.pipe(v.number(), v.integer());
const ver = v.pipe(int, v.description('The chat version this change took.'));

const shape = <const T extends string, F extends v.ObjectEntries>(type: T, summary: string, fields: F) =>
  v.pipe(v.object({ type: v.literal(type), ...fields }), v.title(type), v.description(summary));

export const EVENTS = {
  'chat.created': shape('chat.created', 'A chat was created; to every member.', { chat: Chat }),
  'chat.joined': shape('chat.joined', 'You were added to a chat; to the new members.', { chat: Chat }),
  'chat.deleted': shape('chat.deleted', 'A chat was deleted; to every member.', { chatId: str }),
  'chat.muted': shape(
    'chat.muted',
    'Your mute of a chat was set or cleared (muteChat); to your other sockets (the asking one has the ack).',
    {
      chatId: str,
      mutedUntil: v.pipe(v.nullable(str), v.description('As the ack of muteChat: null when unmuted.')),
    },
  ),
  'member.joined': shape('member.joined', 'Members were added; to the other members.', {
    chatId: str,
    userIds: v.array(str),
    ver,
  }),
  'member.left': shape('member.left', 'A member left or was removed; to the rest and to them.', {
    chatId: str,
    userId: str,
    ver,
  }),
  'message.created': shape('message.created', 'A new message; to every member socket but the sender.', {
    message: Message,
  }),
  'message.updated': shape('message.updated', 'A message was edited.', { message: Message }),
  'message.deleted': shape('message.deleted', 'A message was deleted.', {
    chatId: str,
    messageId: str,
    seq: int,
    ver,
  }),
  'message.read': shape(
    'message.read',
    "A member's read cursor moved; to every member (in a group of more than 200 members or 200 open sockets, to the reader's own sockets only).",
    {
      chatId: str,
      userId: str,
      lastReadSeq: int,
    },
  ),
  'message.reacted': shape('message.reacted', 'A reaction was added or removed.', {
    chatId: str,
    messageId: str,
    seq: int,
    ver,
    userId: str,
    emoji: str,
    removed: v.boolean(),
    reactions: v.array(Reaction),
  }),
  'message.delivered': shape(
    'message.delivered',
    "A member's delivery cursor moved; to the others (to nobody in a group of more than 200 members or 200 open sockets).",
    {
      chatId: str,
      userId: str,
      lastDeliveredSeq: int,
    },
  ),
  typing: shape('typing', 'A member started or stopped typing; to the other members.', {
    chatId: str,
    userId: str,
    isTyping: v.boolean(),
  }),
  presence: shape('presence', 'A user came online or went offline; to users allowed to see it.', {
    ...Presence.entries,
  }),
  'scheduled.created': shape('scheduled.created', "A schedule was made; to the author's other sockets.", {
    scheduled: Scheduled,
  }),
  'scheduled.cancelled': shape(
    'scheduled.cancelled',
    "A schedule was cancelled; to the author's other sockets.",
    {
      scheduled: Scheduled,
    },
  ),
  'scheduled.sent': shape('scheduled.sent', "A scheduled message went out; to the author's sockets.", {
    scheduled: Scheduled,
  }),
  'scheduled.failed': shape(
    'scheduled.failed',
    "A scheduled message could not go out; to the author's sockets.",
    {
      scheduled: Scheduled,
    },
  ),
} as const;

export type EventType = keyof typeof EVENTS;
/** The full frame of an event (with `type`). */
export type EventFrame<T extends EventType = EventType> = {
  [K in T]: v.InferOutput<(typeof EVENTS)[K]>;
}[T];
/** An event's fields (without `type`). */
export type EventFields<T extends EventType> = Omit<v.InferOutput<(typeof EVENTS)[T]>, 'type'>;

/**
 * Who hears of a member's receipt (`message.read`, `message.delivered`). Every receipt fanned out to
 * every member costs about N² posts per message in a group of N (each member marks it delivered and
 * read, and each of those goes to every member): 2 million posts per message at 1,000 members,
 * against 999 for the message itself. So, as the big chat services do (Sendbird sends no read or
 * delivery receipts in its Supergroup channels; Stream Chat throttles read events from 100
 * watchers on and returns the read state of at most 100 members: docs/protocol.md, "Receipts in big
 * groups"), receipts fan out only in a chat that lists every member (a direct chat, or a group of
 * at most `LIMITS.chatMembersMax` members: the Chat's own limit, beyond which no client holds every
 * member's cursors, so none can tell "read by everyone" from them). In a bigger group:
 *
 * - `message.read` goes to the reader's own sockets only (their devices agree on what is unread),
 *   found by one Query of the reader's connections rather than the group's whole roster;
 * - `message.delivered` goes to nobody (it never goes to the reader's own sockets);
 * - the cursors are still stored: `getChat` lists them (docs/protocol.md, Chat).
 */
import type { ChatRecord } from '../data/store.ts';
import { LIMITS } from './limits.ts';

/** Whether a chat's receipts fan out to its members (module comment). */
export const receiptsToMembers = (chat: Pick<ChatRecord, 'kind' | 'memberCount'>): boolean =>
  chat.kind === 'direct' || chat.memberCount <= LIMITS.chatMembersMax;

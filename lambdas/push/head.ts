/**
 * The chat head a message's push is decided on: its members as of the message at least, so that a
 * member removed (or who left) before the message was sent is never pushed its text.
 *
 * What the send path already guarantees: a seq is allocated by an update of `META` that requires the
 * `memberVer` the sender read (sequence.ts), and every membership change sets `memberVer` on `META`
 * in its own transaction (chats.ts). So a change applied before a message's allocation is on `META`
 * before that allocation's `lastSeq`. The head is read eventually consistent (half the price), and
 * such a read may come from a replica that has not applied the latest writes:
 *
 * - `META` shows `lastSeq` at or past the message's seq (the common case: the stream record comes
 *   well after the write): that replica has applied the allocation, so every membership change
 *   before it, and the members the same Query read are at least that new (it reads `META` first:
 *   `getWithMembers`). Nothing more is read.
 * - `META` shows an older `lastSeq`: the read predates the message and may list a member removed
 *   before it. One strongly consistent `GetItem` of `META` says whether the members changed since
 *   the read (`memberVer`). Unchanged: the members read are right. Changed: a big group's are
 *   brought up to date from its member log (member-log.ts: one consistent Query of the entries
 *   between), else (a smaller group, or a gap in the log) the head is read again consistently.
 * - No `META` at all: the replica has not applied the chat's creation yet (a new chat's first
 *   message; a big group's `META` is written after its members), or the chat was deleted since. The
 *   head is read again consistently: no `META` then either, the chat is gone.
 *
 * Mutes and read cursors are fields of the memberships: they are as the read found them, so a mute
 * set a moment before a message may not be seen (best effort, docs/push.md). A block needs nothing
 * here: a direct chat's seq allocation refuses a sender the other member has blocked.
 */
import type { ChatWithMembers } from '../data/chats.ts';
import { logsChanges } from '../data/member-log.ts';
import type { ChatStore } from '../data/store.ts';
import type { Counters } from '../pipeline/metrics.ts';

/** The head of `chatId` with its members as of `seq` or later (module comment); no chat: gone. */
export async function headAsOf(
  store: ChatStore,
  chatId: string,
  seq: number,
  counters: Counters,
): Promise<ChatWithMembers> {
  const read = await store.chats.getWithMembers(chatId);
  const stale = read.chat;
  if (stale && stale.lastSeq >= seq) return read;
  counters.add('PushHeadRechecked');
  // Gone, or not on this replica yet (module comment): only a consistent read can tell.
  if (!stale) return store.chats.getWithMembers(chatId, { consistent: true });
  const current = await store.chats.getChat(chatId, { consistent: true });
  if (!current) return { chat: undefined, members: [] };
  if (current.memberVer === stale.memberVer) return { chat: current, members: read.members };
  if (logsChanges(stale)) {
    const members = await store.chats.membersAt(
      chatId,
      { memberVer: stale.memberVer, members: read.members },
      current.memberVer,
    );
    // The count on `META` checks the replay, as a sender's does (domain/heads.ts).
    if (members && members.length === current.memberCount) return { chat: current, members };
  }
  return store.chats.getWithMembers(chatId, { consistent: true });
}

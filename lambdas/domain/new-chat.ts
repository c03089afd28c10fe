/** The records of a new chat: the chat itself and its members' memberships. */
import type { ChatKind, ChatRecord, MemberRecord, Role } from '../data/store.ts';
import { newChatId } from './ids.ts';

/** A membership of `chat` from its creation (an invite into it: `invitedMember`). */
export function member(chat: ChatRecord, userId: string, role: Role, peerId?: string): MemberRecord {
  return {
    chatId: chat.chatId,
    userId,
    role,
    lastReadSeq: 0,
    lastDeliveredSeq: 0,
    joinedAt: chat.createdAt,
    kind: chat.kind,
    ...(peerId ? { peerId } : {}),
  };
}

/**
 * A new chat. Its creation is version 1, also its members' version (so `sync` from 0 returns the
 * members); a direct chat carries each member's newest own message (`sentSeq`) for read cursors.
 */
export function newChat(
  at: Date,
  kind: ChatKind,
  name: string | null,
  ownerId: string,
  count: number,
  chatId: string = newChatId(),
): ChatRecord {
  const now = at.toISOString();
  return {
    chatId,
    kind,
    name,
    ownerId,
    lastSeq: 0,
    memberCount: count,
    createdAt: now,
    lastActivityAt: now,
    lastVer: 1,
    memberVer: 1,
    lastAllocAt: 0,
    minSyncVer: 0,
    ...(kind === 'direct' ? { sentSeq: {} } : {}),
  };
}

/**
 * A membership of someone invited into an existing group (or back into a direct chat they left) at
 * `joinedAt`: their read and delivered
 * cursors start at the chat's `lastSeq` as read (consistently) before the invite's guarded write, so
 * the history before the invite is neither unread for them nor unread by them for anyone else (a
 * message "read by everyone" stays so). A seq allocated after that read, by a send racing with the
 * invite, is above the cursors and counts as unread. A member invited back starts there too: leaving
 * deleted their old cursors, which were at most the `lastSeq` of then, so this never moves back.
 */
export function invitedMember(chat: ChatRecord, userId: string, joinedAt: string): MemberRecord {
  return {
    ...member(chat, userId, 'member'),
    lastReadSeq: chat.lastSeq,
    lastDeliveredSeq: chat.lastSeq,
    joinedAt,
  };
}

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

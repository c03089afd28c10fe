/** Wire objects of the protocol (Message, Chat, ChatSummary) built from stored records. */
import { LIMITS } from '../contract/limits.ts';
import type { Chat, ChatSummary, Member, Message } from '../contract/objects.ts';
import { byJoined, type ChatRecord, type MemberRecord, type MessageRecord } from '../data/store.ts';

export type MessageView = Message;
export type MemberView = Member;
export type ChatView = Chat;
export type ChatSummaryView = ChatSummary;

export function messageView(m: MessageRecord): Message {
  return {
    chatId: m.chatId,
    messageId: m.messageId,
    seq: m.seq,
    ver: 0,
    senderId: m.senderId,
    text: m.deleted ? '' : m.text,
    replyTo: m.replyTo ?? null,
    clientMessageId: m.clientMessageId ?? null,
    createdAt: m.createdAt,
    editedAt: m.editedAt ?? null,
    deleted: m.deleted,
    attachments: [],
    reactions: [],
  };
}

/**
 * At most `LIMITS.chatMembersMax` members in join order; a bigger group lists its owner first, then
 * the first others by join order. `memberCount` says how many there are.
 */
function listed(chat: ChatRecord, members: readonly MemberRecord[]): MemberRecord[] {
  const sorted = [...members].sort(byJoined);
  if (sorted.length <= LIMITS.chatMembersMax) return sorted;
  const owner = sorted.filter((m) => m.userId === chat.ownerId);
  const others = sorted.filter((m) => m.userId !== chat.ownerId);
  return [...owner, ...others].slice(0, LIMITS.chatMembersMax);
}

export function chatView(chat: ChatRecord, members: readonly MemberRecord[]): Chat {
  return {
    chatId: chat.chatId,
    kind: chat.kind,
    name: chat.name ?? null,
    ownerId: chat.ownerId,
    memberCount: members.length,
    members: listed(chat, members).map((m) => ({
      userId: m.userId,
      role: m.userId === chat.ownerId ? 'owner' : 'member',
      lastReadSeq: m.lastReadSeq,
      lastDeliveredSeq: 0,
      joinedAt: m.joinedAt,
    })),
    lastSeq: chat.lastSeq,
    lastVer: 0,
    createdAt: chat.createdAt,
  };
}

export function chatSummaryView(
  chat: ChatRecord,
  membership: MemberRecord,
  lastMessage: MessageRecord | undefined,
): ChatSummary {
  return {
    chatId: chat.chatId,
    kind: chat.kind,
    name: chat.name ?? null,
    ownerId: chat.ownerId,
    memberCount: chat.memberCount,
    lastSeq: chat.lastSeq,
    lastVer: 0,
    lastMessage: lastMessage ? messageView(lastMessage) : null,
    lastReadSeq: membership.lastReadSeq,
    unreadCount: Math.max(0, chat.lastSeq - membership.lastReadSeq),
    mutedUntil: null,
  };
}

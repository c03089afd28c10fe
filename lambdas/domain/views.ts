/** Wire objects of the protocol (Message, Chat, ChatSummary) built from stored records. */
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
    ver: m.ver,
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
 * A member's read cursor: the stored `lastReadSeq`, and in a direct chat at least the member's own
 * newest message (`sentSeq`, moved by the allocation of that message).
 */
export function effectiveReadSeq(chat: Pick<ChatRecord, 'sentSeq'>, member: MemberRecord): number {
  return Math.max(member.lastReadSeq, chat.sentSeq?.[member.userId] ?? 0);
}

/** The messages after a read cursor: allocated seqs, less the voids among them. */
export function unreadCount(chat: Pick<ChatRecord, 'lastSeq' | 'voidSeqs'>, cursor: number): number {
  let voids = 0;
  for (const seq of chat.voidSeqs ?? []) if (seq > cursor && seq <= chat.lastSeq) voids++;
  return Math.max(0, chat.lastSeq - cursor - voids);
}

export function memberView(chat: ChatRecord, m: MemberRecord): Member {
  return {
    userId: m.userId,
    role: m.userId === chat.ownerId ? 'owner' : 'member',
    lastReadSeq: effectiveReadSeq(chat, m),
    lastDeliveredSeq: m.lastDeliveredSeq,
    joinedAt: m.joinedAt,
  };
}

export function chatView(chat: ChatRecord, members: readonly MemberRecord[]): Chat {
  return {
    chatId: chat.chatId,
    kind: chat.kind,
    name: chat.name ?? null,
    ownerId: chat.ownerId,
    members: [...members].sort(byJoined).map((m) => memberView(chat, m)),
    lastSeq: chat.lastSeq,
    lastVer: chat.lastVer,
    createdAt: chat.createdAt,
  };
}

export function chatSummaryView(
  chat: ChatRecord,
  membership: MemberRecord,
  lastMessage: MessageRecord | undefined,
): ChatSummary {
  const lastReadSeq = effectiveReadSeq(chat, membership);
  return {
    chatId: chat.chatId,
    kind: chat.kind,
    name: chat.name ?? null,
    ownerId: chat.ownerId,
    memberCount: chat.memberCount,
    lastSeq: chat.lastSeq,
    lastVer: chat.lastVer,
    lastMessage: lastMessage ? messageView(lastMessage) : null,
    lastReadSeq,
    unreadCount: unreadCount(chat, lastReadSeq),
    mutedUntil: null,
  };
}

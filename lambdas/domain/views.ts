/** Wire objects of the protocol (Message, Chat, ChatSummary) built from stored records. */
import { byJoined, type ChatRecord, type MemberRecord, type MessageRecord } from '../data/store.ts';

export interface MessageView {
  chatId: string;
  messageId: string;
  seq: number;
  senderId: string;
  text: string;
  replyTo: string | null;
  clientMessageId: string | null;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

export interface MemberView {
  userId: string;
  role: 'owner' | 'member';
  lastReadSeq: number;
  joinedAt: string;
}

export interface ChatView {
  chatId: string;
  kind: 'direct' | 'group';
  name: string | null;
  ownerId: string;
  members: MemberView[];
  lastSeq: number;
  createdAt: string;
}

export interface ChatSummaryView {
  chatId: string;
  kind: 'direct' | 'group';
  name: string | null;
  ownerId: string;
  memberCount: number;
  lastSeq: number;
  lastMessage: MessageView | null;
  lastReadSeq: number;
  unreadCount: number;
}

export function messageView(m: MessageRecord): MessageView {
  return {
    chatId: m.chatId,
    messageId: m.messageId,
    seq: m.seq,
    senderId: m.senderId,
    text: m.deleted ? '' : m.text,
    replyTo: m.replyTo ?? null,
    clientMessageId: m.clientMessageId ?? null,
    createdAt: m.createdAt,
    editedAt: m.editedAt ?? null,
    deleted: m.deleted,
  };
}

export function chatView(chat: ChatRecord, members: readonly MemberRecord[]): ChatView {
  return {
    chatId: chat.chatId,
    kind: chat.kind,
    name: chat.name ?? null,
    ownerId: chat.ownerId,
    members: [...members].sort(byJoined).map((m) => ({
      userId: m.userId,
      role: m.userId === chat.ownerId ? 'owner' : 'member',
      lastReadSeq: m.lastReadSeq,
      joinedAt: m.joinedAt,
    })),
    lastSeq: chat.lastSeq,
    createdAt: chat.createdAt,
  };
}

export function chatSummaryView(
  chat: ChatRecord,
  membership: MemberRecord,
  lastMessage: MessageRecord | undefined,
): ChatSummaryView {
  return {
    chatId: chat.chatId,
    kind: chat.kind,
    name: chat.name ?? null,
    ownerId: chat.ownerId,
    memberCount: chat.memberCount,
    lastSeq: chat.lastSeq,
    lastMessage: lastMessage ? messageView(lastMessage) : null,
    lastReadSeq: membership.lastReadSeq,
    unreadCount: Math.max(0, chat.lastSeq - membership.lastReadSeq),
  };
}

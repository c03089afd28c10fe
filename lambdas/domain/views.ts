/** Wire objects of the protocol (Message, Chat, ChatSummary) built from stored records. */
import type { Attachment, Chat, ChatSummary, Member, Message } from '../contract/objects.ts';
import type { SignedUrl } from '../data/media-bucket.ts';
import {
  byJoined,
  type ChatRecord,
  type MemberRecord,
  type MessageRecord,
  type StoredAttachment,
} from '../data/store.ts';
import { previewText } from './preview.ts';

export type MessageView = Message;
export type MemberView = Member;
export type ChatView = Chat;
export type ChatSummaryView = ChatSummary;

/** Presigned GET URLs of attachments, by attachmentId (`signAttachments` in ./media.ts). */
export type AttachmentLinks = ReadonlyMap<string, SignedUrl>;
const NO_LINKS: AttachmentLinks = new Map();

/**
 * A message as the wire shows it. Its attachments need their URLs in `links` (signed by
 * `signAttachments`/`messageViews` in ./media.ts); an attachment without one is left out. A deleted
 * message shows none.
 */
export function messageView(m: MessageRecord, links: AttachmentLinks = NO_LINKS): Message {
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
    attachments: m.deleted
      ? []
      : (m.attachments ?? []).flatMap((a) => {
          const link = links.get(a.attachmentId);
          return link ? [attachmentView(a, link)] : [];
        }),
    reactions: [],
  };
}

function attachmentView(a: StoredAttachment, link: SignedUrl): Attachment {
  return {
    attachmentId: a.attachmentId,
    kind: a.kind,
    contentType: a.contentType,
    size: a.size,
    fileName: a.fileName,
    url: link.url,
    urlExpiresAt: link.expiresAt,
  };
}

export function chatView(chat: ChatRecord, members: readonly MemberRecord[]): Chat {
  return {
    chatId: chat.chatId,
    kind: chat.kind,
    name: chat.name ?? null,
    ownerId: chat.ownerId,
    members: [...members].sort(byJoined).map((m) => ({
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
  links: AttachmentLinks = NO_LINKS,
): ChatSummary {
  const last = lastMessage && messageView(lastMessage, links);
  return {
    chatId: chat.chatId,
    kind: chat.kind,
    name: chat.name ?? null,
    ownerId: chat.ownerId,
    memberCount: chat.memberCount,
    lastSeq: chat.lastSeq,
    lastVer: 0,
    lastMessage: last ? { ...last, text: previewText(last) } : null,
    lastReadSeq: membership.lastReadSeq,
    unreadCount: Math.max(0, chat.lastSeq - membership.lastReadSeq),
    mutedUntil: null,
  };
}

/**
 * Every item kind of the single table, each declared once: its keys (built in `keys.ts`), its stored
 * fields and how they read back. The record types the rest of the code uses are derived from these
 * declarations.
 */
import { defineItem, field, type RecordOf } from './item.ts';
import { keys, membershipIndexKeys, TTL_ATTRIBUTE } from './keys.ts';

/** Connections live a little past API Gateway's 2-hour hard limit, then TTL removes leftovers. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 10 * 60;

const CHAT_KINDS = ['direct', 'group'] as const;
const ROLES = ['owner', 'member'] as const;
export type ChatKind = (typeof CHAT_KINDS)[number];
export type Role = (typeof ROLES)[number];

const chatKind = field.oneOf(CHAT_KINDS, 'group');

const profileFields = {
  userId: field.string,
  /** Null until the user connected once (or was imported); readers fall back to the user id. */
  name: field.nullableString,
  lastSeenAt: field.nullableString,
};
/** A user's display name and last-seen time. Written field by field (see `ProfileRepository`). */
export const PROFILE = defineItem({
  itemType: 'profile',
  key: (p) => keys.profile(p.userId),
  fields: profileFields,
});
export type ProfileRecord = RecordOf<typeof profileFields>;

const connectionFields = { userId: field.string, connectionId: field.string, connectedAt: field.string };
/** One open socket of a user; expires through TTL shortly after API Gateway's 2-hour limit. */
export const CONNECTION = defineItem({
  itemType: 'connection',
  key: (c) => keys.connection(c.userId, c.connectionId),
  fields: connectionFields,
  derived: (c) => ({
    [TTL_ATTRIBUTE]: Math.floor(Date.parse(c.connectedAt) / 1000) + CONNECTION_TTL_SECONDS,
  }),
});
export type ConnectionRecord = RecordOf<typeof connectionFields>;

const chatFields = {
  chatId: field.string,
  kind: chatKind,
  name: field.nullableString,
  ownerId: field.string,
  /** The seq of the newest message (0 before the first): the chat's optimistic lock. */
  lastSeq: field.number,
  memberCount: field.number,
  createdAt: field.string,
  lastActivityAt: field.string,
};
/** A chat's `META` item. */
export const CHAT = defineItem({ itemType: 'chat', key: (c) => keys.chat(c.chatId), fields: chatFields });
export type ChatRecord = RecordOf<typeof chatFields>;

const memberFields = {
  chatId: field.string,
  userId: field.string,
  role: field.oneOf(ROLES, 'member'),
  lastReadSeq: field.number,
  joinedAt: field.string,
  kind: chatKind,
  /** For direct chats: the other member (presence goes to direct-chat peers). */
  peerId: field.optionalString,
};
/** A membership, also in the membership index (with its immutable `kind` and `peerId`). */
export const MEMBER = defineItem({
  itemType: 'member',
  key: (m) => keys.member(m.chatId, m.userId),
  fields: memberFields,
  derived: (m) => membershipIndexKeys(m.chatId, m.userId),
});
export type MemberRecord = RecordOf<typeof memberFields>;

/** A membership as the membership index holds it (keys, kind and peer only). */
export type MembershipRef = Pick<MemberRecord, 'chatId' | 'userId' | 'kind' | 'peerId'>;

const ATTACHMENT_KINDS = ['image', 'audio', 'video', 'file'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

/** An upload as a message carries it (its bytes are at `mediaKey(chatId, attachmentId)`). */
export interface StoredAttachment {
  /** The uploadId the message was sent with. */
  readonly attachmentId: string;
  readonly kind: AttachmentKind;
  readonly contentType: string;
  readonly size: number;
  readonly fileName: string | null;
}

/** A message's `attachments` list; absent (not an empty list) when it has none. */
function storedAttachments(value: unknown): StoredAttachment[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map((a: Record<string, unknown>) => ({
    attachmentId: field.string(a.attachmentId),
    kind: field.oneOf(ATTACHMENT_KINDS, 'file')(a.kind),
    contentType: field.string(a.contentType),
    size: field.number(a.size),
    fileName: field.nullableString(a.fileName),
  }));
}

const messageFields = {
  chatId: field.string,
  messageId: field.string,
  seq: field.number,
  senderId: field.string,
  text: field.string,
  replyTo: field.nullableString,
  clientMessageId: field.nullableString,
  createdAt: field.string,
  editedAt: field.nullableString,
  deleted: field.flag,
  attachments: storedAttachments,
};
export const MESSAGE = defineItem({
  itemType: 'message',
  key: (m) => keys.message(m.chatId, m.seq),
  fields: messageFields,
});
export type MessageRecord = RecordOf<typeof messageFields>;

/** What a clientMessageId claim is keyed by (not stored as attributes). */
interface ClaimRef {
  readonly chatId: string;
  readonly senderId: string;
  readonly clientMessageId: string;
}
/** A sender's clientMessageId, claimed by the message stored with it (exactly-once sends). */
export const CLIENT_MESSAGE_CLAIM = defineItem({
  itemType: 'clientMessage',
  key: (c: ClaimRef) => keys.clientMessage(c.chatId, c.senderId, c.clientMessageId),
  fields: { seq: field.number, messageId: field.string },
});

/** The users of a direct chat (order-independent key). */
interface PairRef {
  readonly a: string;
  readonly b: string;
}
/** The pointer from a pair of users to their direct chat. */
export const DIRECT_PAIR = defineItem({
  itemType: 'pair',
  key: (p: PairRef) => keys.pair(p.a, p.b),
  fields: { chatId: field.string },
});

/** An upload is claimable this long after it was requested (well inside the lifecycle's day). */
export const UPLOAD_CLAIM_SECONDS = 12 * 60 * 60;
/** Unclaimed upload records expire through TTL after this long (their bytes expire after a day). */
export const UPLOAD_TTL_SECONDS = 3 * 24 * 60 * 60;

const UPLOAD_STATUSES = ['pending', 'used'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

const uploadFields = {
  chatId: field.string,
  uploadId: field.string,
  /** Who requested it: only they may send it. */
  userId: field.string,
  kind: field.oneOf(ATTACHMENT_KINDS, 'file'),
  contentType: field.string,
  size: field.number,
  fileName: field.nullableString,
  createdAt: field.string,
  status: field.oneOf(UPLOAD_STATUSES, 'pending'),
  /** The send that used it (its clientMessageId, or a one-off token): a retry of that send may again. */
  usedBy: field.nullableString,
};
/**
 * A media upload of a chat, from `requestUpload` until a message carries it. A pending one expires
 * through TTL; a used one stays as the chat's record of its media (what deleting the chat deletes).
 */
export const UPLOAD = defineItem({
  itemType: 'upload',
  key: (u) => keys.upload(u.chatId, u.uploadId),
  fields: uploadFields,
  derived: (u) => ({ [TTL_ATTRIBUTE]: Math.floor(Date.parse(u.createdAt) / 1000) + UPLOAD_TTL_SECONDS }),
});
export type UploadRecord = RecordOf<typeof uploadFields>;

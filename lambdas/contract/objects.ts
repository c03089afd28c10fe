/**
 * The objects the server sends (Message, Chat, ChatSummary, …), as schemas. They give the wire types
 * that handlers, domain views, tests and the typed client import, and the AsyncAPI document. The
 * server builds them; it does not validate them at run time.
 */
import * as v from 'valibot';
import { LIMITS } from './limits.ts';

const str = v.string();
const nullableStr = v.nullable(v.string());
const int = v.pipe(v.number(), v.integer());
const time = v.pipe(v.string(), v.description('ISO 8601 UTC time, e.g. 2026-12-01T18:00:00.000Z'));
const nullableTime = v.nullable(time);

export const ChatKind = v.picklist(['direct', 'group']);
export const Role = v.picklist(['owner', 'member']);
export const AttachmentKind = v.picklist(['image', 'audio', 'video', 'file']);
export const Platform = v.picklist(['apns', 'fcm']);
export const ScheduledStatus = v.picklist(['pending', 'sent', 'failed', 'cancelled']);

export const Attachment = v.pipe(
  v.object({
    attachmentId: str,
    kind: AttachmentKind,
    contentType: str,
    size: int,
    fileName: nullableStr,
    url: v.pipe(str, v.description('A short-lived GET URL for the bytes (HTTPS on AWS, HTTP locally).')),
    urlExpiresAt: time,
  }),
  v.title('Attachment'),
);

export const Reaction = v.pipe(
  v.object({
    emoji: str,
    count: v.pipe(int, v.description('Exact number of users with this reaction.')),
    userIds: v.pipe(v.array(str), v.description('Up to 20 of the users who reacted, newest first.')),
  }),
  v.title('Reaction'),
);

export const Message = v.pipe(
  v.object({
    chatId: str,
    messageId: str,
    seq: v.pipe(int, v.description('Position in the chat: positive, strictly increasing per chat.')),
    ver: v.pipe(int, v.description('The chat version of the latest change to this message.')),
    senderId: str,
    text: v.pipe(str, v.description('"" when deleted, or when the message has attachments only.')),
    replyTo: nullableStr,
    clientMessageId: nullableStr,
    createdAt: time,
    editedAt: nullableTime,
    deleted: v.boolean(),
    attachments: v.array(Attachment),
    reactions: v.array(Reaction),
  }),
  v.title('Message'),
);

export const Member = v.pipe(
  v.object({
    userId: str,
    role: Role,
    lastReadSeq: int,
    lastDeliveredSeq: int,
    joinedAt: time,
  }),
  v.title('Member'),
);

/**
 * A direct chat's other member for the one it is sent to: optional, so that the v1 wire (which had
 * none) stays valid; a group never has it.
 */
const peerId = v.optional(
  v.pipe(
    str,
    v.description(
      'Direct chats: the other of the pair (not the one this is sent to), also while they have left it (members then list you alone). Absent in a group, and in a direct chat created before this field existed whose other member has left it.',
    ),
  ),
);

export const Chat = v.pipe(
  v.object({
    chatId: str,
    kind: ChatKind,
    name: nullableStr,
    ownerId: str,
    peerId,
    members: v.pipe(
      v.array(Member),
      v.description(
        `Every member in join order, at most ${LIMITS.chatMembersMax}: a bigger group lists its owner, then the viewer (in chat.joined: those who joined), then the first others by join order (memberCount says how many it has).`,
      ),
    ),
    memberCount: v.pipe(int, v.description('How many members the chat has.')),
    lastSeq: int,
    lastVer: int,
    createdAt: time,
  }),
  v.title('Chat'),
);

export const ChatSummary = v.pipe(
  v.object({
    chatId: str,
    kind: ChatKind,
    name: nullableStr,
    ownerId: str,
    peerId,
    memberCount: int,
    lastSeq: int,
    lastVer: int,
    lastMessage: v.pipe(
      v.nullable(Message),
      v.description('The newest message; its text is a preview of at most 200 characters.'),
    ),
    lastReadSeq: int,
    unreadCount: int,
    mutedUntil: v.pipe(nullableTime, v.description('Far future for "forever"; null when not muted.')),
  }),
  v.title('ChatSummary'),
);

export const Presence = v.pipe(
  v.object({ userId: str, online: v.boolean(), lastSeenAt: nullableTime }),
  v.title('Presence'),
);

export const Upload = v.pipe(
  v.object({
    uploadId: str,
    url: str,
    method: v.literal('PUT'),
    headers: v.pipe(v.record(str, str), v.description('Headers the PUT must carry, exactly.')),
    maxBytes: int,
    expiresAt: time,
  }),
  v.title('Upload'),
);

export const Scheduled = v.pipe(
  v.object({
    scheduledId: str,
    chatId: str,
    text: str,
    attachments: v.array(Attachment),
    replyTo: nullableStr,
    sendAt: time,
    status: ScheduledStatus,
    messageId: nullableStr,
    reason: nullableStr,
    detail: v.pipe(
      nullableStr,
      v.description(
        `With reason FORBIDDEN from the pre-send hook: the hook's sentence, at most ${LIMITS.hookReasonMaxChars} characters, no control characters; null otherwise.`,
      ),
    ),
    createdAt: time,
  }),
  v.title('Scheduled'),
);

export const Device = v.pipe(
  v.object({ deviceId: str, platform: Platform, createdAt: time }),
  v.title('Device'),
);

export const Report = v.pipe(
  v.object({ reportId: str, chatId: str, messageId: str, reporterId: str, reason: str, createdAt: time }),
  v.title('Report'),
);

/**
 * The objects the contract names: `components/schemas` of docs/asyncapi.yaml
 * (scripts/asyncapi/generate.ts) and the client's named interfaces (client/scripts/contract-dts.ts).
 */
export const NAMED_OBJECTS = {
  Message,
  Attachment,
  Reaction,
  Member,
  Chat,
  ChatSummary,
  Presence,
  Upload,
  Scheduled,
  Device,
  Report,
} satisfies Record<string, v.GenericSchema>;

export type Attachment = v.InferOutput<typeof Attachment>;
export type Reaction = v.InferOutput<typeof Reaction>;
export type Message = v.InferOutput<typeof Message>;
export type Member = v.InferOutput<typeof Member>;
export type Chat = v.InferOutput<typeof Chat>;
export type ChatSummary = v.InferOutput<typeof ChatSummary>;
export type Presence = v.InferOutput<typeof Presence>;
export type Upload = v.InferOutput<typeof Upload>;
export type Scheduled = v.InferOutput<typeof Scheduled>;
export type Device = v.InferOutput<typeof Device>;
export type Report = v.InferOutput<typeof Report>;
export type ChatKind = v.InferOutput<typeof ChatKind>;
export type AttachmentKind = v.InferOutput<typeof AttachmentKind>;
export type Platform = v.InferOutput<typeof Platform>;

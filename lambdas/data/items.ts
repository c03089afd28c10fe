/**
 * Every item kind of the single table, each declared once: its keys (built in `keys.ts`), its stored
 * fields and how they read back. The record types the rest of the code uses are derived from these
 * declarations.
 */
import { defineItem, field, type Item, type RecordOf } from './item.ts';
import {
  auditKey,
  blockKey,
  CLIENT_ID_INDEX,
  clientIdSk,
  dueIndexKeys,
  keys,
  membershipIndexKeys,
  reactionKey,
  reportedKey,
  reportKey,
  TTL_ATTRIBUTE,
  VERSION_INDEX,
  verSk,
} from './keys.ts';

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
  derived: (c) => ({ [TTL_ATTRIBUTE]: connectionExpiresAt(c.connectedAt) }),
});
export type ConnectionRecord = RecordOf<typeof connectionFields>;

/** When a connection's record expires (epoch seconds): what TTL removes it after. */
export function connectionExpiresAt(connectedAt: string): number {
  return Math.floor(Date.parse(connectedAt) / 1000) + CONNECTION_TTL_SECONDS;
}

const chatFields = {
  chatId: field.string,
  kind: chatKind,
  name: field.nullableString,
  ownerId: field.string,
  /** The newest allocated seq (0 before the first): an atomic counter (docs/data-model.md). */
  lastSeq: field.number,
  memberCount: field.number,
  createdAt: field.string,
  lastActivityAt: field.string,
  /** The newest allocated version: every change to the chat takes `lastVer + 1`. */
  lastVer: field.number,
  /** The version of the latest membership change (senders' member caches are checked against it). */
  memberVer: field.number,
  /** Epoch ms (the writer's clock) when the latest seq or version allocation was sent. */
  lastAllocAt: field.number,
  /** Seqs that will never hold a message (excluded from unread counts). */
  voidSeqs: field.optionalNumberSet,
  /** Direct chats: each member's newest own message (a read cursor folded into the allocation). */
  sentSeq: field.optionalNumberMap,
  /** `sync` below this version answers `reset` (raised when deleted messages' tombstones expire). */
  minSyncVer: field.number,
  /** Set by `deleteChat` before it removes anything: no member may join from then on (issue 17). */
  deletedAt: field.optionalString,
};
/** A chat's `META` item. */
export const CHAT = defineItem({ itemType: 'chat', key: (c) => keys.chat(c.chatId), fields: chatFields });
export type ChatRecord = RecordOf<typeof chatFields>;

const memberFields = {
  chatId: field.string,
  userId: field.string,
  role: field.oneOf(ROLES, 'member'),
  lastReadSeq: field.number,
  /** Forward-only delivery receipt cursor (`markDelivered`). */
  lastDeliveredSeq: field.number,
  joinedAt: field.string,
  kind: chatKind,
  /** For direct chats: the other member (presence goes to direct-chat peers). */
  peerId: field.optionalString,
  /** No pushes for this chat until then (ISO time; far future for "forever"); absent when not muted. */
  mutedUntil: field.optionalString,
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
  /** The reaction summary (see `REACTION` below); absent when it has none. */
  reactions: storedReactions,
  /** The chat version of the message's latest change. */
  ver: field.number,
  /** Epoch ms (the writer's clock) when the allocation of `ver` was sent (the settle rule). */
  allocAt: field.number,
};
/** A message at `MSG#<seq>`, in the version index and (with a clientMessageId) the client-id index. */
export const MESSAGE = defineItem({
  itemType: 'message',
  key: (m) => keys.message(m.chatId, m.seq),
  fields: messageFields,
  derived: (m) => ({
    [VERSION_INDEX.sortKey]: verSk(m.ver),
    ...(m.clientMessageId ? { [CLIENT_ID_INDEX.sortKey]: clientIdSk(m.senderId, m.clientMessageId) } : {}),
  }),
});
export type MessageRecord = RecordOf<typeof messageFields>;

const voidFields = {
  chatId: field.string,
  seq: field.number,
  void: field.flag,
  /** An upper bound of when the seq was allocated (judging gaps below it). */
  allocAt: field.number,
};
/** A seq that will never hold a message (its writer gave up, or a reader filled an old gap). */
export const VOID = defineItem({
  itemType: 'void',
  key: (v) => keys.message(v.chatId, v.seq),
  fields: voidFields,
});
export type VoidRecord = RecordOf<typeof voidFields>;

/** What `MSG#<seq>` holds: a message or a void. */
export type Slot = { readonly kind: 'message'; readonly message: MessageRecord } | VoidSlot;
type VoidSlot = { readonly kind: 'void'; readonly seq: number; readonly allocAt: number };

/** Reads a `MSG#<seq>` item as a message or a void. */
export function slotOf(item: Item): Slot {
  if (item.void === true) {
    const v = VOID.fromItem(item);
    return { kind: 'void', seq: v.seq, allocAt: v.allocAt };
  }
  return { kind: 'message', message: MESSAGE.fromItem(item) };
}

/** The seq a slot holds. */
export const seqOf = (slot: Slot): number => (slot.kind === 'message' ? slot.message.seq : slot.seq);
/** When the slot's seq (or its latest version) was allocated, epoch ms. */
export const allocAtOf = (slot: Slot): number =>
  slot.kind === 'message' ? slot.message.allocAt : slot.allocAt;

/** What a clientMessageId claim is keyed by (not stored as attributes). */
interface ClaimRef {
  readonly chatId: string;
  readonly senderId: string;
  readonly clientMessageId: string;
}
const claimFields = {
  /** Epoch ms (the claimant's clock): its writes land before `claimedAt` + the claim deadline. */
  claimedAt: field.number,
  /** Random: only the claimant that holds it may release the claim. */
  token: field.string,
};
/**
 * A sender's clientMessageId, claimed before any seq is allocated so that identical sends racing in
 * parallel allocate once (exactly-once sends). The message it stored is found through the
 * client-id index, not through the claim.
 */
export const CLIENT_MESSAGE_CLAIM = defineItem({
  itemType: 'clientMessage',
  key: (c: ClaimRef) => keys.clientMessage(c.chatId, c.senderId, c.clientMessageId),
  fields: claimFields,
});
export type ClaimRecord = RecordOf<typeof claimFields>;
export type { ClaimRef };

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

const PLATFORMS = ['apns', 'fcm'] as const;
export type Platform = (typeof PLATFORMS)[number];

const deviceFields = {
  userId: field.string,
  deviceId: field.string,
  platform: field.oneOf(PLATFORMS, 'apns'),
  token: field.string,
  appId: field.nullableString,
  createdAt: field.string,
};
/** A push device of a user (APNs or FCM token). */
export const DEVICE = defineItem({
  itemType: 'device',
  key: (d) => keys.device(d.userId, d.deviceId),
  fields: deviceFields,
});
export type DeviceRecord = RecordOf<typeof deviceFields>;

/** What a push token's owner item is keyed by: the token itself (hashed into the key, not stored). */
interface TokenRef {
  readonly platform: Platform;
  readonly token: string;
}
const deviceTokenFields = {
  platform: field.oneOf(PLATFORMS, 'apns'),
  userId: field.string,
  deviceId: field.string,
};
/** The owner of a push token: a token belongs to one user and moves to whoever registers it last. */
export const DEVICE_TOKEN = defineItem({
  itemType: 'deviceToken',
  key: (t: TokenRef) => keys.deviceToken(t.platform, t.token),
  fields: deviceTokenFields,
});
export type DeviceTokenRecord = RecordOf<typeof deviceTokenFields>;

const deviceCountFields = { userId: field.string, count: field.number };
/** How many devices a user has: the optimistic lock that keeps the per-user limit under races. */
export const DEVICE_COUNT = defineItem({
  itemType: 'deviceCount',
  key: (c) => keys.deviceCount(c.userId),
  fields: deviceCountFields,
});

/**
 * `sending` is internal: a dispatcher holds the message (a lease, `sendingAt`) while it goes out;
 * clients see it as `pending`.
 */
export const SCHEDULED_STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type ScheduledStatus = (typeof SCHEDULED_STATUSES)[number];

const scheduledFields = {
  scheduledId: field.string,
  /** The author. */
  userId: field.string,
  /** The author's display name when it was scheduled (the send goes out as them). */
  authorName: field.string,
  chatId: field.string,
  text: field.string,
  replyTo: field.nullableString,
  /** The uploads it carries, claimed for it when it was scheduled (absent when none). */
  attachments: storedAttachments,
  /** The schedule's own clientMessageId (de-duplicates scheduleMessage). */
  clientMessageId: field.nullableString,
  /** ISO 8601 UTC, milliseconds: also the due index sort key. */
  sendAt: field.string,
  status: field.oneOf(SCHEDULED_STATUSES, 'pending'),
  messageId: field.nullableString,
  reason: field.nullableString,
  createdAt: field.string,
  /** Dispatch attempts that claimed it. */
  attempts: field.number,
  /** While `sending`: when the dispatcher holding it claimed it, and which one. */
  sendingAt: field.optionalString,
  dispatchId: field.optionalString,
};
/**
 * A scheduled message, in its author's partition. Until it goes out it carries the due index keys;
 * once sent, failed or cancelled it loses them and expires through TTL (see `ScheduledRepository`).
 */
export const SCHEDULED = defineItem({
  itemType: 'scheduled',
  key: (s) => keys.scheduled(s.userId, s.scheduledId),
  fields: scheduledFields,
  derived: (s) =>
    s.status === 'pending' || s.status === 'sending' ? dueIndexKeys(s.scheduledId, s.sendAt) : {},
});
export type ScheduledRecord = RecordOf<typeof scheduledFields>;

/** How many scheduled messages of a user are still to go out (the per-user cap). */
export const SCHEDULED_COUNT = defineItem({
  itemType: 'scheduledCount',
  key: (c: { readonly userId: string }) => keys.scheduledCount(c.userId),
  fields: { pending: field.number },
});

/** How far the sweep of scheduled messages has enqueued: every due-index entry up to `until`. */
export const SWEEP_CURSOR = defineItem({
  itemType: 'sweepCursor',
  key: (_: Record<string, never>) => keys.sweepCursor(),
  fields: { until: field.string },
});

/** One open socket of a group member, as its group's roster lists it (see rosters.ts). */
interface RosterRef {
  readonly chatId: string;
  readonly userId: string;
  readonly connectionId: string;
  /** When the socket's connection record expires (epoch seconds): the entry expires with it. */
  readonly expiresAt: number;
}
/**
 * A roster entry stores its keys and TTL only (everything else is in the sort key): a roster Query
 * is billed by the bytes it reads, and this keeps an entry under 100 bytes.
 */
export const ROSTER_ENTRY = defineItem({
  itemType: 'online',
  key: (e: RosterRef) => keys.rosterEntry(e.chatId, e.userId, e.connectionId),
  fields: {},
  derived: (e) => ({ [TTL_ATTRIBUTE]: e.expiresAt }),
});

/** How long a join marker lives: far above the membership index's propagation delay. */
export const JOIN_MARKER_TTL_SECONDS = 15 * 60;

interface JoinRef {
  readonly userId: string;
  readonly chatId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}
/** "This user just joined this group": read by `$connect`, which cannot read the index consistently. */
export const JOIN_MARKER = defineItem({
  itemType: 'joined',
  key: (j: JoinRef) => keys.joinMarker(j.userId, j.chatId),
  fields: {},
  derived: (j) => ({ [TTL_ATTRIBUTE]: j.expiresAt }),
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

const blockFields = { blockerId: field.string, blockedId: field.string, createdAt: field.string };
/** `blockerId` has blocked `blockedId` (in the blocker's partition: private to them). */
export const BLOCK = defineItem({
  itemType: 'block',
  key: (b) => blockKey(b.blockerId, b.blockedId),
  fields: blockFields,
});
export type BlockRecord = RecordOf<typeof blockFields>;
/**
 * Reactions (issue 14). A message carries its reaction summary (`reactions`: per emoji, in the
 * order first added, the exact count and up to `REACTION_USERS_LISTED` user ids, newest first), so
 * every reader of messages gets it with no extra read; the summary is bounded (at most 20 emoji of
 * 20 ids each), so the item stays small however many react. Who has which emoji is a `REACTION`
 * item per (message, user, emoji): what makes adding or removing one idempotent, and what keeps
 * the count exact past the listed ids.
 */
export const REACTION_USERS_LISTED = 20;

/** One emoji of a message's reaction summary. */
export interface StoredReaction {
  readonly emoji: string;
  readonly count: number;
  /** Newest first, at most `REACTION_USERS_LISTED`. */
  readonly userIds: readonly string[];
}

/** A message's `reactions` list; absent (not an empty list) when it has none. */
function storedReactions(value: unknown): StoredReaction[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map((r: Record<string, unknown>) => ({
    emoji: field.string(r.emoji),
    count: field.number(r.count),
    userIds: Array.isArray(r.userIds) ? r.userIds.map(String) : [],
  }));
}

interface ReactionRef {
  readonly chatId: string;
  readonly seq: number;
  readonly userId: string;
  readonly emoji: string;
}
/** One user's emoji on one message (its keys say everything; it stores when it was added). */
export const REACTION = defineItem({
  itemType: 'reaction',
  key: (r: ReactionRef) => reactionKey(r.chatId, r.seq, r.userId, r.emoji),
  fields: { reactedAt: field.string },
});
export type { ReactionRef };

/** An administrator action that needed the role (removeMember, deleteMessage, deleteChat). */
export const AUDIT_ACTIONS = ['removeMember', 'deleteMessage', 'deleteChat'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const auditFields = {
  auditId: field.string,
  /** ISO 8601 UTC, milliseconds: when it was done (also the partition and sort key). */
  at: field.string,
  /** Who: the administrator's user id. */
  actorId: field.string,
  /** What. */
  action: field.oneOf(AUDIT_ACTIONS, 'deleteChat'),
  /** The target: the chat, and the member or message acted on. */
  chatId: field.string,
  userId: field.nullableString,
  messageId: field.nullableString,
};
/** One administrator action (who, what, when, target); kept (no TTL). See `auditKey`. */
export const AUDIT = defineItem({
  itemType: 'audit',
  key: (a) => auditKey(a.at, a.auditId),
  fields: auditFields,
});
export type AuditRecord = RecordOf<typeof auditFields>;

const reportFields = {
  reportId: field.string,
  chatId: field.string,
  messageId: field.string,
  reporterId: field.string,
  reason: field.string,
  createdAt: field.string,
};
/** A report of a message, for administrators (`listReports`). */
export const REPORT = defineItem({
  itemType: 'report',
  key: (r) => reportKey(r.createdAt, r.reportId),
  fields: reportFields,
});
export type ReportRecord = RecordOf<typeof reportFields>;

interface ReportedRef {
  readonly chatId: string;
  readonly seq: number;
  readonly reporterId: string;
}
/** That a user reported a message, and the report it made (so a second report returns it). */
export const REPORTED = defineItem({
  itemType: 'reported',
  key: (r: ReportedRef) => reportedKey(r.chatId, r.seq, r.reporterId),
  fields: { reportId: field.string, createdAt: field.string },
});
export type { ReportedRef };

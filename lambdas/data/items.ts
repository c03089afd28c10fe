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

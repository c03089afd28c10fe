/**
 * Every item kind of the single table, each declared once: its keys (built in `keys.ts`), its stored
 * fields and how they read back. The record types the rest of the code uses are derived from these
 * declarations. This module holds the chat core (profiles, connections, chats, memberships, messages,
 * voids, clientMessageId claims, direct pairs) and re-exports the other families, each in its own
 * module: items-content (attachments, reaction summaries), items-groups (group keys, rosters, join
 * markers, uploads), items-people (devices, blocks), items-scheduled, items-moderation (reactions, audit,
 * reports). Import from here.
 */
import { defineItem, field, type Item, type RecordOf } from './item.ts';
import {
  CLIENT_ID_INDEX,
  clientIdSk,
  keys,
  membershipIndexKeys,
  TTL_ATTRIBUTE,
  VERSION_INDEX,
  verSk,
} from './keys.ts';

/** Connections live a little past API Gateway's 2-hour hard limit, then TTL removes leftovers. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 10 * 60;

/**
 * How long a socket may be inside its handshake, counted from its `connectedAt` (when the gateway
 * took the upgrade, before the authorizer ran): the authorizer plus `$connect` (API Gateway's
 * integration timeout is 29 s each), with a margin for clocks and whole seconds. Until its `$connect`
 * returns, the Management API answers 410 for the socket, exactly as for a gone one: a record
 * younger than this is never removed on a 410 (`deleteIfSettled` in connections.ts and rosters.ts),
 * and the socket cap's recount counts it as open (socket-liveness.ts).
 */
export const HANDSHAKE_SECONDS = 60;

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
  /**
   * Direct chats: the members the other member has blocked (a mirror of their `BLOCK#` items, kept
   * by the same transactions: `blocks.ts`). The seq allocation refuses them, so a send needs no
   * block read. Never shown to anyone (views list their fields).
   */
  blockedSenders: field.optionalStringSet,
  /** Direct chats whose `blockedSenders` is complete (created, or brought up to date, since it exists). */
  blocksMirrored: field.optionalTrue,
  /**
   * Direct chats: the two of the pair, written with the chat and never changed (a leave keeps it),
   * so each Chat names the other (`peerId`) also while they have left. Chats created before it
   * existed have none (lambdas/domain/views.ts `peerFor`).
   */
  pair: field.optionalStringSet,
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
  /**
   * The member's own messages that went out above `lastReadSeq` without moving it (scheduled
   * messages: `noteSentAhead`): never unread for them. Those at or below the cursor count for nothing.
   */
  sentAhead: field.optionalNumberSet,
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

/** Members in the order they joined (ties by user id), the same in every ack and event. */
export function byJoined(a: MemberRecord, b: MemberRecord): number {
  return a.joinedAt.localeCompare(b.joinedAt) || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);
}

/** A membership as the membership index holds it (keys, kind and peer only). */
export type MembershipRef = Pick<MemberRecord, 'chatId' | 'userId' | 'kind' | 'peerId'>;

import { storedAttachments, storedReactions } from './items-content.ts';

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
  /**
   * Epoch ms: when a duplicate posted the stored message again (lambdas/domain/announce.ts); set
   * once, so that a message is announced again at most once however often it is resent.
   */
  announcedAt: field.optionalNumber,
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

// The other item kinds, by family (each file declares its own; this module is where they are found).
export * from './items-content.ts';
export * from './items-groups.ts';
export * from './items-moderation.ts';
export * from './items-people.ts';
export * from './items-scheduled.ts';

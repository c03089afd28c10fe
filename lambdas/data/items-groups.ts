/** Item kinds of group keys, rosters, join markers and media uploads (items.ts re-exports them). */
import { defineItem, field, type RecordOf } from './item.ts';
import { ATTACHMENT_KINDS } from './items-content.ts';
import { keys, TTL_ATTRIBUTE } from './keys.ts';

/** What a group key is keyed by (not stored as attributes). */
export interface GroupKeyRef {
  readonly userId: string;
  readonly clientChatId: string;
}
const groupKeyFields = {
  /** The group this clientChatId names (chosen when the key was claimed). */
  chatId: field.string,
  /** Epoch ms (the claimant's clock): a pending creation's writes land before this + the deadline. */
  claimedAt: field.number,
  /**
   * Only while a group too big for one transaction is being created: what it is made of, so that a
   * retry completes the same group (its `META` and this flag's removal are one transaction).
   */
  pending: field.optionalTrue,
  /**
   * Set (and `pending` removed) by the safety-net job of a creation that stopped before `META`
   * (`groupKeys.abandon`): the group was never made, its memberships are deleted, and the key is
   * free again for a new creation (with a new chatId).
   */
  abandoned: field.optionalTrue,
  createdAt: field.optionalString,
  name: field.optionalString,
  /** The members besides the creator (a String Set: never empty, for such a group has 98+: 99+ members). */
  memberIds: field.optionalStringSet,
};
/**
 * How long a group key names its group after its last claim: far past any retry of its request (the
 * SDK's createGroup retries for about 24 s; an app may keep the id with a draft across restarts).
 * Then TTL removes it, and the same `clientChatId` creates a new group.
 */
export const GROUP_KEY_TTL_SECONDS = 30 * 24 * 60 * 60;

/**
 * A creator's clientChatId and the group it names: the group of a createChat, or of an invite into
 * a direct chat, happens once per key. Its `ttl` follows `claimedAt` (rewritten by a takeover).
 */
export const GROUP_KEY = defineItem({
  itemType: 'groupKey',
  key: (g: GroupKeyRef) => keys.groupKey(g.userId, g.clientChatId),
  fields: groupKeyFields,
  derived: (g) => ({ [TTL_ATTRIBUTE]: Math.floor(g.claimedAt / 1000) + GROUP_KEY_TTL_SECONDS }),
});
export type GroupKeyRecord = RecordOf<typeof groupKeyFields>;

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
  /** Epoch seconds: the `ttl`, and the head of the sort key (the live markers are one key range). */
  readonly expiresAt: number;
}
/** "This user just joined this group": read by `$connect`, which cannot read the index consistently. */
export const JOIN_MARKER = defineItem({
  itemType: 'joined',
  key: (j: JoinRef) => keys.joinMarker(j.userId, j.chatId, j.expiresAt),
  fields: {},
  derived: (j) => ({ [TTL_ATTRIBUTE]: j.expiresAt }),
});

/** An upload is claimable this long after it was requested (well inside the lifecycle's day). */
export const UPLOAD_CLAIM_SECONDS = 12 * 60 * 60;
/** Unclaimed upload records expire through TTL after this long (their bytes expire after a day). */
export const UPLOAD_TTL_SECONDS = 3 * 24 * 60 * 60;

/**
 * `pending` until a send claims it, `used` while a message carries it (or a send holds it),
 * `deleted` once that message was deleted: never claimable again (its upload URL may still accept a
 * PUT to the emptied key, whose bytes no message can then carry: docs/data-model.md, "Media").
 */
const UPLOAD_STATUSES = ['pending', 'used', 'deleted'] as const;
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
  /**
   * How many times it was given back (used → pending, `uploads.release`); absent before the first.
   * A send claims it only as it read it (`uploads.claim`): one given back meanwhile is read again.
   */
  releases: field.optionalNumber,
  /**
   * A token of the send attempt that claimed it last (`uploads.claim`): an attempt that stored
   * nothing gives it back only if no other attempt of the same send claimed it since (`handOver`).
   */
  claimToken: field.optionalString,
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

/**
 * The one place where keys are built. Every item kind of the single table gets its keys here; the
 * attribute names of the key schema, the membership index and the TTL come from `lib/table.ts`.
 * Keys are prefixed so that item kinds that share a partition sort into clean, queryable ranges:
 *
 * | item              | pk               | sk                          | gsi1pk         | gsi1sk          |
 * |-------------------|------------------|-----------------------------|----------------|-----------------|
 * | user profile      | USER#<userId>    | PROFILE                     |                |                 |
 * | connection        | USER#<userId>    | CONN#<connectionId>         |                |                 |
 * | chat              | CHAT#<chatId>    | META                        |                |                 |
 * | membership        | CHAT#<chatId>    | MEMBER#<userId>             | USER#<userId>  | CHAT#<chatId>   |
 * | message           | CHAT#<chatId>    | MSG#<seq, 12 digits>        |                |                 |
 * | void (no message) | CHAT#<chatId>    | MSG#<seq, 12 digits>        |                |                 |
 * | client message id | CHAT#<chatId>    | CMID#<senderId>#<clientId>  |                |                 |
 * | direct-chat pair  | PAIR#<a>#<b>     | PAIR                        |                |                 |
 * | group key         | USER#<userId>    | CCID#<clientChatId>         |                |                 |
 * | push device       | USER#<userId>    | DEVICE#<deviceId>           |                |                 |
 * | device count      | USER#<userId>    | DEVICES                     |                |                 |
 * | badge counter     | USER#<userId>    | BADGE                       |                |                 |
 * | push token owner  | TOKEN#<platform>#<sha256(token)> | TOKEN       |                |                 |
 * | push mark         | PUSHED#<messageId> | PUSHED                    |                |                 |
 * | roster entry      | ROSTER#<chatId>  | ONLINE#<userId>#<connId>    |                |                 |
 * | join marker       | USER#<userId>    | JOINED#<expiry>#<chatId>    |                |                 |
 * | media upload      | CHAT#<chatId>    | UPLOAD#<uploadId>           |                |                 |
 * | scheduled message | USER#<userId>    | SCHED#<scheduledId>         | (gsi2, while due: see below)     |
 * | finished schedule | USER#<userId>    | SCHEDDONE#<scheduledId>     |                |                 |
 * | pending count     | USER#<userId>    | SCHEDCOUNT                  |                |                 |
 * | block             | USER#<userId>    | BLOCK#<blockedId>           |                |                 |
 * | block count       | USER#<userId>    | BLOCKCOUNT                  |                |                 |
 * | deactivation mark | USER#<userId>    | DEACTIVATED                 |                |                 |
 * | reports of a day  | USER#<userId>    | REPORTDAY#<yyyy-mm-dd>      |                |                 |
 * | report            | REPORTS#<yyyy-mm-dd> | <createdAt>#<reportId>  |                |                 |
 * | audit record      | AUDIT#<yyyy-mm-dd>   | <at>#<auditId>          |                |                 |
 * | sweep cursor      | SWEEP            | CURSOR                      |                |                 |
 *
 * A scheduled message still to go out also carries the due index keys (`gsi2`):
 * `gsi2pk` = `DUE#<shard>` (0…DUE_SHARDS-1, from its id) and `gsi2sk` = its send time (ISO 8601, UTC).
 *
 * Within a chat partition, `MEMBER#…` < `META` < `MSG#…`, so one Query over the range
 * [`MEMBER#`, `META`] reads the chat and all its members at once; `UPLOAD#…` sorts after `MSG#…`, so
 * neither that range nor a history page ever reads an upload.
 *
 * Message items also carry the sort keys of two local secondary indexes (same partition):
 * `lsi1sk` = `VER#<ver, 12 digits>` (the version of the message's latest change: the change feed
 * `sync` reads) and, when sent with one, `lsi2sk` = `CMID#<senderId>#<clientId>` (the message a
 * clientMessageId stored: exactly-once sends). Voids carry neither.
 */

import { createHash } from 'node:crypto';
import { type IndexDefinition, TABLE } from '../../lib/table.ts';
import { LIMITS } from '../contract/limits.ts';

export interface Key {
  readonly pk: string;
  readonly sk: string;
}

/** Digits of the zero-padded seq in a message's sort key. */
const SEQ_DIGITS = String(LIMITS.maxSeq).length;
/** The largest seq a message key can hold (and so the largest seq the protocol accepts). */
export const MAX_SEQ = LIMITS.maxSeq;

/** The membership index (`gsi1`): a user's chats, as `lib/table.ts` defines it. */
export const MEMBERSHIP_INDEX: IndexDefinition = (() => {
  const [index] = TABLE.globalSecondaryIndexes;
  if (!index) throw new Error('lib/table.ts defines no membership index');
  return index;
})();

function localIndex(name: string) {
  const index = TABLE.localSecondaryIndexes.find((i) => i.indexName === name);
  if (!index) throw new Error(`lib/table.ts defines no ${name} index`);
  return index;
}

/** `lsi1`: messages by the version of their latest change. */
export const VERSION_INDEX = localIndex('lsi1');
/** `lsi2`: messages by sender and clientMessageId. */
export const CLIENT_ID_INDEX = localIndex('lsi2');

/** The due index (`gsi2`) of scheduled messages, as `lib/table.ts` defines it. */
export const DUE_INDEX: IndexDefinition = (() => {
  const index = TABLE.globalSecondaryIndexes.find((i) => i.indexName === 'gsi2');
  if (!index) throw new Error('lib/table.ts defines no due index (gsi2)');
  return index;
})();

/**
 * Partitions of the due index. Items spread over them by id, so neither a burst of new schedules nor
 * a burst of sends writes one index partition key (1,000 writes/s each); a sweep queries all of them.
 */
export const DUE_SHARDS = 8;

/** The attribute DynamoDB TTL reads (epoch seconds). */
export const TTL_ATTRIBUTE = TABLE.ttlAttribute;

export const PREFIX = {
  user: 'USER#',
  chat: 'CHAT#',
  connection: 'CONN#',
  member: 'MEMBER#',
  memberChange: 'MLOG#',
  message: 'MSG#',
  clientMessage: 'CMID#',
  clientChat: 'CCID#',
  pair: 'PAIR#',
  scheduled: 'SCHED#',
  /** Not `SCHED#…`: a Query of the waiting ones (`begins_with(sk, 'SCHED#')`) never reads these. */
  scheduledDone: 'SCHEDDONE#',
  due: 'DUE#',
  roster: 'ROSTER#',
  online: 'ONLINE#',
  joined: 'JOINED#',
  version: 'VER#',
  device: 'DEVICE#',
  token: 'TOKEN#',
  pushed: 'PUSHED#',
  upload: 'UPLOAD#',
  limit: 'LIMIT#',
} as const;

/** The partition of the sweep of scheduled messages (one item, its cursor). */
export const SWEEP_PK = 'SWEEP';
/** The one item of the sweep of scheduled messages: how far it has enqueued. */
const SWEEP_CURSOR_KEY: Key = { pk: SWEEP_PK, sk: 'CURSOR' };

/** Fixed sort keys. */
export const SK = {
  profile: 'PROFILE',
  chat: 'META',
  pair: 'PAIR',
  scheduledCount: 'SCHEDCOUNT',
  /** Not `BLOCK#…`: the Query of a user's blocks (`begins_with(sk, 'BLOCK#')`) never reads it. */
  blockCount: 'BLOCKCOUNT',
  /** Sorts between `CONN#…` and `DEVICE#…`: the push planner's one Query (`pushTargets`) reads it. */
  deactivated: 'DEACTIVATED',
  /** The push badge counter (badges.ts): outside every range and prefix a Query of `USER#…` reads. */
  badge: 'BADGE',
} as const;
/** Fixed sort keys of the push items. */
export const DEVICE_SK = { count: 'DEVICES', token: 'TOKEN', pushed: 'PUSHED' } as const;

export const userPk = (userId: string): string => `${PREFIX.user}${userId}`;
export const chatPk = (chatId: string): string => `${PREFIX.chat}${chatId}`;
export const rosterPk = (chatId: string): string => `${PREFIX.roster}${chatId}`;
/** `prefix` and a number of `SEQ_DIGITS` digits, so that keys sort by number. */
export const numbered = (prefix: string, n: number): string =>
  `${prefix}${String(n).padStart(SEQ_DIGITS, '0')}`;
/** The sort-key prefix of one user's entries in a roster. */
export const onlinePrefix = (userId: string): string => `${PREFIX.online}${userId}#`;
export const seqSk = (seq: number): string => numbered(PREFIX.message, seq);
/** A version in the version index (versions use the same 12 digits as seqs). */
export const verSk = (ver: number): string => numbered(PREFIX.version, ver);
/** A member-log entry's sort key (12 digits, like versions: entries sort by version). */
export const memberChangeSk = (ver: number): string => numbered(PREFIX.memberChange, ver);
/**
 * A sender's clientMessageId, as the claim's sort key and the client-id index's sort key. The
 * clientMessageId may hold `#` (lambdas/contract/fields.ts): the sender id before it holds none, so
 * the key names one (sender, clientMessageId) pair, and it is only ever looked up whole.
 */
export const clientIdSk = (senderId: string, clientMessageId: string): string =>
  `${PREFIX.clientMessage}${senderId}#${clientMessageId}`;

export const keys = {
  /** One user's rate-limit window of one action (lambdas/data/rate-limits.ts). */
  rateLimit: (userId: string, action: string): Key => ({ pk: `${PREFIX.limit}${userId}`, sk: action }),
  /** One user's open-socket count (lambdas/data/socket-count.ts), beside their rate-limit windows. */
  socketCount: (userId: string): Key => ({ pk: `${PREFIX.limit}${userId}`, sk: 'SOCKETS' }),
  profile: (userId: string): Key => ({ pk: userPk(userId), sk: SK.profile }),
  connection: (userId: string, connectionId: string): Key => ({
    pk: userPk(userId),
    sk: `${PREFIX.connection}${connectionId}`,
  }),
  chat: (chatId: string): Key => ({ pk: chatPk(chatId), sk: SK.chat }),
  member: (chatId: string, userId: string): Key => ({ pk: chatPk(chatId), sk: `${PREFIX.member}${userId}` }),
  // A big group's membership change of version `ver` (member-log.ts): after `META`, outside the
  // head's Query.
  memberChange: (chatId: string, ver: number): Key => ({ pk: chatPk(chatId), sk: memberChangeSk(ver) }),
  message: (chatId: string, seq: number): Key => ({ pk: chatPk(chatId), sk: seqSk(seq) }),
  clientMessage: (chatId: string, senderId: string, clientMessageId: string): Key => ({
    pk: chatPk(chatId),
    sk: clientIdSk(senderId, clientMessageId),
  }),
  /** A creator's clientChatId: the group it created (group-keys.ts), in the creator's partition. */
  groupKey: (userId: string, clientChatId: string): Key => ({
    pk: userPk(userId),
    sk: `${PREFIX.clientChat}${clientChatId}`,
  }),
  /** The direct-chat pointer of a pair of users (order-independent; ids never contain `#`). */
  pair: (a: string, b: string): Key => {
    const [x, y] = [a, b].sort();
    return { pk: `${PREFIX.pair}${x}#${y}`, sk: SK.pair };
  },
  /** One push device of a user. */
  device: (userId: string, deviceId: string): Key => ({
    pk: userPk(userId),
    sk: `${PREFIX.device}${deviceId}`,
  }),
  /** The number the user's next push shows on the app icon (lambdas/data/badges.ts). */
  badge: (userId: string): Key => ({ pk: userPk(userId), sk: SK.badge }),
  /** How many devices a user has (the guard of the per-user limit). */
  deviceCount: (userId: string): Key => ({ pk: userPk(userId), sk: DEVICE_SK.count }),
  /** Who holds a push token (tokens can be 4 KB long: the key carries their SHA-256). */
  deviceToken: (platform: string, token: string): Key => ({
    pk: `${PREFIX.token}${platform}#${createHash('sha256').update(token).digest('base64url')}`,
    sk: DEVICE_SK.token,
  }),
  /** "This message's notifications went out" (lambdas/data/push-marks.ts): its own partition. */
  pushMark: (messageId: string): Key => ({ pk: `${PREFIX.pushed}${messageId}`, sk: DEVICE_SK.pushed }),
  scheduled: (userId: string, scheduledId: string): Key => ({
    pk: userPk(userId),
    sk: `${PREFIX.scheduled}${scheduledId}`,
  }),
  /** What is kept of a scheduled message once it went out, failed or was cancelled. */
  scheduledDone: (userId: string, scheduledId: string): Key => ({
    pk: userPk(userId),
    sk: `${PREFIX.scheduledDone}${scheduledId}`,
  }),
  scheduledCount: (userId: string): Key => ({ pk: userPk(userId), sk: SK.scheduledCount }),
  blockCount: (userId: string): Key => ({ pk: userPk(userId), sk: SK.blockCount }),
  /** An administrator deactivated this user (lambdas/data/deactivations.ts). */
  deactivated: (userId: string): Key => ({ pk: userPk(userId), sk: SK.deactivated }),
  sweepCursor: (): Key => SWEEP_CURSOR_KEY,
  /** One open socket of a group member, in the group's roster (its own partition, see rosters.ts). */
  rosterEntry: (chatId: string, userId: string, connectionId: string): Key => ({
    pk: rosterPk(chatId),
    sk: `${onlinePrefix(userId)}${connectionId}`,
  }),
  /**
   * A short-lived note in a user's partition that they just joined a group (see rosters.ts). Its
   * expiry (epoch seconds, 12 digits) leads the sort key, so that the live ones are one key range.
   */
  joinMarker: (userId: string, chatId: string, expiresAt: number): Key => ({
    pk: userPk(userId),
    sk: `${numbered(PREFIX.joined, expiresAt)}#${chatId}`,
  }),
  /** A media upload of a chat (requested, then attached to at most one message). */
  upload: (chatId: string, uploadId: string): Key => ({
    pk: chatPk(chatId),
    sk: `${PREFIX.upload}${uploadId}`,
  }),
} as const;

/** The due-index shard of a scheduled message (a stable hash of its id). */
export function dueShard(scheduledId: string): number {
  let hash = 0;
  for (let i = 0; i < scheduledId.length; i++) hash = (hash * 31 + scheduledId.charCodeAt(i)) >>> 0;
  return hash % DUE_SHARDS;
}

export const duePk = (shard: number): string => `${PREFIX.due}${shard}`;

/** The due-index keys a scheduled message carries until it goes out (or fails, or is cancelled). */
export const dueIndexKeys = (scheduledId: string, sendAt: string): Record<string, string> => ({
  [DUE_INDEX.partitionKey]: duePk(dueShard(scheduledId)),
  [DUE_INDEX.sortKey]: sendAt,
});

/** The index keys a membership item carries so that a user's chats are one Query. */
export const membershipIndexKeys = (chatId: string, userId: string): Record<string, string> => ({
  [MEMBERSHIP_INDEX.partitionKey]: userPk(userId),
  [MEMBERSHIP_INDEX.sortKey]: chatPk(chatId),
});

export function stripPrefix(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

/**
 * Blocking (lambdas/data/blocks.ts): one item per (blocker, blocked) pair in the blocker's partition,
 * `USER#<blocker>` / `BLOCK#<blocked>`. "Has X blocked me?" is a key lookup of X's item about me; X's
 * block list is one Query on the `BLOCK#` prefix, in user id order.
 */
export const BLOCK_PREFIX = 'BLOCK#';

export const blockKey = (blockerId: string, blockedId: string): Key => ({
  pk: userPk(blockerId),
  sk: `${BLOCK_PREFIX}${blockedId}`,
});

/**
 * Reactions (issue 14): one user's emoji on one message, in the chat partition:
 * `CHAT#<chatId>` / `REACT#<seq, 12 digits>#<userId>#<emoji>`. `REACT#` sorts after `MSG#` and
 * before `UPLOAD#`, so neither the chat head nor a history page reads one. Read by key only.
 */
export const REACTION_PREFIX = 'REACT#';
export const reactionKey = (chatId: string, seq: number, userId: string, emoji: string): Key => ({
  pk: chatPk(chatId),
  sk: `${numbered(REACTION_PREFIX, seq)}#${userId}#${emoji}`,
});

// Audit records and reports: keys-moderation.ts.

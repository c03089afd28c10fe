/**
 * Named grant sets the route table (lib/routes.ts) composes its entries from: each names why a route
 * needs a table or bucket action, so an entry reads as what the route does.
 */
import type { MediaAction, TableAction } from './route-types.ts';

/** A block change: the pair's pointer (read, then checked) and the mirror on its direct chat's META. */
export const BLOCK_MIRROR: readonly TableAction[] = [
  'dynamodb:GetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:UpdateItem',
];

/** Removes connection records of sockets found gone (410) while posting or probing presence. */
export const DELETE_STALE: readonly TableAction[] = ['dynamodb:DeleteItem:userPartitions'];

/**
 * Every fanning-out route reads the targets' sockets (connection records or a group's roster) and
 * removes stale connections, and their roster entries, found while posting.
 */
export const FAN_OUT: readonly TableAction[] = ['dynamodb:Query', 'dynamodb:DeleteItem:socketPartitions'];

/**
 * Routes that post only to the caller's own other sockets (no chat's roster: `fanOut.toUsers` without
 * a group removes no roster entry): read those sockets and remove the stale ones' records, in `USER#`
 * partitions only.
 */
export const TO_OWN_SOCKETS: readonly TableAction[] = ['dynamodb:Query', ...DELETE_STALE];

/** Roster entries and join markers are put and deleted 25 at a time (lambdas/data/rosters.ts). */
export const ROSTER_WRITES: TableAction = 'dynamodb:BatchWriteItem';

/** A user's chat memberships (presence peers, listChats). */
export const MEMBERSHIPS: TableAction = 'dynamodb:Query:gsi1';

/** A chat's messages by their latest version (sync). */
export const BY_VERSION: TableAction = 'dynamodb:Query:lsi1';

/** A sender's messages by clientMessageId (exactly-once sends). */
export const BY_CLIENT_ID: TableAction = 'dynamodb:Query:lsi2';

/** Readers that meet a settled, empty seq fill it with a void: a transaction of a Put and an Update. */
export const FILL_VOIDS: readonly TableAction[] = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];

/** Presigning download URLs of attachments (views of messages). */
export const SIGN_DOWNLOADS: readonly MediaAction[] = ['s3:GetObject'];

/**
 * The per-user rate limit every route applies (lambdas/shared/rate-limits.ts): a conditional update of
 * the caller's window item, in the `LIMIT#<userId>` partition only. A route that updates items anyway
 * holds UpdateItem on every item, which covers it (lib/chat-table.ts grants no scoped statement then).
 */
export const RATE_LIMIT: TableAction = 'dynamodb:UpdateItem:limitPartitions';

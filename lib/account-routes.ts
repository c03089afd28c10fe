/**
 * The route table's entries for what a user keeps for their own account: push devices
 * (registerDevice, unregisterDevice), blocks (blockUser, unblockUser, listBlocked) and reports
 * (reportMessage, listReports), the administrators' deactivateUser and reactivateUser, and an
 * account's deletion (deleteAccount, deleteUser). Part of `ACTION_ROUTES` in lib/routes.ts, which
 * spreads them in.
 * `satisfies` keeps the table's check: an entry here for a name that is not a contract action fails
 * the type check.
 */
import type { ActionName } from '../lambdas/contract/index.ts';
import { BLOCK_MIRROR } from './route-grants.ts';
import type { ActionRoute } from './route-types.ts';

export const ACCOUNT_ROUTES = {
  registerDevice: {
    tableActions: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    postsEvents: false,
  },
  unregisterDevice: {
    tableActions: ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
    postsEvents: false,
  },
  // A block is one item in the blocker's partition (lambdas/data/blocks.ts): its unblock deletes
  // nothing outside `USER#…` partitions. Both are transactions with the mirror on the pair's direct
  // chat (UpdateItem on its META) and a check of the pair's pointer (GetItem first, then
  // ConditionCheckItem in the transaction). The blocker's count of blocks (the cap's lock) is an
  // UpdateItem in the same transaction; a user without one yet is counted first (Query, then PutItem).
  blockUser: { tableActions: [...BLOCK_MIRROR, 'dynamodb:PutItem', 'dynamodb:Query'], postsEvents: false },
  unblockUser: {
    tableActions: [
      ...BLOCK_MIRROR,
      'dynamodb:DeleteItem:userPartitions',
      'dynamodb:PutItem',
      'dynamodb:Query',
    ],
    postsEvents: false,
  },
  listBlocked: { tableActions: ['dynamodb:Query'], postsEvents: false },
  // BatchGetItem: the caller's membership and the chat's META; GetItem: the message; a report is a
  // transaction of two Puts (the reporter's marker and the report), an UpdateItem (the reporter's
  // count of the day) and a ConditionCheckItem (the chat's META not marked for deletion), and a
  // second report reads the marker back.
  reportMessage: {
    tableActions: [
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
    ],
    postsEvents: false,
  },
  listReports: { tableActions: ['dynamodb:Query'], postsEvents: false },
  // The mark (PutItem; GetItem reads it back on a repeat), the socket count's `deactivatedAt`
  // (UpdateItem: `$connect` refuses the user), the audit record (PutItem); Query: the
  // user's waiting schedules, devices and connections. Each cancel is a transaction (the `SCHED#`
  // item deleted, its `SCHEDDONE#` put, the pending count updated) whose uploads go back (UpdateItem
  // on their records; re-tagged pending); each device removal one of the device, its token owner
  // item (a `TOKEN#…` partition: hence DeleteItem on every partition) and the count. The sockets
  // are closed through the Management API (DeleteConnection). A socket found gone already (410) has
  // its record removed; when it was the user's last, no `$disconnect` will tell their peers they went
  // offline, so the offline check is queued on the fan-out queue (SendMessage), as after any post's 410.
  deactivateUser: {
    tableActions: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    media: ['s3:PutObjectTagging'],
    postsEvents: false,
    uses: ['fanOutQueue'],
  },
  // The mark's delete (in the user's partition; refused, nothing written, on a deleted account's
  // tombstone), the audit record; the socket count's `deactivatedAt` removed (UpdateItem on
  // `LIMIT#…`: the rate limiter's grant covers it).
  reactivateUser: {
    tableActions: ['dynamodb:DeleteItem:userPartitions', 'dynamodb:PutItem'],
    postsEvents: false,
  },
  // An account's deletion (lambdas/domain/account-deletion.ts): deactivateUser's grants for the same
  // steps (schedules, devices, sockets, the fan-out queue for a socket found gone), plus: the
  // tombstone and the socket count's mark (UpdateItem), the profile's and badge counter's deletes
  // (DeleteItem, in the user's partition; the token owner items need it on every partition anyway),
  // the audit record (PutItem), and the account's job sent on the retention queue (SendMessage).
  // deleteAccount's own socket is closed after its ack through the Management API (its record is
  // usually there while the others are closed, so one found gone is the user's last only when the
  // asking socket's record went first: the offline check then queued as for deactivateUser).
  deleteAccount: {
    tableActions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    media: ['s3:PutObjectTagging'],
    postsEvents: false,
    uses: ['fanOutQueue', 'retentionQueue'],
  },
  deleteUser: {
    tableActions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    media: ['s3:PutObjectTagging'],
    postsEvents: false,
    uses: ['fanOutQueue', 'retentionQueue'],
  },
} as const satisfies Partial<Record<ActionName, ActionRoute>>;

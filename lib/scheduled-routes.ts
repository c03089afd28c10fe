/**
 * The route table's entries for scheduled messages (scheduleMessage, listScheduled, cancelScheduled):
 * part of `ACTION_ROUTES` in lib/routes.ts, which spreads them in. `satisfies` keeps the table's check:
 * an entry here for a name that is not a contract action fails the type check.
 */
import type { ActionName } from '../lambdas/contract/index.ts';
import { SIGN_DOWNLOADS, TO_OWN_SOCKETS } from './route-grants.ts';
import type { ActionRoute } from './route-types.ts';

export const SCHEDULED_ROUTES = {
  // With attachments: claims the uploads as sendMessage does (BatchGetItem reads them; the bytes'
  // first bytes, the re-tag as attached, or as pending when a refused schedule gives them back).
  // ConditionCheckItem: the create checks that no finished schedule holds the id (`SCHEDDONE#`).
  // It tells only the caller's other sockets (`scheduled.created`): no roster entry to remove.
  scheduleMessage: {
    tableActions: [
      ...TO_OWN_SOCKETS,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
    ],
    uses: ['scheduledQueue'],
    media: ['s3:GetObject', 's3:PutObjectTagging'],
  },
  // BatchGetItem: the chats' META; one in a chat gone since is failed (a transaction: its `SCHED#`
  // item deleted, in the caller's partition only, its `SCHEDDONE#` item put, the count updated).
  listScheduled: {
    tableActions: [
      'dynamodb:Query',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem:userPartitions',
    ],
    media: SIGN_DOWNLOADS,
    postsEvents: false,
  },
  // Cancelling gives the uploads back: re-tagged pending (the lifecycle expires them again). It
  // deletes the `SCHED#` item (the stale sockets' DeleteItem covers `USER#…`) and puts its
  // `SCHEDDONE#` one. It tells only the caller's other sockets: no roster entry to remove.
  cancelScheduled: {
    tableActions: [...TO_OWN_SOCKETS, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    media: ['s3:GetObject', 's3:PutObjectTagging'],
  },
} as const satisfies Partial<Record<ActionName, ActionRoute>>;

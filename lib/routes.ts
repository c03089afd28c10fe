/**
 * The route table: the single source of truth for the WebSocket API's routes.
 *
 * The CDK stack creates one route and one function per entry; the local gateway loads the same
 * handler modules in-process. Adding a route here is all the wiring a new action needs.
 *
 * Its types are in lib/route-types.ts (re-exported here), the named grant sets its entries use in
 * lib/route-grants.ts, the `$` routes in lib/lifecycle-routes.ts. Two groups of action entries live
 * in sibling modules that `ACTION_ROUTES` spreads in: scheduled messages (lib/scheduled-routes.ts)
 * and a user's own account, devices, blocks and reports (lib/account-routes.ts).
 */
import type { ActionName } from '../lambdas/contract/index.ts';
import { ACCOUNT_ROUTES } from './account-routes.ts';
import { LIFECYCLE_ROUTES } from './lifecycle-routes.ts';
import {
  BY_CLIENT_ID,
  BY_VERSION,
  FAN_OUT,
  FILL_VOIDS,
  MEMBERSHIPS,
  RATE_LIMIT,
  ROSTER_WRITES,
  SIGN_DOWNLOADS,
  TO_OWN_SOCKETS,
} from './route-grants.ts';
import type { ActionRoute, RouteDefinition } from './route-types.ts';
import { SCHEDULED_ROUTES } from './scheduled-routes.ts';

export type {
  MediaAction,
  RouteDefinition,
  RouteResource,
  RouteThrottle,
  TableAction,
  TableItemAction,
} from './route-types.ts';

/** The Lambda REQUEST authorizer guarding `$connect`. */
export const AUTHORIZER = {
  name: 'Authorizer',
  entry: 'lambdas/handlers/authorizer.ts',
  /** Identity source: the `token` query string parameter. */
  queryParameter: 'token',
} as const;

/**
 * One entry per action of the wire contract (lambdas/contract). Each entry lists what the action does
 * to the table; the rate limiter's grant (RATE_LIMIT), which every action route needs, is added to
 * each by `actionRoute`. The type is a Record over the
 * contract's action names, so an action without an entry, or an entry without an action, fails the
 * type check (the spread groups check theirs with `satisfies`). A `planned` action has no handler
 * yet: it is neither deployed nor served locally, and its frames get UNKNOWN_ACTION from `$default`.
 */
export const ACTION_ROUTES: Readonly<Record<ActionName, ActionRoute>> = {
  ping: { tableActions: [], postsEvents: false },
  createChat: {
    // BatchGetItem: a group's members are admitted to its roster from their profiles (who is online).
    tableActions: [
      ...FAN_OUT,
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:BatchWriteItem',
      // The per-user membership cap counts each joiner's memberships (issue 17).
      MEMBERSHIPS,
      // A new direct chat checks its pair's block items in its transaction (blocks' mirror).
      'dynamodb:ConditionCheckItem',
      // A direct chat one of the pair left: bringing them back updates its META (member count,
      // version) in the join's transaction, as invite does (lambdas/domain/joins.ts).
      'dynamodb:UpdateItem',
    ],
    // A group of more than 99 members queues, before its memberships, the delayed job that deletes
    // them should the request stop before META (lambdas/domain/safety-net-jobs.ts).
    uses: ['retentionQueue'],
  },
  listChats: {
    // PutItem/UpdateItem: filling the abandoned top of a chat with voids (a transaction of the two);
    // Query: reading back to the newest message when the top seq holds none (messages.getLastMessages)
    tableActions: [MEMBERSHIPS, 'dynamodb:BatchGetItem', 'dynamodb:Query', ...FILL_VOIDS],
    media: SIGN_DOWNLOADS,
    postsEvents: false,
  },
  getChat: { tableActions: ['dynamodb:Query'], postsEvents: false },
  history: {
    // BatchGetItem: the caller's membership and the chat's META, and an `after` page that reaches
    // the end reads the chat head (its in-flight top)
    tableActions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', ...FILL_VOIDS],
    media: SIGN_DOWNLOADS,
    postsEvents: false,
  },
  sendMessage: {
    // DeleteItem on the table: a send that stored nothing gives its clientMessageId claim back (a
    // `CMID#` item in the chat's partition: lambdas/domain/client-ids.ts); no narrower grant exists,
    // since IAM can scope by partition key only. It covers the fan-out's stale-connection cleanup.
    tableActions: [
      ...FAN_OUT,
      BY_CLIENT_ID,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchGetItem',
      // A direct chat older than the blocks' mirror is brought up to date after a send (a
      // transaction checking the pair's block items: lambdas/domain/block-mirror.ts).
      'dynamodb:ConditionCheckItem',
    ],
    // Reads the first bytes of each upload, re-tags it as attached, presigns download URLs.
    media: ['s3:GetObject', 's3:PutObjectTagging'],
  },
  // BatchGetItem (editMessage, deleteMessage, readMessage, typing, react): in a big group whose head
  // the container holds, the caller's membership and the chat's META (lambdas/domain/heads.ts); for
  // readMessage and typing also the caller's block items when their list is long (their receipt and
  // typing never reach those they blocked: lambdas/domain/blocked-audience.ts).
  editMessage: {
    tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
    media: SIGN_DOWNLOADS,
  },
  // PutItem (here, in removeMember and in deleteChat): the audit record of an administrator's action
  // (removeMember and invite also put a big group's member-log entry: lambdas/data/member-log.ts).
  // DeleteItem: in a full chat, the upload records of the message's deleted objects
  // (`uploads.forgetDeleted`: they can take neither their mark nor their TTL).
  deleteMessage: {
    tableActions: [
      ...FAN_OUT,
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:UpdateItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
    ],
    media: ['s3:DeleteObject'],
  },
  readMessage: {
    tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
  },
  // GetItem: in a direct chat older than the blocks' mirror, whether the other member blocked the typer.
  typing: {
    tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:BatchGetItem'],
    // No route throttle of its own: a route throttle is one budget for every client, so one flooding
    // client (or a few hundred people typing at once) would silence everyone's typing. The per-user
    // limit (60 a minute) and the stage default bound it (docs/security.md, "Rate limits").
  },
  invite: {
    tableActions: [
      ...FAN_OUT,
      // GetItem: a repeated invite reads again whether those it admitted are still members.
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      ROSTER_WRITES,
      MEMBERSHIPS, // the per-user membership cap (issue 17)
    ],
  },
  // Removing a member deletes its membership item (and the chat's items with the last member).
  // GetItem and BatchGetItem: after dropping the member's roster entries it reads the membership
  // again, and a member invited back meanwhile is admitted again (their profile: who is online).
  removeMember: {
    tableActions: [
      'dynamodb:Query',
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:UpdateItem',
      ROSTER_WRITES,
      'dynamodb:PutItem',
    ],
    // The last member's leave deletes the chat: its retention job, as deleteChat's (and, if the
    // queue refuses it, its pages here: Query + UpdateItem above, DeleteObject on its media).
    uses: ['retentionQueue'],
    media: ['s3:DeleteObject'],
  },
  deleteChat: {
    // UpdateItem: the deletion mark on META that excludes a concurrent invite (issue 17).
    // ConditionCheckItem: the owner's membership goes in a transaction that requires META, which
    // goes alone after the retention job is queued (lambdas/domain/chat-deletion.ts).
    tableActions: [
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:PutItem',
      'dynamodb:ConditionCheckItem',
    ],
    // The chat's retention job (it deletes the chat's media and expires its items off the request).
    // If the queue refuses it, the request does the job's pages itself: Query + UpdateItem above, and
    // DeleteObject on the objects its upload records name (test/security/deleted-chat-media-inline.test.ts).
    uses: ['retentionQueue'],
    media: ['s3:DeleteObject'],
  },
  // MEMBERSHIPS: who shares a chat with the caller (presence privacy, lambdas/domain/presence-privacy.ts).
  getPresence: {
    tableActions: [MEMBERSHIPS, 'dynamodb:BatchGetItem', 'dynamodb:Query'],
    postsEvents: false,
  },
  muteChat: {
    // BatchGetItem: the caller's membership and the chat's META (lambdas/domain/access.ts). It tells
    // only the caller's other sockets (`chat.muted`): no roster entry to remove.
    tableActions: [...TO_OWN_SOCKETS, 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
  },
  requestUpload: {
    // BatchGetItem: the caller's membership and the chat's META (lambdas/domain/access.ts).
    tableActions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
    // The presigned PUT carries the object's tag, which needs s3:PutObjectTagging as well.
    media: ['s3:PutObject', 's3:PutObjectTagging'],
    postsEvents: false,
  },
  // GetItem: the message; BatchGetItem: the caller's membership and the chat's META.
  getAttachmentUrl: {
    tableActions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
    media: SIGN_DOWNLOADS,
    postsEvents: false,
  },
  // GetItem: the message and the caller's reaction; UpdateItem: the version; the reaction and the
  // message's summary are one transaction of a Put or a Delete and an Update (all item actions).
  react: {
    tableActions: [
      ...FAN_OUT,
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:UpdateItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
    ],
    media: SIGN_DOWNLOADS,
  },
  // GetItem: the chat's META when the cached head vouches for the seq (lambdas/domain/delivery.ts).
  // BatchGetItem: the reader's block items about the members told, when their block list is long
  // (`message.delivered` never reaches those they blocked: lambdas/domain/blocked-audience.ts).
  markDelivered: {
    tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'],
  },
  sync: {
    // BatchGetItem: the caller's membership and the chat's META, in a chat known to be big (sync.ts).
    tableActions: ['dynamodb:Query', 'dynamodb:BatchGetItem', BY_VERSION],
    media: SIGN_DOWNLOADS,
    postsEvents: false,
  },
  ...SCHEDULED_ROUTES,
  ...ACCOUNT_ROUTES,
};

const actionRoute = (routeKey: string, route: Exclude<ActionRoute, 'planned'>): RouteDefinition => ({
  routeKey,
  name: routeKey.charAt(0).toUpperCase() + routeKey.slice(1),
  entry: `lambdas/handlers/${routeKey}.ts`,
  // Every action route counts its frames against the caller's rate limit (lambdas/shared/ws-middleware.ts).
  tableActions: [...new Set([...route.tableActions, RATE_LIMIT])],
  managementApi: route.managementApi ?? true,
  postsEvents: route.postsEvents ?? true,
  returnResponse: true,
  ...(route.media?.length ? { mediaActions: [...new Set(route.media)] } : {}),
  ...(route.throttle ? { throttle: route.throttle } : {}),
  ...(route.uses ? { uses: route.uses } : {}),
});

/** The deployed routes: the `$` routes and every action that has a handler. */
export const ROUTES: readonly RouteDefinition[] = [
  ...LIFECYCLE_ROUTES,
  ...Object.entries(ACTION_ROUTES).flatMap(([routeKey, route]) =>
    route === 'planned' ? [] : [actionRoute(routeKey, route)],
  ),
];

/** The actions a client may send (every deployed route key that is not a `$` route). */
export const ACTIONS: readonly string[] = ROUTES.map((r) => r.routeKey).filter((k) => !k.startsWith('$'));

/** Contract actions not deployed yet (no handler). */
export const PLANNED_ACTIONS: readonly string[] = Object.entries(ACTION_ROUTES)
  .filter(([, route]) => route === 'planned')
  .map(([name]) => name);

export function findRoute(routeKey: string): RouteDefinition | undefined {
  return ROUTES.find((r) => r.routeKey === routeKey);
}

/**
 * The `$` routes API Gateway itself defines (`$connect`, `$disconnect`, `$default`): part of the route
 * table (lib/routes.ts `ROUTES`), kept apart from the actions.
 */
import { DELETE_STALE, MEMBERSHIPS, RATE_LIMIT, ROSTER_WRITES } from './route-grants.ts';
import type { RouteDefinition } from './route-types.ts';

/** The `$` routes API Gateway itself defines. */
export const LIFECYCLE_ROUTES: readonly RouteDefinition[] = [
  {
    routeKey: '$connect',
    name: 'Connect',
    entry: 'lambdas/handlers/connect.ts',
    // The socket joins the roster of each of the user's groups (ROSTER_WRITES). BatchGetItem: which
    // direct-chat peers blocked the user (they get no presence event: lambdas/domain/presence-privacy.ts),
    // and the memberships of marked groups the membership index does not show (domain/rosters.ts).
    // GetItem: the user's deactivation mark, read once the socket is stored (domain/connections.ts);
    // a deleted account's mark (a tombstone) removes the profile this `$connect` touched (DELETE_STALE's
    // DeleteItem on the user's partition).
    tableActions: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      MEMBERSHIPS,
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      ROSTER_WRITES,
      ...DELETE_STALE,
    ],
    managementApi: true,
    postsEvents: true,
    returnResponse: false,
  },
  {
    routeKey: '$disconnect',
    name: 'Disconnect',
    entry: 'lambdas/handlers/disconnect.ts',
    // BatchGetItem: which direct-chat peers blocked the user (no presence event for them), and the
    // push badge's recount (memberships and chats; UpdateItem sets the counter: domain/badge.ts).
    tableActions: [
      'dynamodb:Query',
      MEMBERSHIPS,
      'dynamodb:BatchGetItem',
      'dynamodb:UpdateItem',
      ROSTER_WRITES,
      ...DELETE_STALE,
    ],
    managementApi: true,
    postsEvents: true,
    returnResponse: false,
  },
  {
    routeKey: '$default',
    // Not `Default`: CDK treats a child construct with the id `Default` as its parent's default child.
    name: 'Fallback',
    entry: 'lambdas/handlers/default.ts',
    // Frames no route matches count against the caller's `$default` rate limit.
    tableActions: [RATE_LIMIT],
    // A stage throttle of its own: frames that match no action (garbage, outdated clients) reach API
    // Gateway and this function before any per-user limit can refuse them, and must not use up the
    // stage's budget that every real action shares (security.md, "Rate limits").
    throttle: { rateLimit: 50, burstLimit: 100 },
    // A frame on a socket whose token has expired gets TOKEN_EXPIRED here too, and the socket is closed;
    // so is a socket that keeps sending after RATE_LIMITED (lambdas/shared/flood-guard.ts).
    managementApi: true,
    postsEvents: false,
    returnResponse: true,
  },
];

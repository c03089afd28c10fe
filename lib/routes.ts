/**
 * The route table: the single source of truth for the WebSocket API's routes.
 *
 * The CDK stack creates one route and one function per entry; the local gateway loads the same
 * handler modules in-process. Adding a route here is all the wiring a new action needs.
 */
import type { ActionName } from '../lambdas/contract/index.ts';

/** DynamoDB actions a function may be granted on the table and its indexes. Never Scan. */
export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:ConditionCheckItem';

/**
 * Resources beside the table and the Management API that a route function uses; the stack grants
 * each one by its construct, with the least the route needs.
 * - `scheduledQueue`: sends to the due queue of scheduled messages (lib/scheduled-messages.ts).
 */
export type RouteResource = 'scheduledQueue';

export interface RouteThrottle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Burst bucket size. */
  readonly burstLimit: number;
}

export interface RouteDefinition {
  /** API Gateway route key: `$connect`, `$disconnect`, `$default` or the action name (case-sensitive). */
  readonly routeKey: string;
  /** PascalCase name used for construct ids and function names. */
  readonly name: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /** Table actions the function needs (least privilege). */
  readonly tableActions: readonly TableAction[];
  /** Whether the function posts to or deletes connections through the Management API. */
  readonly managementApi: boolean;
  /**
   * Whether the handler's return body is sent back to the calling socket (a two-way route).
   * @default true for every route but `$connect` and `$disconnect`
   */
  readonly returnResponse: boolean;
  /**
   * Per-route throttling on the stage.
   * @default the stage's default route throttling
   */
  readonly throttle?: RouteThrottle;
  /**
   * Other resources the function uses.
   * @default none
   */
  readonly uses?: readonly RouteResource[];
}

/** The Lambda REQUEST authorizer guarding `$connect`. */
export const AUTHORIZER = {
  name: 'Authorizer',
  entry: 'lambdas/handlers/authorizer.ts',
  /** Identity source: the `token` query string parameter. */
  queryParameter: 'token',
} as const;

const DELETE_STALE: readonly TableAction[] = ['dynamodb:DeleteItem'];

/** Every chat route posts events and removes stale connections found while posting. */
const FAN_OUT: readonly TableAction[] = ['dynamodb:Query', 'dynamodb:DeleteItem'];

/** How one action of the contract is served: its grants, or `planned` (no handler yet: not deployed). */
type ActionRoute =
  | 'planned'
  | {
      readonly tableActions: readonly TableAction[];
      /** @default true */
      readonly managementApi?: boolean;
      readonly throttle?: RouteThrottle;
      readonly uses?: readonly RouteResource[];
    };

/**
 * One entry per action of the wire contract (lambdas/contract). The type is a Record over the
 * contract's action names, so an action without an entry, or an entry without an action, fails the
 * type check. A `planned` action has no handler yet: it is neither deployed nor served locally, and
 * its frames get UNKNOWN_ACTION from `$default`.
 */
export const ACTION_ROUTES: Readonly<Record<ActionName, ActionRoute>> = {
  ping: { tableActions: [], managementApi: false },
  createChat: {
    tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
  },
  listChats: { tableActions: ['dynamodb:Query', 'dynamodb:BatchGetItem'], managementApi: false },
  getChat: { tableActions: ['dynamodb:Query'], managementApi: false },
  history: { tableActions: ['dynamodb:GetItem', 'dynamodb:Query'], managementApi: false },
  sendMessage: { tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
  editMessage: { tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  deleteMessage: { tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  readMessage: { tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  typing: { tableActions: FAN_OUT, throttle: { rateLimit: 100, burstLimit: 200 } },
  invite: {
    tableActions: [
      ...FAN_OUT,
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:BatchWriteItem',
    ],
  },
  removeMember: { tableActions: [...FAN_OUT, 'dynamodb:UpdateItem'] },
  deleteChat: { tableActions: [...FAN_OUT, 'dynamodb:BatchWriteItem'] },
  getPresence: { tableActions: ['dynamodb:BatchGetItem', 'dynamodb:Query'], managementApi: false },
  muteChat: 'planned',
  requestUpload: 'planned',
  getAttachmentUrl: 'planned',
  react: 'planned',
  markDelivered: 'planned',
  sync: 'planned',
  scheduleMessage: {
    tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    uses: ['scheduledQueue'],
  },
  listScheduled: { tableActions: ['dynamodb:Query'], managementApi: false },
  cancelScheduled: { tableActions: [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  registerDevice: 'planned',
  unregisterDevice: 'planned',
  blockUser: 'planned',
  unblockUser: 'planned',
  listBlocked: 'planned',
  reportMessage: 'planned',
  listReports: 'planned',
};

const actionRoute = (routeKey: string, route: Exclude<ActionRoute, 'planned'>): RouteDefinition => ({
  routeKey,
  name: routeKey.charAt(0).toUpperCase() + routeKey.slice(1),
  entry: `lambdas/handlers/${routeKey}.ts`,
  tableActions: [...new Set(route.tableActions)],
  managementApi: route.managementApi ?? true,
  returnResponse: true,
  ...(route.throttle ? { throttle: route.throttle } : {}),
  ...(route.uses ? { uses: route.uses } : {}),
});

/** The `$` routes API Gateway itself defines. */
const LIFECYCLE_ROUTES: readonly RouteDefinition[] = [
  {
    routeKey: '$connect',
    name: 'Connect',
    entry: 'lambdas/handlers/connect.ts',
    tableActions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', ...DELETE_STALE],
    managementApi: true,
    returnResponse: false,
  },
  {
    routeKey: '$disconnect',
    name: 'Disconnect',
    entry: 'lambdas/handlers/disconnect.ts',
    tableActions: ['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    managementApi: true,
    returnResponse: false,
  },
  {
    routeKey: '$default',
    name: 'Default',
    entry: 'lambdas/handlers/default.ts',
    tableActions: [],
    managementApi: false,
    returnResponse: true,
  },
];

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

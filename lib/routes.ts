/**
 * The route table: the single source of truth for the WebSocket API's routes.
 *
 * The CDK stack creates one route and one function per entry; the local gateway loads the same
 * handler modules in-process. Adding a route here is all the wiring a new action needs.
 */

/** DynamoDB actions a function may be granted on the table (its items). Never Scan. */
export type TableItemAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:ConditionCheckItem';

/**
 * What a route may do to the table (lib/chat-table.ts turns each into an IAM statement):
 *
 * - a plain action: on the table's items (the table ARN only; item actions cannot target an index);
 * - `dynamodb:Query:<index>`: Query on that secondary index (its ARN only);
 * - `dynamodb:DeleteItem:userPartitions`: DeleteItem where the partition key is `USER#…` only
 *   (`dynamodb:LeadingKeys`): removing stale connection records, which live in their user's partition,
 *   without the power to delete chats, members or messages.
 *
 * `scripts/check-iam.ts` proves after every test run that each function uses all of these and nothing else.
 */
export type TableAction = TableItemAction | 'dynamodb:Query:gsi1' | 'dynamodb:DeleteItem:userPartitions';

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
}

/** The Lambda REQUEST authorizer guarding `$connect`. */
export const AUTHORIZER = {
  name: 'Authorizer',
  entry: 'lambdas/handlers/authorizer.ts',
  /** Identity source: the `token` query string parameter. */
  queryParameter: 'token',
} as const;

/** Removes connection records of sockets found gone (410) while posting or probing presence. */
const DELETE_STALE: readonly TableAction[] = ['dynamodb:DeleteItem:userPartitions'];

/** Every fanning-out route reads the targets' sockets and removes stale connections found while posting. */
const FAN_OUT: readonly TableAction[] = ['dynamodb:Query', ...DELETE_STALE];

/** A user's chat memberships (presence peers, listChats). */
const MEMBERSHIPS: TableAction = 'dynamodb:Query:gsi1';

const chatRoute = (
  routeKey: string,
  tableActions: readonly TableAction[],
  extra: Partial<Pick<RouteDefinition, 'managementApi' | 'throttle'>> = {},
): RouteDefinition => ({
  routeKey,
  name: routeKey.charAt(0).toUpperCase() + routeKey.slice(1),
  entry: `lambdas/handlers/${routeKey}.ts`,
  tableActions: [...new Set(tableActions)],
  managementApi: extra.managementApi ?? true,
  returnResponse: true,
  ...(extra.throttle ? { throttle: extra.throttle } : {}),
});

export const ROUTES: readonly RouteDefinition[] = [
  {
    routeKey: '$connect',
    name: 'Connect',
    entry: 'lambdas/handlers/connect.ts',
    tableActions: ['dynamodb:Query', MEMBERSHIPS, 'dynamodb:PutItem', 'dynamodb:UpdateItem', ...DELETE_STALE],
    managementApi: true,
    returnResponse: false,
  },
  {
    routeKey: '$disconnect',
    name: 'Disconnect',
    entry: 'lambdas/handlers/disconnect.ts',
    tableActions: ['dynamodb:Query', MEMBERSHIPS, 'dynamodb:UpdateItem', ...DELETE_STALE],
    managementApi: true,
    returnResponse: false,
  },
  {
    routeKey: '$default',
    // Not `Default`: CDK treats a child construct with the id `Default` as its parent's default child.
    name: 'Fallback',
    entry: 'lambdas/handlers/default.ts',
    tableActions: [],
    managementApi: false,
    returnResponse: true,
  },
  {
    routeKey: 'ping',
    name: 'Ping',
    entry: 'lambdas/handlers/ping.ts',
    tableActions: [],
    managementApi: false,
    returnResponse: true,
  },
  chatRoute('createChat', [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem']),
  chatRoute('listChats', [MEMBERSHIPS, 'dynamodb:BatchGetItem'], { managementApi: false }),
  chatRoute('getChat', ['dynamodb:Query'], { managementApi: false }),
  chatRoute('history', ['dynamodb:GetItem', 'dynamodb:Query'], { managementApi: false }),
  chatRoute('sendMessage', [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
  chatRoute('editMessage', [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:UpdateItem']),
  chatRoute('deleteMessage', [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:UpdateItem']),
  chatRoute('readMessage', [...FAN_OUT, 'dynamodb:GetItem', 'dynamodb:UpdateItem']),
  chatRoute('typing', FAN_OUT, { throttle: { rateLimit: 100, burstLimit: 200 } }),
  chatRoute('invite', [...FAN_OUT, 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
  // Removing a member deletes its membership item (and the chat's items with the last member).
  chatRoute('removeMember', ['dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem']),
  chatRoute('deleteChat', ['dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']),
  chatRoute('getPresence', ['dynamodb:BatchGetItem', 'dynamodb:Query'], { managementApi: false }),
];

/** The actions a client may send (every route key that is not a `$` route). */
export const ACTIONS: readonly string[] = ROUTES.map((r) => r.routeKey).filter((k) => !k.startsWith('$'));

export function findRoute(routeKey: string): RouteDefinition | undefined {
  return ROUTES.find((r) => r.routeKey === routeKey);
}

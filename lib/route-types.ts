/**
 * The route table's types (lib/routes.ts): what a route may be granted (table, media bucket, other
 * resources) and how a route and an action's entry are described. Kept apart from the table itself
 * so that the table reads as one entry per action.
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
 * - `dynamodb:DeleteItem:socketPartitions`: the same on `USER#…` and `ROSTER#…` partitions: a socket
 *   found gone while posting a group's event also leaves that group's roster (lambdas/data/rosters.ts).
 * - `dynamodb:UpdateItem:limitPartitions`: UpdateItem where the partition key is `LIMIT#…` only: the
 *   per-user rate limiter's lease (lambdas/data/rate-limits.ts), for routes that otherwise only read.
 *
 * `scripts/check-iam.ts` proves after every test run that each function uses all of these and nothing else.
 */
export type TableAction =
  | TableItemAction
  | 'dynamodb:Query:gsi1'
  | 'dynamodb:Query:lsi1'
  | 'dynamodb:Query:lsi2'
  | 'dynamodb:Query:gsi2'
  | 'dynamodb:DeleteItem:userPartitions'
  | 'dynamodb:DeleteItem:socketPartitions'
  | 'dynamodb:UpdateItem:limitPartitions';

/**
 * S3 actions a function may be granted on the media bucket's objects (`<bucket>/chats/*` only).
 * A function that presigns URLs needs the actions of the requests those URLs make.
 */
export type MediaAction = 's3:GetObject' | 's3:PutObject' | 's3:PutObjectTagging' | 's3:DeleteObject';

/**
 * Resources beside the table and the Management API that a route function uses; the stack grants
 * each one by its construct, with the least the route needs.
 * - `scheduledQueue`: sends to the due queue of scheduled messages (lib/scheduled-messages.ts).
 * - `retentionQueue`: sends a deleted chat's retention job (lib/workers.ts `RETENTION_WORKER`).
 * - `fanOutQueue`: sends jobs to the fan-out queue though it posts no events to others (`postsEvents`
 *   grants it too): `deactivateUser`, whose close of a socket found gone (410) may have removed the
 *   user's last socket, and queues their offline check (lambdas/domain/deps.ts `lastSocketGone`).
 */
export type RouteResource = 'scheduledQueue' | 'retentionQueue' | 'fanOutQueue';

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
   * Whether the function posts events to other sockets, and so may hand a large fan-out to the
   * fan-out queue (lib/workers.ts): it is granted `sqs:SendMessage` on that queue.
   */
  readonly postsEvents: boolean;
  /**
   * Media bucket actions the function needs, on the media key prefix only.
   * @default none (and no bucket in its environment)
   */
  readonly mediaActions?: readonly MediaAction[];
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

/** How one action of the contract is served: its grants, or `planned` (no handler yet: not deployed). */
export type ActionRoute =
  | 'planned'
  | {
      readonly tableActions: readonly TableAction[];
      /**
       * @default true. Every action route needs it: a socket whose token has expired, or that keeps
       * sending after RATE_LIMITED, is told so and closed (DeleteConnection) by whichever action it
       * sends (lambdas/shared/token-expiry.ts, flood-guard.ts).
       */
      readonly managementApi?: boolean;
      /**
       * @default true. `false`: the action answers its caller only (no events to anyone else), so it
       * gets no grant on the fan-out queue.
       */
      readonly postsEvents?: boolean;
      readonly throttle?: RouteThrottle;
      readonly uses?: readonly RouteResource[];
      /** @default none */
      readonly media?: readonly MediaAction[];
    };

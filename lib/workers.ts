/**
 * The queue workers: functions that are not routes but consume a queue. Like the route table, this
 * is the one definition both the CDK stack (lib/fanout-worker.ts: queue, dead-letter queue, event
 * source mapping, grants, alarms) and the local stack (local/queue.ts: the in-process stand-in that
 * invokes the same handler with the same `SQSEvent` shape) build from.
 */
import type { PREFIX } from '../lambdas/data/keys.ts';
import type { MediaAction, TableAction, TableItemAction } from './routes.ts';

/**
 * A partition-key prefix by its name in `PREFIX` (lambdas/data/keys.ts): `user` is `USER#`. Named, not
 * spelled: the grants (lib/queue-worker.ts) build the patterns from `PREFIX` itself, and this module,
 * which the functions bundle for its environment variable names, keeps no key strings of its own.
 */
export type KeyPrefix = keyof typeof PREFIX;

/**
 * Table item actions, each with the partition-key prefixes it may be used on (IAM
 * `dynamodb:LeadingKeys`, `<prefix>*` each; IAM cannot limit by sort key): exactly the pairs the code
 * uses, which scripts/check-iam.ts proves after every test run (a pair no test calls fails it).
 * Actions with the same prefixes share one statement (lib/chat-table.ts `grantActions`).
 */
export type ItemActions = { readonly [A in TableItemAction]?: readonly KeyPrefix[] };

/** A query of a secondary index (granted on the index ARN: no partition condition). */
export type IndexQuery = Extract<TableAction, `dynamodb:Query:${string}`>;

/** Every table action of an `ItemActions` and its index queries, as `grantActions` takes them. */
export const tableActionsOf = (
  itemActions: ItemActions,
  indexQueries: readonly IndexQuery[] = [],
): TableAction[] => [...(Object.keys(itemActions) as TableItemAction[]), ...indexQueries];

/** The environment variable through which functions learn the fan-out queue's URL. */
export const FANOUT_QUEUE_URL_ENV = 'FANOUT_QUEUE_URL';

/** The environment variable through which `deleteChat` (and the worker) learn the retention queue's URL. */
export const RETENTION_QUEUE_URL_ENV = 'RETENTION_QUEUE_URL';

/** The environment variable through which the push function (and the worker) learn the push queue's URL. */
export const PUSH_QUEUE_URL_ENV = 'PUSH_QUEUE_URL';

export interface QueueWorkerDefinition {
  /** PascalCase name used for construct ids and the local stand-in. */
  readonly name: string;
  /** Handler module, relative to the repository root; it exports `handler(event: SQSEvent)`. */
  readonly entry: string;
  /** The table item actions the worker needs, each with the partition-key prefixes it uses it on. */
  readonly itemActions: ItemActions;
  /** The secondary indexes it queries. @default - none */
  readonly indexQueries?: readonly IndexQuery[];
  /**
   * Actions on the media bucket's objects (`chats/*`); with any, the bucket is in its environment
   * (lib/chat-stack.ts). @default - none
   */
  readonly mediaActions?: readonly MediaAction[];
  /** Whether it posts to and deletes connections through the Management API. */
  readonly managementApi: boolean;
  /** The environment variable that carries its queue's URL to producers (and to itself). */
  readonly queueUrlEnv: string;
  /** Records per invocation (the event source mapping's BatchSize). */
  readonly batchSize: number;
  /** Worker instances at most (the event source mapping's MaximumConcurrency, 2–1000). */
  readonly maxConcurrency: number;
  /** The function's timeout. */
  readonly timeoutSeconds: number;
  /**
   * Posts in flight at once per instance, for workers that post: the worker's handler builds its
   * fan-out with it (lambdas/domain/deps.ts `workerFanOut`), not from FANOUT_CONCURRENCY, which is
   * the routes' setting (locally the workers share the routes' process).
   */
  readonly postConcurrency?: number;
  /** Receives of one message before it moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Alarm when the oldest message has waited this long. */
  readonly maxAgeSeconds: number;
  /**
   * Deployed only with this stack feature (lib/chat-stream.ts: push, with a provider secret), beside
   * the stream consumer that queues its jobs. @default - always deployed (lib/chat-stack.ts)
   */
  readonly feature?: 'push';
  /**
   * How long SQS keeps a job (days, 1–14; default 1). A job kept longer is deleted by SQS without
   * reaching the dead-letter queue: work that must not be lost keeps its jobs 14 days.
   */
  readonly retentionDays?: number;
}

/**
 * The fan-out worker. A job is at most 200 sockets (FANOUT_JOB_SIZE; the same number above which
 * a request stops posting itself). One job per invocation: 200 posts at 16 in flight is about 13
 * rounds of a Management API call (~20–40 ms in-region), 0.3–0.5 s, far below the 30 s timeout.
 * At most 10 instances × 16 posts in flight ≈ 4,000–8,000 posts/s, which leaves room under the
 * account's API Gateway throttle (10,000 requests/s shared by every API, callbacks included) for
 * the routes themselves; raise both together. The visibility timeout follows from the timeout
 * (CDK: 6 × timeout, as Lambda recommends for SQS event sources).
 */
export const FANOUT_WORKER: QueueWorkerDefinition = {
  name: 'FanOutWorker',
  entry: 'lambdas/handlers/fanOutWorker.ts',
  // DeleteItem: a gone socket's records (its connection item, USER#; its roster entries, ROSTER#);
  // Query: the sockets of the users a request could not look up (USER#), and the roster of a group
  // whose receipt could not read it (ROSTER#: lambdas/domain/receipts.ts) with the reader's block list
  // (USER#; BatchGetItem when it is long: lambdas/domain/blocked-audience.ts); UpdateItem: the socket slot a gone
  // socket's removed record gives back (`LIMIT#`). An offline check (a user's last socket found gone:
  // lambdas/domain/presence.ts `wentOffline`) also reads the user's memberships (gsi1) and their
  // direct peers' block items (BatchGetItem), and updates the user's profile (last seen, the
  // presence announcements' count: UpdateItem, USER#). Never deletes a `LIMIT#` item
  // (lambdas/data/socket-count.ts: updates only), never updates a roster entry (rosters.ts: put, delete).
  itemActions: {
    'dynamodb:DeleteItem': ['user', 'roster'],
    'dynamodb:Query': ['user', 'roster'],
    'dynamodb:UpdateItem': ['user', 'limit'],
    'dynamodb:BatchGetItem': ['user'],
  },
  indexQueries: ['dynamodb:Query:gsi1'],
  managementApi: true,
  queueUrlEnv: FANOUT_QUEUE_URL_ENV,
  batchSize: 1,
  maxConcurrency: 10,
  timeoutSeconds: 30,
  postConcurrency: 16,
  // A job whose sockets still fail on its last attempt (8 jobs, 2…120 s apart: lambdas/fanout/worker.ts)
  // is reported: 5 receives (10-40 s apart) later it is in the dead-letter queue, alarmed. Retry jobs
  // wait at most 120 s (SQS allows 900), well within the queue's 1-day retention.
  maxReceiveCount: 5,
  maxAgeSeconds: 60,
};

/**
 * The retention worker (issue 17, item 8): gives every item of a deleted chat's partition the TTL
 * attribute, off the request path, and deletes the chat's media objects (those its `UPLOAD#` items
 * name, one DeleteObjects per page's uploads, before the page's TTL updates: `s3:DeleteObject` on
 * `chats/*`). A job is `{ chatId, expiresAt, startKey? }`
 * (lambdas/domain/retention-jobs.ts), a deletion's sent with RETENTION_FINISH_DELAY_SECONDS of delay
 * (past the writes in flight at the deletion: lambdas/domain/chat-deletion.ts); the worker expires pages of the partition (RETENTION_PAGE_SIZE
 * keys a page, 16 conditional updates in flight) until RETENTION_MAX_PAGES pages or its time budget
 * (RETENTION_BUDGET_MS, at most 70 % of the time left), then queues the rest as a continuation job
 * (the Query's LastEvaluatedKey) on its own queue. Defaults: 500 keys × 100 pages = 50,000 items, or
 * 42 s of the 60 s timeout, per job. Two instances at most: deletions are rare and nobody waits for
 * them, and it leaves the table's write capacity to the routes. A job that fails (an update, a
 * delete or the continuation's send) is delivered again by SQS, redoing its pages harmlessly (same
 * TTL; objects already gone); after 5 receives it moves to the dead-letter queue (alarm). Alarm
 * when a job waited 15 minutes.
 *
 * The same queue carries each deletion's finish job `{ kind: 'finishDeletion', chatId }`, queued by
 * `deleteChat` before its mark with RETENTION_FINISH_DELAY_SECONDS (60 s) of delay: when the chat is
 * still marked, the request stopped after its mark and the worker runs deleteChat's remaining steps
 * (lambdas/domain/chat-deletion.ts). Hence its other grants: `META` read (GetItem), the members and
 * the roster read (Query), the memberships, roster entries, `META` and a direct chat's pair pointer
 * deleted (BatchWriteItem, DeleteItem; the owner's membership in a transaction that checks `META`:
 * ConditionCheckItem), and `chat.deleted` posted through the
 * Management API to the members' sockets (Query of their connections; a gone socket's records
 * deleted and its slot given back, as the fan-out worker does). And the delayed jobs of a big group's
 * creation and of a last leave (lambdas/domain/safety-net-jobs.ts): `META` read, the orphaned
 * memberships read (Query) and deleted in transactions that check `META` is absent
 * (ConditionCheckItem), its roster cleared, or a retention job queued.
 *
 * And an account deletion's jobs `{ kind: 'deleteAccount', userId, eraseMessages, chatId?, startKey? }`
 * (lambdas/domain/account-deletion-job.ts), queued by `deleteAccount`/`deleteUser` without delay: the
 * user's memberships listed (Query of the membership index, gsi1), each chat's messages erased when
 * asked (a page of the `MSG#` range filtered on the sender, Query; each deleted as `deleteMessage`
 * does: the message and its uploads updated, UpdateItem, its objects deleted), each chat left as
 * `removeMember` does (the membership read, GetItem; the same transaction and events as a leave,
 * the last leave's `expireLeft` job queued here), then the user's blocks removed as `unblockUser`
 * does (the pair's pointer read, GetItem `PAIR#`, and checked in the transaction, ConditionCheckItem;
 * the block item deleted and the count lowered, USER#; the mirror on the direct chat's `META`). Its
 * steps (a page of messages or of blocks, a chat left) count against RETENTION_MAX_PAGES and its
 * time against the same budget; the rest goes on in a continuation job.
 */
export const RETENTION_WORKER: QueueWorkerDefinition = {
  name: 'RetentionWorker',
  entry: 'lambdas/handlers/retentionWorker.ts',
  itemActions: {
    // A chat's META (CHAT#); unblockUser's read of the pair's direct chat pointer (PAIR#, account
    // deletions); an account deletion's tombstone, read by each of its jobs (USER#).
    'dynamodb:GetItem': ['chat', 'pair', 'user'],
    // An account deletion's membership and META before a chat's steps (getMemberAndChat), and a
    // group of 100+ members' cached head (head-cache.ts) that erasing reads (CHAT#).
    'dynamodb:BatchGetItem': ['chat'],
    // The member log entry of a leave from a group of 100+ members, in removeMember's transaction
    // (member-log.ts; account deletions) (CHAT#); an account deletion's final pass: what is kept of
    // a schedule made late and cancelled, in cancelPending's transaction (SCHEDDONE#, USER#).
    'dynamodb:PutItem': ['chat', 'user'],
    // A chat's partition (pages, members; an erased user's messages), its roster, its members'
    // connections and a deleted account's blocks (USER#).
    'dynamodb:Query': ['chat', 'roster', 'user'],
    // The partition's TTL, an erased message, a leave's META and memberships, a block mirror
    // (CHAT#); a finishCreation job's abandoned group key and a deleted account's block count
    // (USER#); a gone socket's slot given back (LIMIT#, socket-count.ts).
    'dynamodb:UpdateItem': ['chat', 'user', 'limit'],
    // Memberships and META (CHAT#), a direct chat's pair pointer (PAIR#), a gone socket's records
    // (its connection item, USER#; its roster entries, ROSTER#), a deleted account's block items (USER#);
    // an account deletion's final pass: a device registered late with its token's owner item (USER#,
    // TOKEN#), the profile and badge counter (USER#).
    'dynamodb:DeleteItem': ['chat', 'pair', 'user', 'roster', 'token'],
    // Memberships (CHAT#), a cleared roster (ROSTER#).
    'dynamodb:BatchWriteItem': ['chat', 'roster'],
    // META checked in the transactions that delete memberships (CHAT#); the pair's pointer as read
    // in unblockUser's transaction (PAIR#, account deletions).
    'dynamodb:ConditionCheckItem': ['chat', 'pair'],
  },
  // A deleted account's memberships (the membership index).
  indexQueries: ['dynamodb:Query:gsi1'],
  // A deleted chat's objects; an account deletion's final pass gives a late schedule's uploads back
  // (their objects' tags, as cancelScheduled does).
  mediaActions: ['s3:DeleteObject', 's3:PutObjectTagging'],
  managementApi: true,
  queueUrlEnv: RETENTION_QUEUE_URL_ENV,
  batchSize: 1,
  maxConcurrency: 2,
  timeoutSeconds: 60,
  postConcurrency: 16,
  maxReceiveCount: 5,
  maxAgeSeconds: 900,
  // A dropped job is a deleted chat whose messages are never purged: keep jobs as long as SQS can.
  retentionDays: 14,
};

/**
 * What planning and sending notifications needs of the table, for the push function
 * (lib/stream-consumers.ts) and the push worker alike. Reads: the message and the chat's META
 * (GetItem, CHAT#), the sender's profile (GetItem, USER#), each recipient's sockets and devices
 * (Query, BatchGetItem: USER#). Writes: each recipient's badge counter (UpdateItem `ADD`, USER#;
 * lambdas/data/badges.ts), a device stored before devices had a TTL given its window, with its
 * token's owner item (UpdateItem, USER# and TOKEN#: lambdas/push/devices-now.ts, in the planning both
 * share), removing devices whose token is no longer registered: the device (USER#) and the token's
 * owner item (TOKEN#). No membership index: a badge reads none of the recipient's chats.
 */
export const PUSH_ITEM_ACTIONS: ItemActions = {
  'dynamodb:GetItem': ['chat', 'user'],
  'dynamodb:Query': ['user'],
  'dynamodb:BatchGetItem': ['user'],
  'dynamodb:DeleteItem': ['user', 'token'],
  'dynamodb:UpdateItem': ['user', 'token'],
};

/**
 * The push worker (issue 15: groups of thousands): plans and sends the notifications of one job of a
 * message's recipients (lambdas/push/jobs.ts), queued by the push function when a message has more
 * than PUSH_JOB_SIZE (200) recipients to look up (or when its invocation has no time left for the
 * lookups), and the jobs of deferred notifications (below). A job is 200 lookups of sockets and
 * devices and at most 200 badge counters (3 DynamoDB calls a recipient, 16 at once) and the notifications (16
 * at once): about 0.6 s on AWS at ~5 ms a call and ~30 ms a notification, far below the 60 s timeout.
 * 20 instances: a group of 10,000 with 8,000 members offline is 40 jobs, sent in about 1.1 s. Jobs are
 * alarmed after 5 minutes waiting: a late notification is noise (the stream consumer drops records
 * older than 15 minutes, the worker jobs as old). A job does its reads before it sends: one whose
 * reads fail has sent nothing and is delivered again by SQS (after 5 receives it moves to the
 * dead-letter queue, alarmed). Its sends stop in time for its timeout (lambdas/push/budget.ts): what
 * it could not try goes back to its own queue as a job of deferred notifications (hence its
 * `sqs:SendMessage`), so a slow provider never makes SQS deliver a half-sent job again.
 */
export const PUSH_WORKER: QueueWorkerDefinition = {
  name: 'PushWorker',
  entry: 'lambdas/handlers/pushWorker.ts',
  // The push function's own (it plans small messages itself).
  itemActions: PUSH_ITEM_ACTIONS,
  managementApi: false,
  queueUrlEnv: PUSH_QUEUE_URL_ENV,
  batchSize: 1,
  maxConcurrency: 20,
  timeoutSeconds: 60,
  // AWS advises at least 5 for a Lambda event source (a receive Lambda throttles counts one): a job
  // failing is tried again after 10, 20, 30 and 40 s, still far within its 15 minutes.
  maxReceiveCount: 5,
  maxAgeSeconds: 300,
  feature: 'push',
};

/** Every queue worker (the local stack runs them all: locally every feature is on). */
export const WORKERS: readonly QueueWorkerDefinition[] = [FANOUT_WORKER, RETENTION_WORKER, PUSH_WORKER];

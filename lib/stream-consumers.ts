/**
 * The table's stream consumers: the single source of truth for the event pipeline, like the route
 * table is for the WebSocket API. Each entry is one Lambda function fed by an event source mapping on
 * the table's stream (lib/chat-stream.ts) and, locally, by the stream poller (local/streams.ts) with
 * the same filter and batch settings. Adding a consumer here is all the wiring a new one needs.
 */
import type { FilterPattern } from '../lambdas/pipeline/filter.ts';
import { MESSAGE_CREATED } from '../lambdas/pipeline/patterns.ts';
import type { TableAction } from './routes.ts';
import { type KeyPrefix, PUSH_TABLE_ACTIONS } from './workers.ts';

/** Stack features a consumer belongs to; a consumer is deployed only when its feature is on. */
export type StreamFeature = 'push';

export interface StreamConsumerDefinition {
  /** PascalCase name used for construct ids and the function's description. */
  readonly name: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /**
   * The name of the handler's `StreamConsumer` (lambdas/pipeline/stream.ts): its logs and metrics, and
   * the function key (`stream:<name>`) its AWS calls are recorded under for the IAM check.
   */
  readonly consumerName: string;
  /** Which records invoke it (the event source mapping's filter criteria). */
  readonly filter: FilterPattern;
  /** Records per invocation at most. */
  readonly batchSize: number;
  /** Seconds Lambda waits to fill a batch (0: invoke as soon as records arrive). */
  readonly maxBatchingWindowSeconds: number;
  /** Concurrent batches per shard (records of one item stay in order). */
  readonly parallelizationFactor: number;
  /** Retries of a failed batch (bisected) before its records go to the on-failure queue. */
  readonly retryAttempts: number;
  /** Records older than this are not processed; they go to the on-failure queue. */
  readonly maxRecordAgeSeconds: number;
  /** Table actions the function needs (least privilege). */
  readonly tableActions: readonly TableAction[];
  /**
   * The partition-key prefixes its item actions are limited to (IAM `dynamodb:LeadingKeys`, `<prefix>*`
   * each), as a queue worker's `leadingKeys`: the partitions it reads. @default - every item
   */
  readonly leadingKeys?: readonly KeyPrefix[];
  /**
   * The partition-key prefixes its item actions that write are limited to (IAM `dynamodb:LeadingKeys`,
   * `<prefix>*` each), as a queue worker's `writeLeadingKeys`. @default - writes on every item
   */
  readonly writeLeadingKeys?: readonly KeyPrefix[];
  /** Function timeout in seconds. */
  readonly timeoutSeconds: number;
  readonly feature: StreamFeature;
}

export const STREAM_CONSUMERS: readonly StreamConsumerDefinition[] = [
  {
    name: 'Push',
    entry: 'lambdas/push/handler.ts',
    consumerName: 'push',
    filter: MESSAGE_CREATED,
    batchSize: 25,
    maxBatchingWindowSeconds: 0,
    parallelizationFactor: 4,
    retryAttempts: 3,
    // A notification that is more than 15 minutes late is noise: the app syncs when opened anyway.
    maxRecordAgeSeconds: 15 * 60,
    // The worker's, and its push marks (lambdas/data/push-marks.ts): read with GetItem, written
    // with PutItem (the worker never writes one: the function marks a message once it is queued).
    tableActions: [...PUSH_TABLE_ACTIONS, 'dynamodb:PutItem'],
    // It reads the chat's head, memberships, message and META (CHAT#), a group's roster (ROSTER#),
    // recipients' sockets, devices and profiles (USER#) and its push marks (PUSHED#).
    leadingKeys: ['chat', 'roster', 'user', 'pushed'],
    // It writes its push marks (PUSHED#) and, as the worker does, recipients' badge counters and
    // the removal of a dead token: the device and the user's count (USER#), the token's owner (TOKEN#).
    writeLeadingKeys: ['user', 'token', 'pushed'],
    timeoutSeconds: 60,
    feature: 'push',
  },
];

/**
 * The table's stream consumers: the single source of truth for the event pipeline, like the route
 * table is for the WebSocket API. Each entry is one Lambda function fed by an event source mapping on
 * the table's stream (lib/chat-stream.ts) and, locally, by the stream poller (local/streams.ts) with
 * the same filter and batch settings. Adding a consumer here is all the wiring a new one needs.
 */
import type { FilterPattern } from '../lambdas/pipeline/filter.ts';
import { MESSAGE_CREATED } from '../lambdas/pipeline/patterns.ts';
import { type IndexQuery, type ItemActions, PUSH_ITEM_ACTIONS } from './workers.ts';

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
  /** The table item actions it needs, each with the partition-key prefixes it uses it on (as a queue worker's). */
  readonly itemActions: ItemActions;
  /** The secondary indexes it queries. @default - none */
  readonly indexQueries?: readonly IndexQuery[];
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
    // The worker's, and: the chat's members and a group's roster (Query, CHAT# and ROSTER#), and its
    // push marks (lambdas/data/push-marks.ts): read with GetItem, written with PutItem (PUSHED#; the
    // worker never writes one: the function marks a message once it is queued).
    itemActions: {
      ...PUSH_ITEM_ACTIONS,
      'dynamodb:GetItem': [...(PUSH_ITEM_ACTIONS['dynamodb:GetItem'] ?? []), 'pushed'],
      'dynamodb:Query': ['chat', 'roster', 'user'],
      'dynamodb:PutItem': ['pushed'],
    },
    timeoutSeconds: 60,
    feature: 'push',
  },
];

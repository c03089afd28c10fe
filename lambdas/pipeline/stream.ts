/**
 * A small framework for DynamoDB Stream consumers: a feature declares which records it wants (a
 * filter pattern) and what to do with one change; `streamHandler` makes the Lambda handler that
 *
 * - decodes each record (keys, new and old image as plain items, when and why it changed),
 * - skips records the filter does not match (the event source mapping filters already on AWS),
 * - handles records with bounded concurrency, isolating failures: a record that throws is logged and
 *   reported in `batchItemFailures` (partial batch response); the others are not affected,
 * - counts records handled, skipped and failed (`Counters`, EMF on Lambda), and publishes the counters
 *   a consumer names in `businessMetrics` as the stack's business metrics (lambdas/shared/metrics.ts).
 *
 * On AWS, Lambda checkpoints before the lowest failed sequence number and retries from there (with
 * `bisectBatchOnFunctionError`, a bounded number of attempts and an on-failure destination: see
 * lib/stream-consumers.ts). Records after a failed one may run again, so `handle` must tolerate
 * repeats. With `concurrency: 1` records run in order and the batch stops at the first failure, so
 * nothing runs out of order or twice. Locally, local/streams.ts feeds the same handler the same event
 * shape.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Item } from '../data/item.ts';
import type { Invocation } from '../shared/budget.ts';
import { logger } from '../shared/logger.ts';
import { type BusinessMetric, type MetricValues, putMetrics } from '../shared/metrics.ts';
import { fromImage } from './attributes.ts';
import { type FilterPattern, matchesFilter } from './filter.ts';
import { Counters } from './metrics.ts';

/** One change of one item, decoded. */
export interface StreamChange {
  readonly eventId: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly sequenceNumber: string;
  readonly keys: Item;
  /** The item after the change (absent for REMOVE and for KEYS_ONLY / OLD_IMAGE streams). */
  readonly newImage: Item | undefined;
  /** The item before the change (absent for INSERT and for KEYS_ONLY / NEW_IMAGE streams). */
  readonly oldImage: Item | undefined;
  /** When the change was written (approximate, to the second). */
  readonly at: Date;
  /** Removed by DynamoDB's TTL rather than by a request. */
  readonly byTtl: boolean;
}

export interface StreamConsumer {
  /** Names the consumer in logs and metrics. */
  readonly name: string;
  /** The records it wants (also the event source mapping's filter criteria). */
  readonly filter: FilterPattern;
  /** Records handled at once. 1 = in order, stopping at the first failure. @default 8 */
  readonly concurrency?: number;
  /**
   * Handles one change; throwing marks the record failed (it is retried). `invocation`: Lambda's
   * context of the batch's invocation (its remaining time), when the runtime gives one.
   */
  readonly handle: (change: StreamChange, counters: Counters, invocation?: Invocation) => Promise<void>;
  /**
   * Counters also published as the stack's business metrics (lambdas/shared/metrics.ts: one EMF
   * line per batch, dimension `Stack`), by counter name; alarms and the dashboard read those.
   */
  readonly businessMetrics?: Readonly<Record<string, BusinessMetric>>;
}

/** Lambda's context as a stream handler reads it: the time left, and the id its log lines carry. */
export type StreamInvocation = Invocation & { readonly awsRequestId?: string };

export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context?: StreamInvocation,
) => Promise<DynamoDBBatchResponse>;

/** Decodes one record. Throws when the record lacks what every stream record has. */
export function decodeRecord(record: DynamoDBRecord): StreamChange {
  const data = record.dynamodb;
  const sequenceNumber = data?.SequenceNumber;
  if (!data || !sequenceNumber || !record.eventName) throw new Error('not a DynamoDB stream record');
  const identity = record.userIdentity as { type?: string; principalId?: string } | undefined;
  return {
    eventId: record.eventID ?? sequenceNumber,
    eventName: record.eventName,
    sequenceNumber,
    keys: fromImage(data.Keys ?? {}),
    newImage: data.NewImage ? fromImage(data.NewImage) : undefined,
    oldImage: data.OldImage ? fromImage(data.OldImage) : undefined,
    at: new Date((data.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000),
    byTtl: identity?.type === 'Service' && identity.principalId === 'dynamodb.amazonaws.com',
  };
}

/**
 * Publishes a unit of work's counters: those `businessMetrics` names as the stack's business
 * metrics (one EMF line), then all of them (`Counters.flush`).
 */
export function publishCounters(
  counters: Counters,
  businessMetrics: Readonly<Record<string, BusinessMetric>> = {},
): void {
  const business: MetricValues = {};
  for (const [counter, metric] of Object.entries(businessMetrics)) {
    business[metric] = (business[metric] ?? 0) + counters.get(counter);
  }
  putMetrics(business);
  counters.flush();
}

/**
 * The function name a consumer's invocations carry (its log scope), under which the AWS call recorder
 * files its calls for the IAM check (scripts/check-iam.ts): `stream:<consumer name>`.
 */
export const streamFunctionName = (consumerName: string): string => `stream:${consumerName}`;

/** The Lambda handler of a stream consumer. */
export function streamHandler(consumer: StreamConsumer): StreamHandler {
  const concurrency = Math.max(1, consumer.concurrency ?? 8);
  const functionName = streamFunctionName(consumer.name);
  return (event, context) =>
    logger.runWithKeys(
      { consumer: consumer.name, records: event.Records?.length ?? 0, awsRequestId: context?.awsRequestId },
      () => handleBatch(consumer, concurrency, event, context),
      functionName,
    );
}

async function handleBatch(
  consumer: StreamConsumer,
  concurrency: number,
  event: DynamoDBStreamEvent,
  invocation: Invocation | undefined,
): Promise<DynamoDBBatchResponse> {
  const counters = new Counters(consumer.name);
  const records = event.Records ?? [];
  const failed = new Set<number>();
  let next = 0;
  let stopped = false;

  const runOne = async (index: number): Promise<void> => {
    const record = records[index] as DynamoDBRecord;
    if (!matchesFilter(consumer.filter, record)) {
      counters.add('RecordsSkipped');
      return;
    }
    try {
      await consumer.handle(decodeRecord(record), counters, invocation);
      counters.add('RecordsHandled');
    } catch (error) {
      failed.add(index);
      counters.add('RecordsFailed');
      logger.error('stream record failed', {
        consumer: consumer.name,
        eventId: record.eventID,
        sequenceNumber: record.dynamodb?.SequenceNumber,
        keys: record.dynamodb?.Keys,
        error,
      });
      if (concurrency === 1) stopped = true;
    }
  };
  const worker = async (): Promise<void> => {
    while (next < records.length && !stopped) await runOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, records.length) }, worker));
  publishCounters(counters, consumer.businessMetrics);

  const batchItemFailures = [...failed]
    .sort((a, b) => a - b)
    .map((i) => ({ itemIdentifier: records[i]?.dynamodb?.SequenceNumber ?? '' }));
  return { batchItemFailures };
}

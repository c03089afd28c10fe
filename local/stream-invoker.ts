/**
 * How the local stream poller invokes the consumers, like Lambda's event source mapping: the records
 * each consumer's filter matches, at most `batchSize` per invocation; a partial batch response
 * (`batchItemFailures`) retries from the lowest failed record, `retryAttempts` times with a short
 * backoff; a thrown error first bisects the batch (`bisectBatchOnFunctionError`), so a poison record
 * ends up alone; a record that fails every retry goes to `deadLetters` (the on-failure queue) and
 * processing moves on.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type FilterPattern, matchesFilter } from '../lambdas/pipeline/filter.ts';
import { lambdaContext } from './gateway/invoker.ts';

export type StreamLambda = (event: DynamoDBStreamEvent, context: unknown) => Promise<unknown>;

export interface LocalStreamConsumer {
  readonly name: string;
  readonly filter: FilterPattern;
  readonly batchSize: number;
  readonly retryAttempts: number;
  /** The function's timeout: its invocations' context counts down from it. */
  readonly timeoutSeconds: number;
  readonly load: () => Promise<StreamLambda>;
}

export interface DeadLetter {
  readonly consumer: string;
  readonly record: DynamoDBRecord;
  readonly error: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class StreamInvoker {
  readonly deadLetters: DeadLetter[] = [];
  readonly #handlers = new Map<string, Promise<StreamLambda>>();

  constructor(readonly consumers: readonly LocalStreamConsumer[]) {}

  /** Hands `records` (in stream order) to every consumer whose filter wants some of them. */
  async dispatch(records: DynamoDBRecord[]): Promise<void> {
    for (const consumer of this.consumers) {
      const wanted = records.filter((r) => matchesFilter(consumer.filter, r));
      for (let i = 0; i < wanted.length; i += consumer.batchSize) {
        await this.#deliver(consumer, wanted.slice(i, i + consumer.batchSize));
      }
    }
  }

  /**
   * Invokes the consumer until the batch is done: a partial batch response retries from the lowest
   * failed record; a thrown error splits the batch in two first (`bisectBatchOnFunctionError`), so a
   * poison record ends up alone before it is retried and dead-lettered.
   */
  async #deliver(consumer: LocalStreamConsumer, batch: DynamoDBRecord[]): Promise<void> {
    let pending = batch;
    let attempt = 0;
    while (pending.length > 0) {
      const failedAt = await this.#invoke(consumer, pending);
      if (failedAt === undefined) return;
      if (failedAt.thrown && pending.length > 1) {
        const half = Math.ceil(pending.length / 2);
        await this.#deliver(consumer, pending.slice(0, half));
        await this.#deliver(consumer, pending.slice(half));
        return;
      }
      if (attempt++ < consumer.retryAttempts) {
        pending = pending.slice(failedAt.index);
        await sleep(50 * 2 ** attempt);
        continue;
      }
      const record = pending[failedAt.index] as DynamoDBRecord;
      this.deadLetters.push({ consumer: consumer.name, record, error: failedAt.error });
      pending = pending.slice(failedAt.index + 1);
      attempt = 0;
    }
  }

  /** One invocation; the index of the lowest failed record, or undefined when all succeeded. */
  async #invoke(
    consumer: LocalStreamConsumer,
    records: DynamoDBRecord[],
  ): Promise<{ index: number; error: string; thrown: boolean } | undefined> {
    let handler = this.#handlers.get(consumer.name);
    if (!handler) {
      handler = consumer.load();
      this.#handlers.set(consumer.name, handler);
    }
    try {
      const run = await handler;
      // As on Lambda, the timeout counts from the invocation, after the module was loaded.
      const context = lambdaContext(consumer.name, consumer.timeoutSeconds * 1000);
      const response = (await run({ Records: records }, context)) as DynamoDBBatchResponse | undefined;
      const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      if (failed.size === 0) return undefined;
      const index = records.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
      return { index: Math.max(0, index), error: 'reported in batchItemFailures', thrown: false };
    } catch (error) {
      return { index: 0, error: (error as Error).message, thrown: true };
    }
  }
}

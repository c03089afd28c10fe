/**
 * A local stand-in for Lambda's DynamoDB Streams event source mappings: reads the table's stream in
 * DynamoDB Local with `@aws-sdk/client-dynamodb-streams` and invokes each consumer of
 * lib/stream-consumers.ts with the event Lambda would send (`DynamoDBStreamEvent`, records filtered
 * by the consumer's filter pattern, at most `batchSize` per invocation).
 *
 * Shards are read in order; a closed shard hands over to its children. When DynamoDB Local is
 * unreachable the poller backs off and starts again from the stream's end. Invoking the consumers
 * (partial batch responses, bisection, retries, dead letters) is stream-invoker.ts.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamSdkRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { type DeadLetter, type LocalStreamConsumer, StreamInvoker } from './stream-invoker.ts';

export type { DeadLetter, LocalStreamConsumer, StreamLambda } from './stream-invoker.ts';

export interface StreamPollerOptions {
  readonly endpoint: string;
  readonly tableName: string;
  readonly consumers: readonly LocalStreamConsumer[];
  /** Pause between empty reads (Lambda polls a shard 4 times a second). @default 100 ms */
  readonly pollMs?: number;
}

interface Shard {
  readonly id: string;
  iterator: string | undefined;
  /** The last record read from the shard (dispatched, or skipped while fast-forwarding). */
  lastSequence: string | undefined;
}

const errorName = (error: unknown): string => (error as { name?: string })?.name ?? '';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const POLL_MS = 100;

/** The SDK's record as Lambda delivers it (epoch-second times, base64 binary, the stream's ARN). */
export function lambdaRecord(record: StreamSdkRecord, streamArn: string): DynamoDBRecord {
  const json = JSON.parse(
    JSON.stringify(record, (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
    ),
  ) as DynamoDBRecord & { dynamodb?: { ApproximateCreationDateTime?: unknown } };
  const created = record.dynamodb?.ApproximateCreationDateTime;
  if (json.dynamodb) {
    json.dynamodb.ApproximateCreationDateTime =
      created instanceof Date ? Math.floor(created.getTime() / 1000) : Math.floor(Date.now() / 1000);
  }
  return { ...json, eventSourceARN: streamArn };
}

export class StreamPoller {
  readonly #invoker: StreamInvoker;
  readonly #streams: DynamoDBStreamsClient;
  readonly #db: DynamoDBClient;
  #running = false;
  #paused = false;
  #loop: Promise<void> | undefined;
  #busy = 0;
  /** When the last read cycle that went to the end of every shard started. */
  #caughtUpFrom = 0;

  constructor(readonly options: StreamPollerOptions) {
    // A hung DynamoDB Local fails a read cycle after 10 s instead of holding it (and `stop`) for ever.
    const requestHandler = { requestTimeout: 10_000, connectionTimeout: 5_000 };
    this.#streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, maxAttempts: 1, requestHandler });
    this.#db = new DynamoDBClient({ endpoint: options.endpoint, maxAttempts: 1, requestHandler });
    this.#invoker = new StreamInvoker(options.consumers);
  }

  /** Records that failed every retry (the on-failure queue). */
  get deadLetters(): readonly DeadLetter[] {
    return this.#invoker.deadLetters;
  }

  /** Starts reading after the stream's current end (changes written from now on). */
  async start(): Promise<void> {
    const opened = await this.#openShards();
    this.#running = true;
    this.#loop = this.#run(opened);
  }

  /** From now on nothing is handed to the consumers (changes pile up in the stream) until `resume`. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
  }

  /** Resolves when no batch is being handled. */
  async idle(): Promise<void> {
    while (this.#busy > 0) await sleep(10);
  }

  /**
   * Resolves once every change written before this call has been handed to the consumers: when a
   * read cycle that started at least `lagMs` later (DynamoDB Local makes a record readable about
   * 110 ms after the write) has reached the end of every shard.
   */
  async drain(lagMs = 400): Promise<void> {
    const from = Date.now() + lagMs;
    while (this.#caughtUpFrom < from) {
      if (!this.#running) return;
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    this.#streams.destroy();
    this.#db.destroy();
  }

  async #streamArn(): Promise<string> {
    const out = await this.#db.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    const arn = out.Table?.LatestStreamArn;
    if (!arn) throw new Error(`table ${this.options.tableName} has no stream`);
    return arn;
  }

  /**
   * The stream's open shards (or the children of a closed one, from their start). Open shards are
   * fast-forwarded: read from their oldest record to the end without dispatching, so the position
   * and the last sequence number are known. (DynamoDB Local's `LATEST` iterators answer
   * TrimmedDataAccessException on an empty shard's first write; a known position avoids them.)
   */
  async #openShards(parentId?: string): Promise<{ arn: string; shards: Shard[] }> {
    const arn = await this.#streamArn();
    const out = await this.#streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    const all = out.StreamDescription?.Shards ?? [];
    const wanted = all.filter((s) =>
      parentId ? s.ParentShardId === parentId : !s.SequenceNumberRange?.EndingSequenceNumber,
    );
    const shards: Shard[] = [];
    for (const s of wanted) {
      if (!s.ShardId) continue;
      const shard: Shard = { id: s.ShardId, iterator: undefined, lastSequence: undefined };
      shard.iterator = await this.#iterator(arn, shard);
      if (!parentId) await this.#fastForward(shard);
      shards.push(shard);
    }
    return { arn, shards };
  }

  /** An iterator after the shard's last record read, or at its oldest record. */
  async #iterator(arn: string, shard: Shard): Promise<string | undefined> {
    const out = await this.#streams.send(
      new GetShardIteratorCommand({
        StreamArn: arn,
        ShardId: shard.id,
        ...(shard.lastSequence
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequence }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return out.ShardIterator;
  }

  async #fastForward(shard: Shard): Promise<void> {
    while (shard.iterator) {
      const out = await this.#streams.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }),
      );
      shard.iterator = out.NextShardIterator;
      const last = out.Records?.at(-1)?.dynamodb?.SequenceNumber;
      if (!last) return;
      shard.lastSequence = last;
    }
  }

  /** One read of a shard; a trimmed or expired iterator is renewed after the last record read. */
  async #read(arn: string, shard: Shard): Promise<StreamSdkRecord[]> {
    if (!shard.iterator) return [];
    try {
      const out = await this.#streams.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }),
      );
      shard.iterator = out.NextShardIterator;
      return out.Records ?? [];
    } catch (error) {
      const name = errorName(error);
      if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw error;
      shard.iterator = await this.#iterator(arn, shard);
      return [];
    }
  }

  async #run(initial: { arn: string; shards: Shard[] }): Promise<void> {
    let { arn, shards } = initial;
    let failures = 0;
    while (this.#running) {
      if (this.#paused) {
        await sleep(this.options.pollMs ?? POLL_MS);
        continue;
      }
      try {
        const cycleStart = Date.now();
        if (shards.length === 0) ({ arn, shards } = await this.#openShards());
        let read = 0;
        for (const shard of [...shards]) {
          const records = (await this.#read(arn, shard)).map((r) => lambdaRecord(r, arn));
          read += records.length;
          // Paused while the read was in flight: hold what it brought until resumed.
          while (this.#paused && this.#running && records.length > 0)
            await sleep(this.options.pollMs ?? POLL_MS);
          if (records.length > 0) {
            shard.lastSequence = records.at(-1)?.dynamodb?.SequenceNumber ?? shard.lastSequence;
            await this.#dispatch(records);
          }
          if (!shard.iterator) {
            // The shard is closed: continue with its children from their start.
            shards = shards.filter((s) => s !== shard);
            shards.push(...(await this.#openShards(shard.id)).shards);
          }
        }
        failures = 0;
        if (read === 0) {
          this.#caughtUpFrom = cycleStart;
          await sleep(this.options.pollMs ?? POLL_MS);
        }
      } catch (error) {
        // DynamoDB Local restarted or is gone: start again from the stream's end when it is back.
        if (failures++ === 0 && this.#running) {
          process.stderr.write(`stream poller: ${(error as Error).message}; retrying\n`);
        }
        shards = [];
        await sleep(Math.min(2000, 100 * 2 ** Math.min(failures, 5)));
      }
    }
  }

  async #dispatch(records: DynamoDBRecord[]): Promise<void> {
    this.#busy++;
    try {
      await this.#invoker.dispatch(records);
    } finally {
      this.#busy--;
    }
  }
}

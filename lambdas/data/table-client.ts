/**
 * What every repository needs from DynamoDB, once: the table name on every request, paging, batches
 * whose unprocessed keys are retried with backoff, transactions (optionally sent again while other
 * transactions cancel them); a refused conditional write becomes a value in conditions.ts. A write
 * refused because its partition is full (10 GB with the table's local indexes) throws `ChatFull`
 * (lambdas/shared/errors.ts), whichever write it was; a put says how big its partition is. Reads
 * made under a read meter report the units they consumed to it (read-meter.ts).
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DeleteCommandInput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ChatFull } from '../shared/errors.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { cancelledByConflict, isCollectionFull } from './conditions.ts';
import type { Item } from './item.ts';
import type { Key } from './keys.ts';
import { bookReads, capacityAsked } from './read-meter.ts';

export { conditionFailed, contended, ifConditionFails, isAborted, refusedOrBusy } from './conditions.ts';

/**
 * What a put tells of its partition: the upper bound of DynamoDB's estimate of the partition's item
 * collection (its items and their local-index entries), in GB, when the put asked for it
 * (`ReturnItemCollectionMetrics: 'SIZE'`, free) and DynamoDB answered one (AWS does for a table with
 * local indexes; DynamoDB Local never does).
 */
export interface PutAnswer {
  readonly collectionGB: number | undefined;
}

/** A write's answer; its error as callers see it: a full partition is `ChatFull`, any other as it came. */
async function written<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw isCollectionFull(error) ? new ChatFull() : error;
  }
}

/** Conditions on the presence of the item a write targets. */
export const itemExists = 'attribute_exists(pk)';
export const itemAbsent = 'attribute_not_exists(pk)';

/** DynamoDB's limits per request. */
export const MAX_TRANSACTION_ITEMS = 100;
const MAX_BATCH_GET = 100;
const MAX_BATCH_WRITE = 25;
/** BatchWriteItem requests in flight at once. */
const PARALLEL_BATCH_WRITES = 8;
/** Unprocessed batch items are sent again this many times (with backoff) before the call fails. */
const BATCH_RETRIES = 9;
const BATCH_BACKOFF: Backoff = { baseMs: 20, capMs: 1000 };
/** A transaction that only other transactions cancelled is sent this many times in all (`transactThroughConflicts`). */
const CONFLICT_ATTEMPTS = 6;
const CONFLICT_BACKOFF: Backoff = { baseMs: 10, capMs: 200 };

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type WithoutTable<T> = Omit<NonNullable<T>, 'TableName'>;
/** One action of a transaction, without the table name (the client adds it). */
export type TransactAction =
  | { Put: WithoutTable<TransactItem['Put']> }
  | { Update: WithoutTable<TransactItem['Update']> }
  | { Delete: WithoutTable<TransactItem['Delete']> }
  | { ConditionCheck: WithoutTable<TransactItem['ConditionCheck']> };

type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Key } };

/**
 * Per-request options. `abortSignal` ends the request (and the SDK's retries of it) when it fires:
 * the writer deadlines of the send path (docs/data-model.md) rely on it.
 */
export interface RequestOptions {
  readonly abortSignal?: AbortSignal | undefined;
}

const sendOptions = (options: RequestOptions | undefined) =>
  options?.abortSignal ? { abortSignal: options.abortSignal } : undefined;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Sends `pending` until nothing is left unprocessed, backing off between rounds. */
async function drain<T>(pending: T[], send: (batch: T[]) => Promise<T[] | undefined>, what: string) {
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > BATCH_RETRIES) throw new Error(`${what} left items unprocessed`);
    if (attempt > 0) await backOff(BATCH_BACKOFF, attempt);
    pending = (await send(pending)) ?? [];
  }
}

/** The document client bound to the table. */
export class TableClient {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  /** One item by key, or undefined. */
  async get(
    key: Key,
    options: { consistent?: boolean; projection?: string } = {},
  ): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.name,
        Key: key,
        ...(options.consistent !== undefined ? { ConsistentRead: options.consistent } : {}),
        ...(options.projection ? { ProjectionExpression: options.projection } : {}),
        ...capacityAsked(),
      }),
    );
    bookReads(out.ConsumedCapacity);
    return out.Item;
  }

  async put(input: Omit<PutCommandInput, 'TableName'>, options?: RequestOptions): Promise<PutAnswer> {
    const out = await written(() =>
      this.client.send(new PutCommand({ ...input, TableName: this.name }), sendOptions(options)),
    );
    const range = out.ItemCollectionMetrics?.SizeEstimateRangeGB;
    return { collectionGB: range?.length ? Math.max(...range) : undefined };
  }

  /** An UpdateItem; the item's attributes when `ReturnValues` asks for them. */
  async update(
    input: Omit<UpdateCommandInput, 'TableName'>,
    options?: RequestOptions,
  ): Promise<Item | undefined> {
    const out = await written(() =>
      this.client.send(new UpdateCommand({ ...input, TableName: this.name }), sendOptions(options)),
    );
    return out.Attributes;
  }

  /** A DeleteItem; the old item when `ReturnValues: 'ALL_OLD'` asks for it. */
  async delete(input: Omit<DeleteCommandInput, 'TableName'>): Promise<Item | undefined> {
    const out = await this.client.send(new DeleteCommand({ ...input, TableName: this.name }));
    return out.Attributes;
  }

  /** One page of a Query. */
  async query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const out = await this.client.send(
      new QueryCommand({ ...input, ...capacityAsked(), TableName: this.name }),
    );
    bookReads(out.ConsumedCapacity);
    return out.Items ?? [];
  }

  /** One page of a Query and where the next one starts (undefined on the last). */
  async queryPage(
    input: Omit<QueryCommandInput, 'TableName'>,
  ): Promise<{ items: Item[]; lastKey: Item | undefined }> {
    const out = await this.client.send(
      new QueryCommand({ ...input, ...capacityAsked(), TableName: this.name }),
    );
    bookReads(out.ConsumedCapacity);
    return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey };
  }

  /** One page of a Query that only counts (`Select: COUNT`) and where the next one starts. */
  async queryCount(
    input: Omit<QueryCommandInput, 'TableName' | 'Select'>,
  ): Promise<{ count: number; lastKey: Item | undefined }> {
    const out = await this.client.send(
      new QueryCommand({ ...input, ...capacityAsked(), Select: 'COUNT', TableName: this.name }),
    );
    bookReads(out.ConsumedCapacity);
    return { count: out.Count ?? 0, lastKey: out.LastEvaluatedKey };
  }

  /** Every page of a Query. */
  async queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({ ...input, ...capacityAsked(), TableName: this.name, ExclusiveStartKey: startKey }),
      );
      bookReads(out.ConsumedCapacity);
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /**
   * The items of `keyList` that exist (duplicates asked once), in no particular order; `consistent`
   * reads each strongly (1 read unit per item instead of 0.5).
   */
  async batchGet(keyList: readonly Key[], options: { consistent?: boolean } = {}): Promise<Item[]> {
    const unique = [...new Map(keyList.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
    const items: Item[] = [];
    for (const batch of chunks(unique, MAX_BATCH_GET)) {
      const keys: Item[] = batch.map((k) => ({ pk: k.pk, sk: k.sk }));
      await drain(
        keys,
        async (pending) => {
          const out = await this.client.send(
            new BatchGetCommand({
              RequestItems: {
                [this.name]: { Keys: pending, ...(options.consistent ? { ConsistentRead: true } : {}) },
              },
              ...capacityAsked(),
            }),
          );
          bookReads(out.ConsumedCapacity);
          items.push(...(out.Responses?.[this.name] ?? []));
          return out.UnprocessedKeys?.[this.name]?.Keys;
        },
        'BatchGet',
      );
    }
    return items;
  }

  /**
   * Puts and deletes, 25 to a request, a few requests in flight at once (a group of 1,000 is 40);
   * once `abortSignal` fires, no request is sent again (the call fails).
   */
  async batchWrite(requests: readonly WriteRequest[], options?: RequestOptions): Promise<void> {
    const batches = chunks(requests, MAX_BATCH_WRITE);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        await drain(
          batches[next++] as WriteRequest[],
          async (pending) => {
            const out = await written(() =>
              this.client.send(
                new BatchWriteCommand({ RequestItems: { [this.name]: pending } }),
                sendOptions(options),
              ),
            );
            return out.UnprocessedItems?.[this.name] as WriteRequest[] | undefined;
          },
          'BatchWrite',
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BATCH_WRITES, batches.length) }, worker));
  }

  /** All of `actions` or none (TransactWriteItems). */
  async transact(actions: readonly TransactAction[], options?: RequestOptions): Promise<void> {
    const TransactItems = actions.map((action): TransactItem => {
      if ('Put' in action) return { Put: { ...action.Put, TableName: this.name } };
      if ('Update' in action) return { Update: { ...action.Update, TableName: this.name } };
      if ('Delete' in action) return { Delete: { ...action.Delete, TableName: this.name } };
      return { ConditionCheck: { ...action.ConditionCheck, TableName: this.name } };
    });
    await written(() => this.client.send(new TransactWriteCommand({ TransactItems }), sendOptions(options)));
  }

  /**
   * `transact`, sent again after a short backoff while DynamoDB cancels it only because other
   * transactions held its items (`TransactionConflict`: the SDK does not retry a cancelled
   * transaction, and such a cancellation wrote nothing and failed no condition), up to
   * `CONFLICT_ATTEMPTS` sends; the last cancellation is thrown as it came. For writes whose callers
   * must not read a conflict as a refusal (`ifConditionFails` hands both to its callback): they tell
   * the two apart with `refusedOrBusy`, so contention that outlasts the attempts is a `'busy'` value.
   */
  async transactThroughConflicts(
    actions: readonly TransactAction[],
    options?: RequestOptions,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transact(actions, options);
      } catch (error) {
        if (attempt >= CONFLICT_ATTEMPTS || !cancelledByConflict(error)) throw error;
        await backOff(CONFLICT_BACKOFF, attempt - 1);
      }
    }
  }
}

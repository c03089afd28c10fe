/**
 * A lagging replica, to make DynamoDB's eventual consistency deterministic: an eventually consistent
 * read "might not reflect the results of a recently completed write" (the DynamoDB developer guide),
 * and DynamoDB Local always answers with the latest. `freeze(pk)` copies a partition as it is now
 * into a table of its own (the product's definition: the engine evaluates the same key conditions
 * and indexes); from then on, through `doc`, eventually consistent `GetItem`s and `Query`s of that
 * partition are answered from the copy, and strongly consistent ones (and every write) from the
 * table itself. Other partitions, and `BatchGetItem`, are not affected. `lag(client)` does the same
 * to another client (the handlers' own, for a pipeline that runs on the lagging replica).
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/table.ts';
import { ensureTable } from '../../local/dynamodb-table.ts';
import type { TestStack } from './stack.ts';

/**
 * A read request as the `initialize` step sees it: a document client's input is plain (marshalled
 * just before serializing), a low-level client's is marshalled already.
 */
interface ReadInput {
  readonly TableName?: string;
  readonly ConsistentRead?: boolean;
  readonly Key?: Record<string, unknown>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

/** A string value, plain or marshalled. */
const stringOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : ((value as { S?: string } | undefined)?.S ?? undefined);

export class LaggingReplica {
  readonly #frozen = new Set<string>();
  /** A document client whose eventually consistent reads of frozen partitions lag (module comment). */
  readonly doc: DynamoDBDocumentClient;

  private constructor(
    private readonly base: DynamoDBClient,
    private readonly tableName: string,
    private readonly replicaName: string,
  ) {
    this.lag(base);
    this.doc = DynamoDBDocumentClient.from(base);
  }

  /**
   * Makes `client`'s eventually consistent reads of frozen partitions lag too (its middleware stack:
   * e.g. the handlers' own document client, `lightDynamo` included, which sends what this step
   * passes on). Returns the client.
   */
  lag<C extends { middlewareStack: DynamoDBClient['middlewareStack'] }>(client: C): C {
    const { tableName, replicaName } = this;
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as ReadInput;
        const pk =
          stringOf(input.Key?.[TABLE.partitionKey]) ?? stringOf(input.ExpressionAttributeValues?.[':pk']);
        const lagging =
          input.TableName === tableName && input.ConsistentRead !== true && pk && this.#frozen.has(pk);
        return next(lagging ? { ...args, input: { ...input, TableName: replicaName } } : args);
      },
      { step: 'initialize', name: 'laggingReplica' },
    );
    return client;
  }

  /** A replica of `stack`'s table (an empty table of its own, until partitions are frozen). */
  static async start(stack: TestStack): Promise<LaggingReplica> {
    const replicaName = `${stack.tableName}-replica-${randomBytes(3).toString('hex')}`;
    await ensureTable(stack.dynamoEndpoint, replicaName, { stream: false });
    return new LaggingReplica(
      new DynamoDBClient({ endpoint: stack.dynamoEndpoint }),
      stack.tableName,
      replicaName,
    );
  }

  /**
   * From now on, eventually consistent reads of partition `pk` see it as it is now, but for the items
   * whose sort key is in `unapplied` (writes the replica has not applied yet). Once per pk.
   */
  async freeze(pk: string, options: { readonly unapplied?: readonly string[] } = {}): Promise<void> {
    const unapplied = new Set(options.unapplied);
    if (this.#frozen.has(pk)) throw new Error(`"pk" ${pk} is frozen already`);
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: `${TABLE.partitionKey} = :pk`,
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      const items = (page.Items ?? []).filter((item) => !unapplied.has(String(item[TABLE.sortKey])));
      for (let i = 0; i < items.length; i += 25) {
        const puts = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
        const written = await this.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.replicaName]: puts } }),
        );
        if (Object.keys(written.UnprocessedItems ?? {}).length > 0)
          throw new Error('the replica did not take every item');
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    this.#frozen.add(pk);
  }

  async stop(): Promise<void> {
    this.#frozen.clear();
    await this.base.send(new DeleteTableCommand({ TableName: this.replicaName })).catch(() => undefined);
    this.base.destroy();
  }
}

/** Creates the product's table in DynamoDB Local from the shared definition in lib/table.ts. */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  type Projection,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type IndexDefinition, TABLE } from '../lib/table.ts';

/** INCLUDE with the listed attributes, or KEYS_ONLY when there are none (as lib/chat-table.ts does). */
function projectionOf(gsi: IndexDefinition): Projection {
  return gsi.nonKeyAttributes.length > 0
    ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...gsi.nonKeyAttributes] }
    : { ProjectionType: 'KEYS_ONLY' };
}

export interface LocalTableOptions {
  /**
   * Enable the table's stream (lib/table.ts `streamViewType`). On AWS it always exists; locally only
   * what reads it needs it (the event pipeline: local/pipeline.ts): DynamoDB Local writes every stream
   * record to its store, which makes large writes (a 200-member group) noticeably slower.
   * @default true
   */
  readonly stream?: boolean;
}

export function createTableInput(
  tableName: string,
  options: LocalTableOptions = {},
): CreateTableCommandInput {
  const attributes = new Set<string>([TABLE.partitionKey, TABLE.sortKey]);
  for (const gsi of TABLE.globalSecondaryIndexes) {
    attributes.add(gsi.partitionKey);
    attributes.add(gsi.sortKey);
  }
  for (const lsi of TABLE.localSecondaryIndexes) attributes.add(lsi.sortKey);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map((gsi) => ({
      IndexName: gsi.indexName,
      KeySchema: [
        { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
        { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
      ],
      Projection: projectionOf(gsi),
    })),
    LocalSecondaryIndexes: TABLE.localSecondaryIndexes.map((lsi) => ({
      IndexName: lsi.indexName,
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: lsi.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    })),
    ...(TABLE.streamViewType && options.stream !== false
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.streamViewType } }
      : {}),
  };
}

/** A table created before it had a stream (kept with --persist) gets one. */
async function ensureStream(client: DynamoDBClient, tableName: string): Promise<void> {
  if (!TABLE.streamViewType) return;
  const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (out.Table?.StreamSpecification?.StreamEnabled) return;
  await client.send(
    new UpdateTableCommand({
      TableName: tableName,
      StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.streamViewType },
    }),
  );
}

/** Creates the table (and its TTL setting) unless it exists. */
export async function ensureTable(
  endpoint: string,
  tableName: string,
  options: LocalTableOptions = {},
): Promise<void> {
  const client = new DynamoDBClient({ endpoint });
  try {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName, options)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      if (options.stream !== false) await ensureStream(client, tableName);
      await addMissingIndexes(client, tableName);
      return;
    }
    await waitUntilActive(client, tableName);
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } finally {
    client.destroy();
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = out.Table?.GlobalSecondaryIndexes ?? [];
    if (out.Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE'))
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A table kept by `--persist` from before an index was added to lib/table.ts gets it now, the way a
 * deploy adds it on AWS (one index per update, as CloudFormation does).
 */
async function addMissingIndexes(client: DynamoDBClient, tableName: string): Promise<void> {
  const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((out.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  for (const gsi of TABLE.globalSecondaryIndexes.filter((i) => !present.has(i.indexName))) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [gsi.partitionKey, gsi.sortKey].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: gsi.indexName,
              KeySchema: [
                { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
                { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
              ],
              Projection: projectionOf(gsi),
            },
          },
        ],
      }),
    );
    await waitUntilActive(client, tableName);
  }
}

/**
 * The light path of DynamoDB's data commands (lambdas/data/light-dynamo.ts) against DynamoDB Local:
 * every command the product sends answers exactly what the SDK's document client answers for the
 * same input (items with every kind of value, binary and sets included, paging, batches,
 * transactions), and fails exactly like it (the error's name, message, fault and members).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { lightDynamo } from '../../lambdas/data/light-dynamo.ts';
import { ensureTable } from '../../local/dynamodb-table.ts';

const endpoint = inject('dynamoEndpoint');
const TableName = `light-${randomBytes(4).toString('hex')}`;
const translate = {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  unmarshallOptions: { wrapNumbers: false },
};

/** Every path the light client took past the SDK's endpoint rules (so: through the SDK). */
const sdkCalls: string[] = [];
const light = lightDynamo(DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }), translate));
light.middlewareStack.add(
  ((next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
    sdkCalls.push(String(context.commandName));
    return next(args);
  }) as never,
  { step: 'finalizeRequest', name: 'sdkSpy' },
);
const sdk = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }), translate);

/** The answer without `$metadata` (request ids and timings differ). */
const strip = (output: object) =>
  Object.fromEntries(Object.entries(output).filter(([k]) => k !== '$metadata'));

/** `value` with every string `from` in it replaced by `to` (items, sets and lists included). */
function rename(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.split(from).join(to);
  if (value instanceof Set) return new Set([...value].map((v) => rename(v, from, to)));
  if (Array.isArray(value)) return value.map((v) => rename(v, from, to));
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rename(v, from, to)]));
  }
  return value;
}

/**
 * The same command through both clients, each on its own copy of the data (`make` gets the
 * partition-key prefix to use: `L…` for the light client, `S…` for the SDK's); their answers (or
 * failures) must be equal once the prefixes are made the same.
 */
async function both(make: (p: string) => object): Promise<{ light: unknown; sdk: unknown }> {
  const run = (client: DynamoDBDocumentClient, p: string) =>
    client.send(make(p) as never).then(
      (out) => ({ ok: rename(strip(out as object), p, 'X') }),
      (error: Record<string, unknown>) => ({
        failed: rename(
          {
            name: error.name,
            message: error.message,
            $fault: error.$fault,
            status: (error.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode,
            Item: error.Item,
            CancellationReasons: error.CancellationReasons,
          },
          p,
          'X',
        ),
      }),
    );
  const l = await run(light, 'L');
  const s = await run(sdk, 'S');
  expect(l).toEqual(s);
  return { light: l, sdk: s };
}

/** Writes the same data for both clients (through the SDK). */
const seed = async (make: (p: string) => object) => {
  for (const p of ['L', 'S']) await sdk.send(make(p) as never);
};

const item = (pk: string, sk: string) => ({
  pk,
  sk,
  text: 'héllo ✓ "quoted" \\ back',
  n: 42,
  float: 1.5,
  negative: -7,
  flag: true,
  nothing: null,
  list: [1, 'two', { three: 3 }, [4]],
  map: { nested: { deeper: 'yes' }, empty: {} },
  strings: new Set(['a', 'b']),
  numbers: new Set([1, 2, 3]),
  bytes: new Uint8Array([0, 1, 2, 250, 255]),
  byteSet: new Set([new Uint8Array([1]), new Uint8Array([2, 3])]),
  B: { S: 'an attribute named B holding a map' },
  gone: undefined,
});

beforeAll(async () => {
  await ensureTable(endpoint, TableName, { stream: false });
  // The light client's first data call goes through the SDK (it learns the endpoint from it).
  await light.send(new GetCommand({ TableName, Key: { pk: 'none', sk: 'none' } }));
  sdkCalls.length = 0;
});

describe('light DynamoDB data commands', () => {
  it('put, get, update, delete: the same answers as the SDK, every kind of value round trips', async () => {
    await both(
      (p) => new PutCommand({ TableName, Item: item(`${p}#1`, 'a'), ReturnConsumedCapacity: 'TOTAL' }),
    );
    const got = await both(
      (p) => new GetCommand({ TableName, Key: { pk: `${p}#1`, sk: 'a' }, ConsistentRead: true }),
    );
    const stored = (got.light as { ok: { Item: Record<string, unknown> } }).ok.Item;
    expect(stored.bytes).toEqual(new Uint8Array([0, 1, 2, 250, 255]));
    expect(stored.byteSet).toEqual(new Set([new Uint8Array([1]), new Uint8Array([2, 3])]));
    expect(stored.B).toEqual({ S: 'an attribute named B holding a map' });
    expect(stored).not.toHaveProperty('gone');
    await both((p) => new GetCommand({ TableName, Key: { pk: `${p}#1`, sk: 'missing' } }));
    await both(
      (p) =>
        new UpdateCommand({
          TableName,
          Key: { pk: `${p}#1`, sk: 'a' },
          UpdateExpression: 'SET #c = if_not_exists(#c, :zero) + :one, tags = :tags REMOVE map.nested',
          ExpressionAttributeNames: { '#c': 'count' },
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':tags': new Set(['x']) },
          ReturnValues: 'ALL_NEW',
          ReturnConsumedCapacity: 'TOTAL',
        }),
    );
    await both(
      (p) => new DeleteCommand({ TableName, Key: { pk: `${p}#1`, sk: 'a' }, ReturnValues: 'ALL_OLD' }),
    );
    expect(sdkCalls).toEqual([]);
  });

  it('query: items, paging by LastEvaluatedKey, counts and consumed capacity', async () => {
    for (let i = 0; i < 5; i++)
      await seed((p) => new PutCommand({ TableName, Item: item(`${p}#2`, `s${i}`) }));
    const query = (p: string, start?: Record<string, unknown>) =>
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)',
        ExpressionAttributeValues: { ':pk': `${p}#2`, ':s': 's' },
        Limit: 2,
        ReturnConsumedCapacity: 'TOTAL',
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
    let start: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const from = start;
      const { light: answer } = await both((p) =>
        query(p, from && (rename(from, 'X', p) as Record<string, unknown>)),
      );
      start = (answer as { ok: { LastEvaluatedKey?: Record<string, unknown> } }).ok.LastEvaluatedKey;
      pages++;
    } while (start);
    expect(pages).toBe(3);
    expect(sdkCalls).toEqual([]);
  });

  it('batches: writes of puts and deletes, gets with a missing key', async () => {
    await seed((p) => new PutCommand({ TableName, Item: item(`${p}#3`, 'old') }));
    await both(
      (p) =>
        new BatchWriteCommand({
          RequestItems: {
            [TableName]: [
              { PutRequest: { Item: item(`${p}#3`, 'a') } },
              { PutRequest: { Item: item(`${p}#3`, 'b') } },
              { DeleteRequest: { Key: { pk: `${p}#3`, sk: 'old' } } },
            ],
          },
        }),
    );
    await both(
      (p) =>
        new BatchGetCommand({
          RequestItems: {
            [TableName]: {
              Keys: [
                { pk: `${p}#3`, sk: 'a' },
                { pk: `${p}#3`, sk: 'old' },
              ],
              ConsistentRead: true,
            },
          },
        }),
    );
    expect(sdkCalls).toEqual([]);
  });

  it('a refused condition fails like the SDK, with the old item when asked', async () => {
    await seed((p) => new PutCommand({ TableName, Item: item(`${p}#4`, 'a') }));
    const { light: answer } = await both(
      (p) =>
        new PutCommand({
          TableName,
          Item: { pk: `${p}#4`, sk: 'a' },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
    );
    expect(answer).toMatchObject({ failed: { name: 'ConditionalCheckFailedException', status: 400 } });
    expect((answer as { failed: { Item?: unknown } }).failed.Item).toBeDefined();
  });

  it('transactions: applied, and cancelled with one reason per action', async () => {
    const write = (p: string, sk: string) =>
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: item(`${p}#5`, sk), ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Update: {
              TableName,
              Key: { pk: `${p}#5`, sk: 'META' },
              UpdateExpression: 'ADD n :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
          {
            ConditionCheck: {
              TableName,
              Key: { pk: `${p}#5`, sk: 'OTHER' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      });
    await both((p) => write(p, 'first'));
    const { light: answer } = await both((p) => write(p, 'first'));
    expect(answer).toMatchObject({ failed: { name: 'TransactionCanceledException' } });
    expect(
      (answer as { failed: { CancellationReasons?: unknown[] } }).failed.CancellationReasons,
    ).toHaveLength(3);
    expect(sdkCalls).toEqual([]);
  });

  it('with the document client’s default options: undefined values left out, as lib-dynamodb does', async () => {
    const plain = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }));
    const lightPlain = lightDynamo(DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint })));
    await lightPlain.send(new GetCommand({ TableName, Key: { pk: 'none', sk: 'none' } }));
    const put = (p: string) =>
      new PutCommand({
        TableName,
        Item: { pk: `${p}#7`, sk: 'a', kept: 1, left: undefined },
        ReturnValues: 'NONE',
      });
    const run = (client: DynamoDBDocumentClient, p: string) =>
      client.send(put(p)).then(
        () => 'ok',
        (e: Error) => e.message,
      );
    expect(await run(lightPlain, 'L')).toBe(await run(plain, 'S'));
    const stored = await sdk.send(new GetCommand({ TableName, Key: { pk: 'L#7', sk: 'a' } }));
    expect(stored.Item).toEqual({ pk: 'L#7', sk: 'a', kept: 1 });
  });

  it('bad input fails like the SDK (validation); legacy parameters are converted as the SDK converts them', async () => {
    await both((p) => new GetCommand({ TableName, Key: { pk: `${p}only the hash key` } }));
    await both(() => new GetCommand({ TableName: 'no-such-table-here', Key: { pk: 'a', sk: 'b' } }));
    await both((p) => new PutCommand({ TableName, Item: { pk: `${p}#6`, sk: 'a', bad: new Set() } }));
    await both(
      (p) => new PutCommand({ TableName, Item: { pk: `${p}#6`, sk: 'a', big: 'x'.repeat(400 * 1024) } }),
    );
    sdkCalls.length = 0;
    // Legacy parameters are converted where lib-dynamodb converts them.
    await both(
      (p) =>
        new QueryCommand({
          TableName,
          KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [`${p}#2`] } },
          QueryFilter: { n: { ComparisonOperator: 'GT', AttributeValueList: [1] } },
        }),
    );
    await both(
      (p) =>
        new PutCommand({
          TableName,
          Item: { pk: `${p}#8`, sk: 'a', n: 1 },
          Expected: { pk: { Exists: false } },
          ReturnItemCollectionMetrics: 'SIZE',
        }),
    );
    expect(sdkCalls).toEqual([]);
  });
});

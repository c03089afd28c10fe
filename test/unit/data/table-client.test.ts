/** The table client: batches, paging, transactions and refused writes as values. */
import {
  BatchGetCommand,
  BatchWriteCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { ifConditionFails } from '../../../lambdas/data/table-client.ts';
import { cancelled, conditionFailed, ok, refused, TABLE_NAME, useMockTable } from './mock-table.ts';

// The batch backoff must not slow the tests: its delays resolve at once (retry.test.ts pins them).
vi.mock('node:timers/promises', () => ({ setTimeout: async () => undefined }));

const { ddb, table } = useMockTable();
const key = (n: number) => ({ pk: `P#${n}`, sk: 'S' });

describe('ifConditionFails', () => {
  it('answers the value of a successful write', async () => {
    await expect(ifConditionFails(Promise.resolve('written'), () => 'refused')).resolves.toBe('written');
  });

  it('turns a failed condition into a value, with the item it found', async () => {
    const failure = await ifConditionFails(Promise.reject(conditionFailed({ seq: { N: '4' } })), (f) => f);
    expect(failure).toMatchObject({ reasons: [{ conditionFailed: true, item: { seq: 4 } }] });
  });

  it('turns a cancelled transaction into one reason per action', async () => {
    const error = cancelled(ok, refused({ chatId: { S: 'c1' } }), { Code: 'TransactionConflict' });
    const failure = await ifConditionFails(Promise.reject(error), (f) => f);
    expect(failure).toMatchObject({
      reasons: [
        { code: 'None', conditionFailed: false, item: undefined },
        { code: 'ConditionalCheckFailed', conditionFailed: true, item: { chatId: 'c1' } },
        { code: 'TransactionConflict', conditionFailed: false },
      ],
      error,
    });
  });

  it('throws every other error', async () => {
    const throttled = Object.assign(new Error('slow down'), {
      name: 'ProvisionedThroughputExceededException',
    });
    await expect(ifConditionFails(Promise.reject(throttled), () => 'refused')).rejects.toBe(throttled);
  });
});

describe('TableClient', () => {
  it('asks each key once, 100 keys to a request', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE_NAME]: [] } });
    const keys = Array.from({ length: 150 }, (_, i) => key(i));
    await table.batchGet([...keys, key(0), key(1)]);
    const sizes = ddb
      .commandCalls(BatchGetCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE_NAME]?.Keys?.length);
    expect(sizes).toEqual([100, 50]);
  });

  it('asks unprocessed keys again until none is left', async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE_NAME]: [{ n: 1 }] },
        UnprocessedKeys: { [TABLE_NAME]: { Keys: [key(2)] } },
      })
      .resolvesOnce({ Responses: { [TABLE_NAME]: [{ n: 2 }] } });
    await expect(table.batchGet([key(1), key(2)])).resolves.toEqual([{ n: 1 }, { n: 2 }]);
    expect(ddb.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems?.[TABLE_NAME]?.Keys).toEqual([
      key(2),
    ]);
  });

  it('gives up after ten rounds that leave keys unprocessed', async () => {
    ddb.on(BatchGetCommand).resolves({ UnprocessedKeys: { [TABLE_NAME]: { Keys: [key(1)] } } });
    await expect(table.batchGet([key(1)])).rejects.toThrow('BatchGet left items unprocessed');
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(10);
  });

  it('writes 25 requests to a batch and sends unprocessed ones again', async () => {
    const requests = Array.from({ length: 30 }, (_, i) => ({ DeleteRequest: { Key: key(i) } }));
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE_NAME]: [{ DeleteRequest: { Key: key(3) } }] } })
      .resolves({});
    await table.batchWrite(requests);
    const sizes = ddb
      .commandCalls(BatchWriteCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE_NAME]?.length);
    // Batches are sent in parallel: the retry of the first may come before or after the second.
    expect([...sizes].sort((a = 0, b = 0) => a - b)).toEqual([1, 5, 25]);
  });

  it('reads every page of a Query', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ n: 1 }], LastEvaluatedKey: key(1) })
      .resolvesOnce({ Items: [{ n: 2 }] });
    await expect(table.queryAll({ KeyConditionExpression: 'pk = :pk' })).resolves.toEqual([
      { n: 1 },
      { n: 2 },
    ]);
    const calls = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls[0]).toMatchObject({ TableName: TABLE_NAME, ExclusiveStartKey: undefined });
    expect(calls[1]).toMatchObject({ ExclusiveStartKey: key(1) });
  });

  it('names the table on every action of a transaction and on single writes', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    await table.transact([
      { Put: { Item: key(1) } },
      { Delete: { Key: key(2) } },
      { ConditionCheck: { Key: key(3), ConditionExpression: 'x' } },
    ]);
    await table.put({ Item: key(4) });
    const actions = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(actions.map((a) => (a.Put ?? a.Delete ?? a.ConditionCheck)?.TableName)).toEqual([
      TABLE_NAME,
      TABLE_NAME,
      TABLE_NAME,
    ]);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.TableName).toBe(TABLE_NAME);
  });
});

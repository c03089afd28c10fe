/** Access patterns of a user's partition (connections, profile) and of read cursors. */
import {
  BatchGetCommand,
  DeleteCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TTL_ATTRIBUTE } from '../../../lambdas/data/keys.ts';
import { conditionFailed, TABLE_NAME, useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();

afterEach(() => {
  vi.useRealTimers();
});

describe('connections', () => {
  it('puts a connection under its user with a TTL', async () => {
    ddb.on(PutCommand).resolves({});
    await store.connections.put({
      userId: 'u1',
      connectionId: 'k1',
      connectedAt: '2026-01-01T00:00:00.000Z',
    });
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      TableName: TABLE_NAME,
      Item: { pk: 'USER#u1', sk: 'CONN#k1', itemType: 'connection' },
    });
    expect(input?.Item?.[TTL_ATTRIBUTE]).toBeTypeOf('number');
  });

  it('deletes a connection and says whether it was there', async () => {
    ddb
      .on(DeleteCommand)
      .resolvesOnce({ Attributes: { pk: 'USER#u1' } })
      .resolvesOnce({});
    await expect(store.connections.delete('u1', 'k1')).resolves.toBe(true);
    await expect(store.connections.delete('u1', 'k1')).resolves.toBe(false);
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'USER#u1', sk: 'CONN#k1' },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('removes a gone socket settled enough, and says whether this delete removed it', async () => {
    ddb
      .on(DeleteCommand)
      .resolvesOnce({ Attributes: { pk: 'USER#u1' } })
      .resolvesOnce({})
      .rejectsOnce(conditionFailed());
    await expect(store.connections.deleteIfSettled('u1', 'k1', 1_000)).resolves.toBe('removed');
    // Removed by someone else first: only the remover gives the socket's slot back.
    await expect(store.connections.deleteIfSettled('u1', 'k1', 1_000)).resolves.toBe('absent');
    await expect(store.connections.deleteIfSettled('u1', 'k2', 1_000)).resolves.toBe('young');
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'USER#u1', sk: 'CONN#k1' },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('lists the ids of unexpired connections, keys only, consistently when asked', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:10.000Z'), toFake: ['Date'] });
    ddb.on(QueryCommand).resolves({ Items: [{ sk: 'CONN#k1' }, { sk: 'CONN#k2' }] });
    await expect(store.connections.listIds('u1')).resolves.toEqual(['k1', 'k2']);
    await store.connections.listIds('u1', { consistent: true });
    const [eventual, consistent] = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(eventual).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: {
        ':pk': 'USER#u1',
        ':prefix': 'CONN#',
        ':now': Date.parse('2026-01-01T00:00:10Z') / 1000,
      },
      ProjectionExpression: 'sk, #ttl',
      ConsistentRead: false,
    });
    expect(consistent?.ConsistentRead).toBe(true);
  });
});

describe('profiles', () => {
  it('sets the name and last-seen time in one update that also creates the profile', async () => {
    ddb.on(UpdateCommand).resolves({});
    await store.profiles.touch('u1', 'Ann', '2026-01-01T00:00:00.000Z');
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'USER#u1', sk: 'PROFILE' },
      UpdateExpression:
        'SET #name = :name, #lastSeenAt = :lastSeenAt, #userId = :userId, #itemType = :itemType',
      ExpressionAttributeNames: {
        '#name': 'name',
        '#lastSeenAt': 'lastSeenAt',
        '#userId': 'userId',
        '#itemType': 'itemType',
      },
      ExpressionAttributeValues: {
        ':name': 'Ann',
        ':lastSeenAt': '2026-01-01T00:00:00.000Z',
        ':userId': 'u1',
        ':itemType': 'profile',
      },
    });
  });

  it('sets the last-seen time alone, leaving the name as it is', async () => {
    ddb.on(UpdateCommand).resolves({});
    await store.profiles.setLastSeen('u1', 'later');
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.UpdateExpression).not.toContain('#name');
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':lastSeenAt': 'later' });
  });

  it('reads profiles in one batch, keyed by user', async () => {
    ddb
      .on(BatchGetCommand)
      .resolves({ Responses: { [TABLE_NAME]: [{ userId: 'u2', name: 'Bo', lastSeenAt: null }] } });
    const profiles = await store.profiles.getMany(['u1', 'u2']);
    expect([...profiles]).toEqual([['u2', { userId: 'u2', name: 'Bo', lastSeenAt: null }]]);
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE_NAME]?.Keys).toEqual([
      { pk: 'USER#u1', sk: 'PROFILE' },
      { pk: 'USER#u2', sk: 'PROFILE' },
    ]);
  });
});

describe('read cursors', () => {
  it('moves a member cursor forward only, asking for the membership if it does not move', async () => {
    ddb.on(UpdateCommand).resolves({});
    await expect(store.cursors.advance('c1', 'u1', 9)).resolves.toEqual({ status: 'moved', lastReadSeq: 9 });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'CHAT#c1', sk: 'MEMBER#u1' },
      UpdateExpression: 'SET lastReadSeq = :seq',
      ConditionExpression: 'attribute_exists(pk) AND lastReadSeq < :seq',
      ExpressionAttributeValues: { ':seq': 9 },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('answers where the cursor is when it is already past, without reading again', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed({ chatId: { S: 'c1' }, lastReadSeq: { N: '12' } }));
    await expect(store.cursors.advance('c1', 'u1', 9)).resolves.toEqual({
      status: 'unchanged',
      lastReadSeq: 12,
    });
    expect(ddb.calls()).toHaveLength(1);
  });

  it('answers not-member when the membership is gone', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.cursors.advance('c1', 'u1', 9)).resolves.toEqual({ status: 'not-member' });
  });
});

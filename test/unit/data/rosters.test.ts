/** Access patterns of group rosters and join markers, over a mocked document client. */
import { BatchWriteCommand, DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONNECTION_TTL_SECONDS } from '../../../lambdas/data/items.ts';
import { TTL_ATTRIBUTE } from '../../../lambdas/data/keys.ts';
import { RECENT_JOINS_MAX } from '../../../lambdas/data/rosters.ts';
import { TABLE_NAME, useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();
const NOW = Date.parse('2026-01-01T00:00:10Z') / 1000;

afterEach(() => {
  vi.useRealTimers();
});

describe('rosters', () => {
  it('lists a roster with one consistent Query of its partition, unexpired entries only, keys only', async () => {
    vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] });
    ddb.on(QueryCommand).resolves({
      Items: [
        { sk: 'ONLINE#ann#k1' },
        { sk: 'ONLINE#ann#k+2/=' },
        { sk: 'ONLINE#bob#k3' },
        { sk: 'ONLINE#bad' },
      ],
    });
    await expect(store.rosters.list('g1')).resolves.toEqual([
      { userId: 'ann', connectionId: 'k1' },
      { userId: 'ann', connectionId: 'k+2/=' },
      { userId: 'bob', connectionId: 'k3' },
    ]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':pk': 'ROSTER#g1', ':prefix': 'ONLINE#', ':now': NOW },
      ProjectionExpression: 'sk',
      ConsistentRead: true,
    });
    // The push plan's read of who may be online: eventually consistent, half the price.
    await store.rosters.list('g1', { consistent: false });
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input.ConsistentRead).toBe(false);
  });

  it('reads every page of a big roster', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ sk: 'ONLINE#a#1' }],
        LastEvaluatedKey: { pk: 'ROSTER#g1', sk: 'ONLINE#a#1' },
      })
      .resolvesOnce({ Items: [{ sk: 'ONLINE#b#2' }] });
    await expect(store.rosters.list('g1')).resolves.toHaveLength(2);
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({
      pk: 'ROSTER#g1',
      sk: 'ONLINE#a#1',
    });
  });

  it('lists up to `max` sockets, eventually consistent, in pages of max + 1: undefined past max, the rest unread', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ sk: 'ONLINE#a#1' }], // two more were expired (filtered out)
        LastEvaluatedKey: { pk: 'ROSTER#g1', sk: 'ONLINE#a#3' },
      })
      .resolvesOnce({
        Items: [{ sk: 'ONLINE#b#4' }, { sk: 'ONLINE#c#5' }],
        LastEvaluatedKey: { pk: 'ROSTER#g1', sk: 'ONLINE#c#5' },
      });
    await expect(store.rosters.listUpTo('g1', 2)).resolves.toBeUndefined();
    const calls = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2); // stopped past max, though there was more
    expect(calls[0]).toMatchObject({ Limit: 3, ConsistentRead: false, FilterExpression: '#ttl > :now' });
    expect(calls[1]?.ExclusiveStartKey).toEqual({ pk: 'ROSTER#g1', sk: 'ONLINE#a#3' });
    ddb.reset();
    ddb.on(QueryCommand).resolves({ Items: [{ sk: 'ONLINE#a#1' }, { sk: 'ONLINE#b#2' }] });
    await expect(store.rosters.listUpTo('g1', 2)).resolves.toEqual([
      { userId: 'a', connectionId: '1' },
      { userId: 'b', connectionId: '2' },
    ]);
  });

  it("lists one member's sockets by their sort-key prefix", async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ sk: 'ONLINE#ann#k1' }] });
    await expect(store.rosters.listMember('g1', 'ann')).resolves.toEqual([
      { userId: 'ann', connectionId: 'k1' },
    ]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':pk': 'ROSTER#g1',
      ':prefix': 'ONLINE#ann#',
    });
  });

  it('adds entries with the TTL of their connection and nothing else, 25 to a BatchWriteItem', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    const entries = Array.from({ length: 30 }, (_, i) => ({
      chatId: `g${i}`,
      userId: 'ann',
      connectionId: 'k1',
      expiresAt: 1234,
    }));
    await store.rosters.add(entries);
    const calls = ddb
      .commandCalls(BatchWriteCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE_NAME] ?? []);
    expect(calls.map((c) => c.length).sort()).toEqual([25, 5]);
    expect(calls.flat()[0]).toEqual({
      PutRequest: {
        Item: { pk: 'ROSTER#g0', sk: 'ONLINE#ann#k1', [TTL_ATTRIBUTE]: 1234, itemType: 'online' },
      },
    });
  });

  it('writes nothing for no entries', async () => {
    await store.rosters.add([]);
    await store.rosters.remove([]);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('removes entries in batches, one entry with a DeleteItem, a whole roster after reading it', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(DeleteCommand).resolves({ Attributes: { pk: 'ROSTER#g1', sk: 'ONLINE#ann#k1' } });
    ddb.on(QueryCommand).resolves({ Items: [{ sk: 'ONLINE#ann#k1' }, { sk: 'ONLINE#bob#k2' }] });
    expect(await store.rosters.removeIfSettled('g1', { userId: 'ann', connectionId: 'k1' }, 1_000)).toBe(
      'removed',
    );
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'ROSTER#g1', sk: 'ONLINE#ann#k1' },
      // Not a socket still in its `$connect`: connected at or before 1,000 s (its TTL = that + the connection TTL).
      ConditionExpression: 'attribute_not_exists(#ttl) OR #ttl <= :limit',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':limit': 1_000 + CONNECTION_TTL_SECONDS },
      // Whether this delete removed it (`absent` when nothing was there).
      ReturnValues: 'ALL_OLD',
    });
    await store.rosters.clear('g1');
    expect(ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE_NAME]).toEqual([
      { DeleteRequest: { Key: { pk: 'ROSTER#g1', sk: 'ONLINE#ann#k1' } } },
      { DeleteRequest: { Key: { pk: 'ROSTER#g1', sk: 'ONLINE#bob#k2' } } },
    ]);
  });
});

describe('join markers', () => {
  it('marks each new member for 15 minutes, the expiry leading the sort key', async () => {
    vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] });
    ddb.on(BatchWriteCommand).resolves({});
    await store.rosters.markJoined(['ann', 'bob'], 'g1');
    const sk = `JOINED#${String(NOW + 900).padStart(12, '0')}#g1`;
    expect(ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE_NAME]).toEqual([
      { PutRequest: { Item: { pk: 'USER#ann', sk, [TTL_ATTRIBUTE]: NOW + 900, itemType: 'joined' } } },
      { PutRequest: { Item: { pk: 'USER#bob', sk, [TTL_ATTRIBUTE]: NOW + 900, itemType: 'joined' } } },
    ]);
  });

  it('reads a user’s live markers only, newest first, one bounded page, consistently; the older ones beside them', async () => {
    vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] });
    ddb.on(QueryCommand).callsFake(async ({ ExpressionAttributeValues: values }) => ({
      Items:
        values[':to'] === 'JOINED$'
          ? [{ sk: 'JOINED#g3' }] // written before the expiry led the key: read until TTL deletes them
          : [
              { sk: `JOINED#${String(NOW + 900).padStart(12, '0')}#g1` },
              { sk: `JOINED#${String(NOW + 600).padStart(12, '0')}#g2` },
              { sk: `JOINED#${String(NOW + 300).padStart(12, '0')}#g1` },
            ],
    }));
    await expect(store.rosters.recentJoins('ann')).resolves.toEqual(['g1', 'g2', 'g3']);
    const [live, older] = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    const common = {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      FilterExpression: '#ttl > :now',
      ConsistentRead: true,
      Limit: RECENT_JOINS_MAX,
    };
    expect(live).toMatchObject({
      ...common,
      ExpressionAttributeValues: {
        ':pk': 'USER#ann',
        ':from': `JOINED#${String(NOW + 1).padStart(12, '0')}`,
        ':to': 'JOINED#:', // digits only: the older markers (`JOINED#<letter>…`) sort above it
        ':now': NOW,
      },
      ScanIndexForward: false,
    });
    expect(older).toMatchObject({
      ...common,
      ExpressionAttributeValues: { ':pk': 'USER#ann', ':from': 'JOINED#:', ':to': 'JOINED$', ':now': NOW },
    });
  });
});

describe('connections with their expiry', () => {
  it('reads the TTL with the ids', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ sk: 'CONN#k1', [TTL_ATTRIBUTE]: 99 }] });
    await expect(store.connections.list('ann', { consistent: true })).resolves.toEqual([
      { connectionId: 'k1', expiresAt: 99 },
    ]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      ProjectionExpression: 'sk, #ttl',
      ConsistentRead: true,
    });
  });
});

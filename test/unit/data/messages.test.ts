/** Access patterns of messages: the conditional put, key lookups, runs of slots, the two indexes. */
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { MESSAGE, type MessageRecord, VOID } from '../../../lambdas/data/items.ts';
import { conditionFailed, TABLE_NAME, useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();

const message: MessageRecord = {
  chatId: 'c1',
  messageId: 'm4_x',
  seq: 4,
  senderId: 'u1',
  text: 'hi',
  replyTo: null,
  clientMessageId: 'cm-1',
  createdAt: '2026-01-01T00:00:00.000Z',
  editedAt: null,
  deleted: false,
  ver: 9,
  allocAt: 1000,
};
const at = (seq: number) => MESSAGE.toItem({ ...message, seq, messageId: `m${seq}_x` });
const voidAt = (seq: number) => VOID.toItem({ chatId: 'c1', seq, void: true, allocAt: 7 });
const queryInput = (i = 0) => ddb.commandCalls(QueryCommand)[i]?.args[0].input;

describe('put', () => {
  it('stores a message only where its seq is free, with both index keys, asking for the chat’s size', async () => {
    ddb.on(PutCommand).resolves({});
    const signal = new AbortController().signal;
    await expect(store.messages.put(message, { abortSignal: signal })).resolves.toEqual({
      status: 'stored',
      chatGB: undefined,
    });
    const call = ddb.commandCalls(PutCommand)[0];
    expect(call?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Item: { ...MESSAGE.toItem(message), lsi1sk: 'VER#000000000009', lsi2sk: 'CMID#u1#cm-1' },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      ReturnItemCollectionMetrics: 'SIZE',
    });
  });

  it('answers occupied with the void a reader put there, writing nothing', async () => {
    ddb
      .on(PutCommand)
      .rejects(
        conditionFailed({ void: { BOOL: true }, seq: { N: '4' }, allocAt: { N: '7' }, chatId: { S: 'c1' } }),
      );
    await expect(store.messages.put(message)).resolves.toEqual({
      status: 'occupied',
      slot: { kind: 'void', seq: 4, allocAt: 7 },
    });
  });
});

describe('key lookups', () => {
  it('reads one message by seq, and a void as no message', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: MESSAGE.toItem(message) })
      .resolvesOnce({ Item: voidAt(4) });
    await expect(store.messages.get('c1', 4)).resolves.toEqual(message);
    await expect(store.messages.get('c1', 4)).resolves.toBeUndefined();
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'CHAT#c1', sk: 'MSG#000000000004' },
      ConsistentRead: false,
    });
  });

  it('reads what a seq holds consistently: a message, a void or nothing', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: voidAt(5) })
      .resolvesOnce({});
    await expect(store.messages.getSlot('c1', 5)).resolves.toEqual({ kind: 'void', seq: 5, allocAt: 7 });
    await expect(store.messages.getSlot('c1', 5)).resolves.toBeUndefined();
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it('finds the message a sender stored with a clientMessageId through the client-id index', async () => {
    ddb.on(QueryCommand).resolves({ Items: [MESSAGE.toItem(message)] });
    await expect(store.messages.findByClientId('c1', 'u1', 'cm-1')).resolves.toEqual(message);
    expect(queryInput()).toEqual({
      TableName: TABLE_NAME,
      IndexName: 'lsi2',
      KeyConditionExpression: 'pk = :pk AND #sk = :sk',
      ExpressionAttributeNames: { '#sk': 'lsi2sk' },
      ExpressionAttributeValues: { ':pk': 'CHAT#c1', ':sk': 'CMID#u1#cm-1' },
      ConsistentRead: true,
      Select: 'ALL_ATTRIBUTES',
    });
  });
});

describe('readSlots', () => {
  it('reads a range backwards, voids included, until enough messages', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [at(9), voidAt(8), at(7)], LastEvaluatedKey: { pk: 'x', sk: 'y' } });
    const run = await store.messages.readSlots('c1', { from: 1, to: 999, forward: false, messages: 2 });
    expect(run.slots.map((s) => s.kind)).toEqual(['message', 'void', 'message']);
    expect(run.exhausted).toBe(false);
    expect(queryInput()).toEqual({
      TableName: TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': 'CHAT#c1', ':from': 'MSG#000000000001', ':to': 'MSG#000000000999' },
      ScanIndexForward: false,
      Limit: 2,
    });
  });

  it('reads on from where a page stopped while voids kept it short of the messages asked', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [at(5), voidAt(6)],
        LastEvaluatedKey: { pk: 'CHAT#c1', sk: 'MSG#000000000006' },
      })
      .resolvesOnce({ Items: [at(7)] });
    const run = await store.messages.readSlots('c1', { from: 5, to: 99, forward: true, messages: 2 });
    expect(run.slots).toHaveLength(3);
    expect(run.exhausted).toBe(true);
    expect(queryInput(1)).toMatchObject({
      Limit: 1,
      ExclusiveStartKey: { pk: 'CHAT#c1', sk: 'MSG#000000000006' },
    });
  });

  it('asks nothing for an empty range', async () => {
    await expect(
      store.messages.readSlots('c1', { from: 3, to: 2, forward: true, messages: 5 }),
    ).resolves.toEqual({
      slots: [],
      exhausted: true,
    });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('getLastMessages', () => {
  it('reads the newest message of each chat that has one, by chat', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE_NAME]: [MESSAGE.toItem(message)] } });
    const last = await store.messages.getLastMessages([
      { chatId: 'c1', lastSeq: 4 },
      { chatId: 'empty', lastSeq: 0 },
    ]);
    expect(last.get('c1')).toEqual(message);
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE_NAME]?.Keys).toEqual([
      { pk: 'CHAT#c1', sk: 'MSG#000000000004' },
    ]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('looks further back when the newest seq is a void or still in flight', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE_NAME]: [voidAt(6)] } });
    ddb.on(QueryCommand).resolves({ Items: [voidAt(6), at(5)] });
    const last = await store.messages.getLastMessages([{ chatId: 'c1', lastSeq: 6 }]);
    expect(last.get('c1')?.seq).toBe(5);
    expect(queryInput()).toMatchObject({ ScanIndexForward: false, Limit: 1 });
  });
});

describe('changesSince', () => {
  it('reads the version index after a version, consistently, fetching the items', async () => {
    ddb.on(QueryCommand).resolves({ Items: [at(2), at(3)] });
    await expect(store.messages.changesSince('c1', 7, 5)).resolves.toMatchObject({ hasMore: false });
    expect(queryInput()).toEqual({
      TableName: TABLE_NAME,
      IndexName: 'lsi1',
      KeyConditionExpression: 'pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#sk': 'lsi1sk' },
      ExpressionAttributeValues: { ':pk': 'CHAT#c1', ':from': 'VER#000000000008', ':to': 'VER#999999999999' },
      ConsistentRead: true,
      Select: 'ALL_ATTRIBUTES',
      Limit: 6,
    });
  });

  it('says hasMore when more than the limit came back, or the page stopped early', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [at(1), at(2), at(3)], LastEvaluatedKey: { pk: 'x' } })
      .resolvesOnce({ Items: [at(1)], LastEvaluatedKey: { pk: 'x' } });
    const page = await store.messages.changesSince('c1', 0, 2);
    expect(page.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(page.hasMore).toBe(true);
    expect((await store.messages.changesSince('c1', 0, 2)).hasMore).toBe(true);
  });
});

describe('newestChanges', () => {
  it('reads the version index backwards within versions, consistently, fetching the items', async () => {
    ddb.on(QueryCommand).resolves({ Items: [at(3), at(2)] });
    const newest = await store.messages.newestChanges('c1', { aboveVer: 0, upToVer: 9 }, 10);
    expect(newest.messages.map((m) => m.seq)).toEqual([3, 2]);
    expect(newest.hasMore).toBe(false);
    expect(queryInput()).toEqual({
      TableName: TABLE_NAME,
      IndexName: 'lsi1',
      KeyConditionExpression: 'pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#sk': 'lsi1sk' },
      ExpressionAttributeValues: { ':pk': 'CHAT#c1', ':from': 'VER#000000000001', ':to': 'VER#000000000009' },
      ConsistentRead: true,
      Select: 'ALL_ATTRIBUTES',
      ScanIndexForward: false,
      Limit: 10,
    });
  });
});

describe('applyChange', () => {
  const change = { ver: 12, allocAt: 2000, set: { text: 'new', editedAt: 'now' }, guard: 'author' as const };

  it('sets the change with its version and index key, guarded on a live, older message of its author', async () => {
    ddb
      .on(UpdateCommand)
      .resolves({ Attributes: MESSAGE.toItem({ ...message, text: 'new', editedAt: 'now', ver: 12 }) });
    await expect(store.messages.applyChange(message, change)).resolves.toMatchObject({
      status: 'applied',
      message: { text: 'new', ver: 12 },
    });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'CHAT#c1', sk: 'MSG#000000000004' },
      UpdateExpression: 'SET #a0 = :a0, #a1 = :a1, #a2 = :a2, #a3 = :a3, #a4 = :a4',
      ConditionExpression:
        'messageId = :id AND deleted = :false AND (attribute_not_exists(ver) OR ver < :ver) AND senderId = :sender',
      ExpressionAttributeNames: {
        '#a0': 'text',
        '#a1': 'editedAt',
        '#a2': 'ver',
        '#a3': 'allocAt',
        '#a4': 'lsi1sk',
      },
      ExpressionAttributeValues: {
        ':a0': 'new',
        ':a1': 'now',
        ':a2': 12,
        ':a3': 2000,
        ':a4': 'VER#000000000012',
        ':id': 'm4_x',
        ':false': false,
        ':ver': 12,
        ':sender': 'u1',
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('lets any member change a message when the guard is member (no author check)', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: MESSAGE.toItem(message) });
    await store.messages.applyChange(message, { ...change, guard: 'member' });
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).not.toContain('senderId');
    expect(input?.ExpressionAttributeValues).not.toHaveProperty(':sender');
  });

  it('answers refused with the message as it is when a guard fails', async () => {
    ddb.on(UpdateCommand).rejects(
      conditionFailed({
        chatId: { S: 'c1' },
        messageId: { S: 'm4_x' },
        seq: { N: '4' },
        senderId: { S: 'u1' },
        text: { S: '' },
        deleted: { BOOL: true },
        ver: { N: '13' },
      }),
    );
    await expect(store.messages.applyChange(message, change)).resolves.toMatchObject({
      status: 'refused',
      current: { deleted: true, ver: 13 },
    });
  });
});

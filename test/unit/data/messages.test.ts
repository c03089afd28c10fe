/** Access patterns of messages and clientMessageId claims. */
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { MESSAGE, type MessageRecord } from '../../../lambdas/data/items.ts';
import { cancelled, conditionFailed, ok, refused, TABLE_NAME, useMockTable } from './mock-table.ts';

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
};
const queryInput = () => ddb.commandCalls(QueryCommand)[0]?.args[0].input;

describe('append', () => {
  it('moves lastSeq, stores the message and claims its clientMessageId in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await expect(store.messages.append(message, 3)).resolves.toEqual({ status: 'stored', message });
    const [head, put, claim] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(head?.Update).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'CHAT#c1', sk: 'META' },
      UpdateExpression: 'SET lastSeq = :seq, lastActivityAt = :at',
      ConditionExpression: 'lastSeq = :prev',
      ExpressionAttributeValues: { ':seq': 4, ':prev': 3, ':at': message.createdAt },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(put?.Put).toEqual({
      TableName: TABLE_NAME,
      Item: MESSAGE.toItem(message),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(claim?.Put).toMatchObject({
      Item: { pk: 'CHAT#c1', sk: 'CMID#u1#cm-1', seq: 4, messageId: 'm4_x' },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('claims nothing without a clientMessageId', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await store.messages.append({ ...message, clientMessageId: null }, 3);
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toHaveLength(2);
  });

  it('answers duplicate with the seq the claim holds, without reading it again', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(cancelled(ok, ok, refused({ seq: { N: '2' }, messageId: { S: 'm2_y' } })));
    await expect(store.messages.append(message, 3)).resolves.toEqual({ status: 'duplicate', seq: 2 });
    expect(ddb.calls()).toHaveLength(1);
  });

  it('answers seq-conflict with the current lastSeq when another message took the seq', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(refused({ lastSeq: { N: '7' } }), ok, ok));
    await expect(store.messages.append(message, 3)).resolves.toEqual({ status: 'seq-conflict', lastSeq: 7 });
  });

  it('answers chat-gone when the chat head is missing', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(refused(), ok, ok));
    await expect(store.messages.append(message, 3)).resolves.toEqual({ status: 'chat-gone' });
  });

  it('answers seq-conflict without a lastSeq for a transaction conflict', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'TransactionConflict' }, ok, ok));
    await expect(store.messages.append(message, 3)).resolves.toEqual({ status: 'seq-conflict' });
  });
});

describe('reads', () => {
  it('reads lastSeq alone, consistently', async () => {
    ddb.on(GetCommand).resolves({ Item: { lastSeq: 9 } });
    await expect(store.messages.getLastSeq('c1')).resolves.toBe(9);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'CHAT#c1', sk: 'META' },
      ConsistentRead: true,
      ProjectionExpression: 'lastSeq',
    });
  });

  it('reads one message by seq', async () => {
    ddb.on(GetCommand).resolves({ Item: MESSAGE.toItem(message) });
    await expect(store.messages.get('c1', 4)).resolves.toEqual(message);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'CHAT#c1', sk: 'MSG#000000000004' },
      ConsistentRead: false,
    });
  });

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
  });
});

describe('getHistoryPage', () => {
  const items = (...seqs: number[]) => seqs.map((seq) => MESSAGE.toItem({ ...message, seq }));

  it('reads the newest page backwards and answers it ascending', async () => {
    ddb.on(QueryCommand).resolves({ Items: items(9, 8, 7) });
    const page = await store.messages.getHistoryPage('c1', { limit: 2 });
    expect(page.messages.map((m) => m.seq)).toEqual([8, 9]);
    expect(page.hasMore).toBe(true);
    expect(queryInput()).toEqual({
      TableName: TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': 'CHAT#c1', ':from': 'MSG#000000000001', ':to': 'MSG#999999999999' },
      ScanIndexForward: false,
      Limit: 3,
    });
  });

  it('pages back before a seq', async () => {
    ddb.on(QueryCommand).resolves({ Items: items(4) });
    const page = await store.messages.getHistoryPage('c1', { before: 5, limit: 2 });
    expect(page).toMatchObject({ hasMore: false });
    expect(queryInput()?.ExpressionAttributeValues).toMatchObject({ ':to': 'MSG#000000000004' });
  });

  it('pages forward after a seq', async () => {
    ddb.on(QueryCommand).resolves({ Items: items(6, 7) });
    const page = await store.messages.getHistoryPage('c1', { after: 5, limit: 5 });
    expect(page.messages.map((m) => m.seq)).toEqual([6, 7]);
    expect(queryInput()).toMatchObject({
      ScanIndexForward: true,
      ExpressionAttributeValues: { ':from': 'MSG#000000000006' },
    });
  });

  it('asks nothing for a page before the first message', async () => {
    await expect(store.messages.getHistoryPage('c1', { before: 1, limit: 5 })).resolves.toEqual({
      messages: [],
      hasMore: false,
    });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('edit and soft delete', () => {
  const guard = {
    ConditionExpression: 'messageId = :id AND senderId = :sender AND deleted = :false',
    ExpressionAttributeValues: { ':id': 'm4_x', ':sender': 'u1', ':false': false },
  };

  it('edits the text of the same live message and answers the edited message', async () => {
    ddb
      .on(UpdateCommand)
      .resolves({ Attributes: MESSAGE.toItem({ ...message, text: 'new', editedAt: 'now' }) });
    await expect(store.messages.edit(message, 'new', 'now')).resolves.toMatchObject({
      text: 'new',
      editedAt: 'now',
    });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      ...guard,
      ReturnValues: 'ALL_NEW',
    });
  });

  it('answers undefined and false when the message changed meanwhile', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.messages.edit(message, 'new', 'now')).resolves.toBeUndefined();
    await expect(store.messages.softDelete(message)).resolves.toBe(false);
  });

  it('soft-deletes by clearing the text and keeping seq and id', async () => {
    ddb.on(UpdateCommand).resolves({});
    await expect(store.messages.softDelete(message)).resolves.toBe(true);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      ...guard,
      UpdateExpression: 'SET #text = :empty, deleted = :true REMOVE attachments',
      ExpressionAttributeValues: { ':empty': '', ':true': true },
    });
  });
});

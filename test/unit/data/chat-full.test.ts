/**
 * A chat's partition holds at most 10 GB (its items and their local-index entries: the table has
 * local indexes). The message put asks DynamoDB how big the partition is (free) and answers it as a
 * value; a write that would grow a full partition, whichever it is, throws `ChatFull` (FORBIDDEN with
 * its sentence), never DynamoDB's own error, and is never read as a refused condition.
 */
import { ItemCollectionSizeLimitExceededException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../../lambdas/data/items.ts';
import { CHAT_FULL_MESSAGE, ChatFull } from '../../../lambdas/shared/errors.ts';
import { cancelled, ok, refused, useMockTable } from './mock-table.ts';

const { ddb, store, table } = useMockTable();

const message: MessageRecord = {
  chatId: 'c1',
  messageId: 'm4_x',
  seq: 4,
  senderId: 'u1',
  text: 'hi',
  replyTo: null,
  clientMessageId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  editedAt: null,
  deleted: false,
  ver: 9,
  allocAt: 1000,
};
const full = () =>
  new ItemCollectionSizeLimitExceededException({
    message: 'Item collection size limit exceeded',
    $metadata: { httpStatusCode: 400 },
  });
const metrics = (range: number[]) => ({
  ItemCollectionMetrics: { ItemCollectionKey: { pk: 'CHAT#c1' }, SizeEstimateRangeGB: range },
});

describe('the size of a chat', () => {
  it('answers the upper bound of the estimate DynamoDB gives with the message put', async () => {
    ddb
      .on(PutCommand)
      .resolvesOnce(metrics([7.5, 8.5]))
      .resolvesOnce({});
    await expect(store.messages.put(message)).resolves.toEqual({ status: 'stored', chatGB: 8.5 });
    // No estimate (DynamoDB Local): nothing known.
    await expect(store.messages.put(message)).resolves.toEqual({ status: 'stored', chatGB: undefined });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.ReturnItemCollectionMetrics).toBe('SIZE');
  });
});

describe('a full chat', () => {
  it('refuses the message put with ChatFull (FORBIDDEN, its sentence), not DynamoDB’s error', async () => {
    ddb.on(PutCommand).rejects(full());
    const error = await store.messages.put(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatFull);
    expect(error).toMatchObject({ code: 'FORBIDDEN', message: CHAT_FULL_MESSAGE });
  });

  it('refuses every kind of write the same way: update, batch, transaction', async () => {
    ddb.on(UpdateCommand).rejects(full());
    ddb.on(BatchWriteCommand).rejects(full());
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, { Code: 'ItemCollectionSizeLimitExceeded' }));
    const key = { pk: 'CHAT#c1', sk: 'MSG#4' };
    await expect(table.update({ Key: key, UpdateExpression: 'SET a = :a' })).rejects.toBeInstanceOf(ChatFull);
    await expect(table.batchWrite([{ PutRequest: { Item: key } }])).rejects.toBeInstanceOf(ChatFull);
    await expect(table.transact([{ Put: { Item: key } }])).rejects.toBeInstanceOf(ChatFull);
    // Through a repository's conditional transaction: thrown, not read as a refusal or a conflict.
    await expect(store.sequence.fillVoid('c1', 4, 1000)).rejects.toBeInstanceOf(ChatFull);
  });

  it('leaves a failed condition a refusal, and other errors as they came', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(
        cancelled(
          refused({ seq: { N: '4' }, chatId: { S: 'c1' }, void: { BOOL: true }, allocAt: { N: '7' } }),
          { Code: 'ItemCollectionSizeLimitExceeded' },
        ),
      );
    await expect(store.sequence.fillVoid('c1', 4, 1000)).resolves.toMatchObject({ status: 'occupied' });
    const other = Object.assign(new Error('boom'), { name: 'InternalServerError' });
    ddb.on(PutCommand).rejects(other);
    await expect(store.messages.put(message)).rejects.toBe(other);
  });
});

describe('a deleted message’s uploads in a full chat', () => {
  it('are named when their mark is refused, and deleted when their TTL is (objects gone by then)', async () => {
    ddb.on(UpdateCommand).rejects(full());
    ddb.on(DeleteCommand).resolves({});
    await expect(store.uploads.markDeleted('c1', ['up1', 'up2'])).resolves.toEqual(['up1', 'up2']);
    await store.uploads.expireDeleted('c1', ['up1'], new Date('2026-01-01T00:00:00.000Z'));
    expect(ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({
        Key: { pk: 'CHAT#c1', sk: 'UPLOAD#up1' },
        ConditionExpression: '#status IN (:used, :deleted) AND attribute_not_exists(#ttl)',
      }),
    ]);
  });
});

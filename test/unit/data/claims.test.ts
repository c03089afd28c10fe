/** clientMessageId claims and the delivery cursor: conditional writes whose refusals are values. */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { conditionFailed, TABLE_NAME, useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();
const ref = { chatId: 'c1', senderId: 'u1', clientMessageId: 'cm-1' };
const key = { pk: 'CHAT#c1', sk: 'CMID#u1#cm-1' };

describe('claims', () => {
  it('claims a clientMessageId only when nobody has', async () => {
    ddb.on(PutCommand).resolves({});
    await expect(store.claims.claim(ref, { claimedAt: 10, token: 't1' })).resolves.toEqual({
      status: 'claimed',
    });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Item: { ...key, claimedAt: 10, token: 't1', itemType: 'clientMessage' },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('answers taken with the claim as it is', async () => {
    ddb.on(PutCommand).rejects(conditionFailed({ claimedAt: { N: '5' }, token: { S: 't0' } }));
    await expect(store.claims.claim(ref, { claimedAt: 10, token: 't1' })).resolves.toEqual({
      status: 'taken',
      claim: { claimedAt: 5, token: 't0' },
    });
  });

  it('reads a claim consistently', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { ...key, claimedAt: 5, token: 't0' } })
      .resolvesOnce({});
    await expect(store.claims.get(ref)).resolves.toEqual({ claimedAt: 5, token: 't0' });
    await expect(store.claims.get(ref)).resolves.toBeUndefined();
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({ Key: key, ConsistentRead: true });
  });

  it('takes a claim over only while the old token still holds it', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    const old = { claimedAt: 5, token: 't0' };
    await expect(store.claims.takeOver(ref, old, { claimedAt: 99, token: 't2' })).resolves.toBe(true);
    await expect(store.claims.takeOver(ref, old, { claimedAt: 99, token: 't2' })).resolves.toBe(false);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: key,
      UpdateExpression: 'SET claimedAt = :claimedAt, #token = :next',
      ConditionExpression: 'attribute_exists(pk) AND #token = :token',
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':claimedAt': 99, ':next': 't2', ':token': 't0' },
    });
  });

  it('releases only a claim the caller holds, and a refusal is no error', async () => {
    ddb.on(DeleteCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    await store.claims.release(ref, 't1');
    await expect(store.claims.release(ref, 't1')).resolves.toBeUndefined();
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input).toMatchObject({
      Key: key,
      ConditionExpression: '#token = :token',
      ExpressionAttributeValues: { ':token': 't1' },
    });
  });
});

describe('delivery cursor', () => {
  it('moves lastDeliveredSeq forward with one conditional update, no read', async () => {
    ddb.on(UpdateCommand).resolves({});
    await expect(store.cursors.markDelivered('c1', 'u2', 9)).resolves.toEqual({
      status: 'moved',
      lastDeliveredSeq: 9,
    });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'CHAT#c1', sk: 'MEMBER#u2' },
      UpdateExpression: 'SET lastDeliveredSeq = :seq',
      ConditionExpression:
        'attribute_exists(pk) AND (lastDeliveredSeq < :seq OR (attribute_not_exists(lastDeliveredSeq) AND :seq > :zero))',
      ExpressionAttributeValues: { ':seq': 9, ':zero': 0 },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(ddb.calls()).toHaveLength(1);
  });

  it('answers the cursor as it is when it would move back, and not-member without a membership', async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(
        conditionFailed({ chatId: { S: 'c1' }, userId: { S: 'u2' }, lastDeliveredSeq: { N: '12' } }),
      )
      .rejectsOnce(conditionFailed());
    await expect(store.cursors.markDelivered('c1', 'u2', 9)).resolves.toEqual({
      status: 'unchanged',
      lastDeliveredSeq: 12,
    });
    await expect(store.cursors.markDelivered('c1', 'u2', 9)).resolves.toEqual({ status: 'not-member' });
  });
});

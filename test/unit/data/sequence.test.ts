/** Allocation on the chat head: one atomic update per seq or version, voids, the minSyncVer hook. */
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { cancelled, conditionFailed, ok, refused, TABLE_NAME, useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();
const updateInput = (i = 0) => ddb.commandCalls(UpdateCommand)[i]?.args[0].input;

describe('allocate', () => {
  const input = { memberVer: 4, sentAt: 1000, at: '2026-01-01T00:00:00.000Z' };

  it('takes lastSeq + 1 and lastVer + 1 in one update guarded by the members’ version', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { lastSeq: 8, lastVer: 20, lastAllocAt: 1000 } });
    await expect(store.sequence.allocate('g1', input)).resolves.toEqual({
      status: 'allocated',
      seq: 8,
      ver: 20,
    });
    expect(updateInput()).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'CHAT#g1', sk: 'META' },
      UpdateExpression:
        'SET lastSeq = lastSeq + :one, lastVer = if_not_exists(lastVer, :zero) + :one, lastAllocAt = :sentAt, lastActivityAt = :at',
      ConditionExpression:
        'attribute_exists(pk) AND attribute_not_exists(deletedAt) AND memberVer = :memberVer',
      ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':sentAt': 1000, ':at': input.at, ':memberVer': 4 },
      ReturnValues: 'UPDATED_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it("moves a direct chat sender's cursor to the new seq in the same update", async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { lastSeq: 3, lastVer: 4 } });
    await store.sequence.allocate('d1', { ...input, sentBy: 'ann' });
    expect(updateInput()?.UpdateExpression).toMatch(/, sentSeq\.#sender = lastSeq \+ :one$/);
    expect(updateInput()?.ExpressionAttributeNames).toEqual({ '#sender': 'ann' });
  });

  it('accepts a chat stored before versions when it read no members’ version', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { lastSeq: 1, lastVer: 1 } });
    await store.sequence.allocate('g1', { ...input, memberVer: 0 });
    expect(updateInput()?.ConditionExpression).toBe(
      'attribute_exists(pk) AND attribute_not_exists(deletedAt) AND (attribute_not_exists(memberVer) OR memberVer = :memberVer)',
    );
  });

  it('answers members-changed with the chat as the refused update found it', async () => {
    ddb
      .on(UpdateCommand)
      .rejects(conditionFailed({ chatId: { S: 'g1' }, memberVer: { N: '6' }, lastSeq: { N: '8' } }));
    await expect(store.sequence.allocate('g1', input)).resolves.toMatchObject({
      status: 'members-changed',
      chat: { chatId: 'g1', memberVer: 6, lastSeq: 8 },
    });
  });

  it('answers chat-gone for a chat marked for deletion, whatever its members’ version', async () => {
    ddb.on(UpdateCommand).rejects(
      conditionFailed({
        chatId: { S: 'g1' },
        memberVer: { N: '4' },
        deletedAt: { S: '2026-01-01T00:00:00.000Z' },
      } as never),
    );
    await expect(store.sequence.allocate('g1', input)).resolves.toEqual({ status: 'chat-gone' });
  });

  it('in a direct chat refuses a sender the blocks’ mirror lists, and requires the mirror when trusting it', async () => {
    ddb.on(UpdateCommand).rejects(
      conditionFailed({
        chatId: { S: 'd1' },
        memberVer: { N: '4' },
        blockedSenders: { SS: ['ann'] },
      } as never),
    );
    await expect(
      store.sequence.allocate('d1', { ...input, sentBy: 'ann', trustsMirror: true }),
    ).resolves.toEqual({
      status: 'blocked',
    });
    expect(updateInput()?.ConditionExpression).toBe(
      'attribute_exists(pk) AND attribute_not_exists(deletedAt) AND memberVer = :memberVer AND NOT contains(blockedSenders, :sender) AND blocksMirrored = :true',
    );
    expect(updateInput()?.ExpressionAttributeValues).toMatchObject({ ':sender': 'ann', ':true': true });
  });

  it('answers unmirrored when the chat lost its mirror while the sender trusted it', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed({ chatId: { S: 'd1' }, memberVer: { N: '4' } }));
    await expect(
      store.sequence.allocate('d1', { ...input, sentBy: 'ann', trustsMirror: true }),
    ).resolves.toMatchObject({ status: 'unmirrored', chat: { chatId: 'd1' } });
    ddb.on(UpdateCommand).rejects(conditionFailed({ chatId: { S: 'd1' }, memberVer: { N: '5' } }));
    await expect(store.sequence.allocate('d1', { ...input, sentBy: 'ann' })).resolves.toMatchObject({
      status: 'members-changed',
    });
  });

  it('answers held when a transaction holds the chat head (the SDK does not retry that)', async () => {
    ddb.on(UpdateCommand).rejects(
      Object.assign(new Error('Transaction is ongoing for the item'), {
        name: 'TransactionConflictException',
      }),
    );
    await expect(store.sequence.allocate('g1', input)).resolves.toEqual({ status: 'held' });
  });

  it('answers chat-gone when the chat head is missing', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.sequence.allocate('g1', input)).resolves.toEqual({ status: 'chat-gone' });
  });

  it('adds the sentSeq map to a direct chat stored without one, then allocates', async () => {
    const missing = Object.assign(
      new Error('The document path provided in the update expression is invalid for update'),
      {
        name: 'ValidationException',
      },
    );
    ddb
      .on(UpdateCommand)
      .rejectsOnce(missing)
      .resolvesOnce({})
      .resolvesOnce({ Attributes: { lastSeq: 2, lastVer: 3 } });
    await expect(store.sequence.allocate('d1', { ...input, sentBy: 'ann' })).resolves.toEqual({
      status: 'allocated',
      seq: 2,
      ver: 3,
    });
    expect(updateInput(1)).toMatchObject({
      UpdateExpression: 'SET sentSeq = :empty',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sentSeq)',
    });
  });
});

describe('giveBack', () => {
  it('puts lastSeq (and the sender’s sentSeq) back while nothing was allocated since; lastVer stays', async () => {
    ddb.on(UpdateCommand).resolves({});
    await expect(store.sequence.giveBack('d1', { seq: 8, ver: 20, sentBy: 'ann' })).resolves.toBe(true);
    expect(updateInput()).toMatchObject({
      Key: { pk: 'CHAT#d1', sk: 'META' },
      UpdateExpression: 'SET lastSeq = :prev, sentSeq.#sender = :prev',
      ConditionExpression: 'lastSeq = :seq AND lastVer = :ver',
      ExpressionAttributeNames: { '#sender': 'ann' },
      ExpressionAttributeValues: { ':prev': 7, ':seq': 8, ':ver': 20 },
    });
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.sequence.giveBack('g1', { seq: 8, ver: 20 })).resolves.toBe(false);
  });
});

describe('allocateVersion', () => {
  it('takes lastVer + 1 and records when', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { lastVer: 31 } });
    await expect(store.sequence.allocateVersion('g1', 5000)).resolves.toEqual({
      status: 'allocated',
      ver: 31,
    });
    expect(updateInput()).toMatchObject({
      UpdateExpression: 'SET lastVer = if_not_exists(lastVer, :zero) + :one, lastAllocAt = :sentAt',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('answers chat-gone for a deleted chat', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.sequence.allocateVersion('g1', 5000)).resolves.toEqual({ status: 'chat-gone' });
  });

  it('answers held when a transaction holds the chat head (a report’s ConditionCheck of META)', async () => {
    ddb.on(UpdateCommand).rejects(
      Object.assign(new Error('Transaction is ongoing for the item'), {
        name: 'TransactionConflictException',
      }),
    );
    await expect(store.sequence.allocateVersion('g1', 5000)).resolves.toEqual({ status: 'held' });
  });

  it('refuses a change by a member the blocks’ mirror lists (an edit or a reaction in a direct chat)', async () => {
    ddb
      .on(UpdateCommand)
      .rejects(conditionFailed({ chatId: { S: 'd1' }, blockedSenders: { SS: ['ann'] } } as never));
    await expect(store.sequence.allocateVersion('d1', 5000, undefined, 'ann')).resolves.toEqual({
      status: 'blocked',
    });
    expect(updateInput()).toMatchObject({
      ConditionExpression:
        'attribute_exists(pk) AND attribute_not_exists(deletedAt) AND NOT contains(blockedSenders, :by)',
      ExpressionAttributeValues: { ':by': 'ann' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    // The same refusal for a chat that is gone, or marked for deletion, is chat-gone.
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.sequence.allocateVersion('d1', 5000, undefined, 'ann')).resolves.toEqual({
      status: 'chat-gone',
    });
  });
});

describe('allocateVersion trusting the mirror', () => {
  it('also requires blocksMirrored, and answers unmirrored when the chat lost it', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed({ chatId: { S: 'd1' }, kind: { S: 'direct' } } as never));
    await expect(store.sequence.allocateVersion('d1', 5000, undefined, 'ann', true)).resolves.toEqual({
      status: 'unmirrored',
    });
    expect(updateInput()).toMatchObject({
      ConditionExpression:
        'attribute_exists(pk) AND attribute_not_exists(deletedAt) AND NOT contains(blockedSenders, :by) AND blocksMirrored = :true',
      ExpressionAttributeValues: { ':by': 'ann', ':true': true },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    // A block on the mirror still answers blocked; without a guard the mirror is not asked for.
    ddb
      .on(UpdateCommand)
      .rejects(conditionFailed({ chatId: { S: 'd1' }, blockedSenders: { SS: ['ann'] } } as never));
    await expect(store.sequence.allocateVersion('d1', 5000, undefined, 'ann', true)).resolves.toEqual({
      status: 'blocked',
    });
    ddb.on(UpdateCommand).resolves({ Attributes: { lastVer: 32 } });
    await store.sequence.allocateVersion('g1', 5000, undefined, undefined, true);
    expect(updateInput(2)?.ConditionExpression).toBe(
      'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
    );
  });
});

describe('fillVoid', () => {
  it('puts the void and adds its seq to voidSeqs in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await expect(store.sequence.fillVoid('g1', 7, 900)).resolves.toEqual({ status: 'voided' });
    const [put, update] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(put?.Put).toEqual({
      TableName: TABLE_NAME,
      Item: {
        pk: 'CHAT#g1',
        sk: 'MSG#000000000007',
        chatId: 'g1',
        seq: 7,
        void: true,
        allocAt: 900,
        itemType: 'void',
      },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(update?.Update).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'CHAT#g1', sk: 'META' },
      UpdateExpression: 'ADD voidSeqs :seq',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':seq': new Set([7]) },
    });
  });

  it('answers occupied with the message that landed first', async () => {
    const landed = { chatId: { S: 'g1' }, seq: { N: '7' }, messageId: { S: 'm7_x' }, text: { S: 'late' } };
    ddb.on(TransactWriteCommand).rejects(cancelled(refused(landed), ok));
    await expect(store.sequence.fillVoid('g1', 7, 900)).resolves.toMatchObject({
      status: 'occupied',
      slot: { kind: 'message', message: { seq: 7, messageId: 'm7_x' } },
    });
  });

  it('answers chat-gone when the chat head is missing, and throws on a conflict', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(ok, refused()))
      .rejectsOnce(cancelled({ Code: 'TransactionConflict' }, ok));
    await expect(store.sequence.fillVoid('g1', 7, 900)).resolves.toEqual({ status: 'chat-gone' });
    await expect(store.sequence.fillVoid('g1', 7, 900)).rejects.toThrow('Transaction cancelled');
  });
});

describe('raiseMinSyncVer (the hook for expiring tombstones)', () => {
  it('moves minSyncVer forward only, and ignores a lower version', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    await store.sequence.raiseMinSyncVer('g1', 40);
    await expect(store.sequence.raiseMinSyncVer('g1', 30)).resolves.toBeUndefined();
    expect(updateInput()).toMatchObject({
      UpdateExpression: 'SET minSyncVer = :ver',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(minSyncVer) OR minSyncVer < :ver)',
    });
  });
});

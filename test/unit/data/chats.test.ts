/** Access patterns of chats, memberships and direct-chat pairs. */
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { CHAT, type ChatRecord, MEMBER, type MemberRecord } from '../../../lambdas/data/items.ts';
import { MEMBERSHIP_INDEX } from '../../../lambdas/data/keys.ts';
import { cancelled, ok, refused, TABLE_NAME, useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();

const at = '2026-01-01T00:00:00.000Z';
const group: ChatRecord = {
  chatId: 'g1',
  kind: 'group',
  name: 'Team',
  ownerId: 'u1',
  lastSeq: 3,
  memberCount: 2,
  createdAt: at,
  lastActivityAt: at,
  lastVer: 5,
  memberVer: 1,
  lastAllocAt: 0,
  minSyncVer: 0,
};
const direct: ChatRecord = { ...group, chatId: 'd1', kind: 'direct', name: null, sentSeq: {} };
const member = (chat: ChatRecord, userId: string, joinedAt = at, peerId?: string): MemberRecord => ({
  chatId: chat.chatId,
  userId,
  role: userId === chat.ownerId ? 'owner' : 'member',
  lastReadSeq: 0,
  lastDeliveredSeq: 0,
  joinedAt,
  kind: chat.kind,
  ...(peerId ? { peerId } : {}),
});
const transactions = () =>
  ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);

describe('reads', () => {
  it('reads a chat and its members in one Query over the head of the partition (META first), in join order', async () => {
    const later = member(group, 'u0', '2026-01-02T00:00:00.000Z');
    ddb.on(QueryCommand).resolves({
      Items: [CHAT.toItem(group), MEMBER.toItem(member(group, 'u1')), MEMBER.toItem(later)],
    });
    const loaded = await store.chats.getWithMembers('g1', { consistent: true });
    expect(loaded.chat).toEqual(group);
    expect(loaded.members.map((m) => m.userId)).toEqual(['u1', 'u0']);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': 'CHAT#g1', ':from': 'MEMBER#', ':to': 'META' },
      ScanIndexForward: false,
      ConsistentRead: true,
      ExclusiveStartKey: undefined,
    });
  });

  it('answers no chat when the partition has no META item', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await expect(store.chats.getWithMembers('gone')).resolves.toEqual({ chat: undefined, members: [] });
  });

  it('lists memberships through the membership index named in lib/table.ts', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        { [MEMBERSHIP_INDEX.sortKey]: 'CHAT#d1', kind: 'direct', peerId: 'u2' },
        { [MEMBERSHIP_INDEX.sortKey]: 'CHAT#g1', kind: 'group' },
      ],
    });
    await expect(store.chats.listMemberships('u1')).resolves.toEqual([
      { chatId: 'd1', userId: 'u1', kind: 'direct', peerId: 'u2' },
      { chatId: 'g1', userId: 'u1', kind: 'group' },
    ]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      IndexName: MEMBERSHIP_INDEX.indexName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': MEMBERSHIP_INDEX.partitionKey, '#sk': MEMBERSHIP_INDEX.sortKey },
      ExpressionAttributeValues: { ':pk': 'USER#u1', ':prefix': 'CHAT#' },
    });
  });

  it('reads full memberships and their chats in one batch', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: { [TABLE_NAME]: [CHAT.toItem(group), MEMBER.toItem(member(group, 'u1'))] },
    });
    const { members, chats } = await store.chats.getMembershipsAndChats([
      { chatId: 'g1', userId: 'u1', kind: 'group' },
    ]);
    expect(chats.get('g1')).toEqual(group);
    expect(members.get('g1')?.role).toBe('owner');
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE_NAME]?.Keys).toEqual([
      { pk: 'CHAT#g1', sk: 'MEMBER#u1' },
      { pk: 'CHAT#g1', sk: 'META' },
    ]);
  });

  it("reads listChats' chat heads consistently (a reconnecting client catches up from their lastVer)", async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE_NAME]: [CHAT.toItem(group)] } });
    await expect(store.chats.getChats(['g1'])).resolves.toEqual(new Map([['g1', group]]));
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE_NAME]).toEqual({
      Keys: [{ pk: 'CHAT#g1', sk: 'META' }],
      ConsistentRead: true,
    });
  });

  it('finds the direct chat of a pair by its pointer, consistently', async () => {
    ddb.on(GetCommand).resolves({ Item: { chatId: 'd1' } });
    await expect(store.chats.getDirectChatId('u2', 'u1')).resolves.toBe('d1');
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'PAIR#u1#u2', sk: 'PAIR' },
      ConsistentRead: true,
    });
  });

  it('tells whether a user is a member now by a consistent key lookup of the membership', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { pk: 'CHAT#g1' } })
      .resolvesOnce({});
    await expect(store.chats.isMember('g1', 'u1')).resolves.toBe(true);
    await expect(store.chats.isMember('g1', 'u2')).resolves.toBe(false);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: { pk: 'CHAT#g1', sk: 'MEMBER#u1' },
      ConsistentRead: true,
      ProjectionExpression: 'pk',
    });
  });
});

describe('create', () => {
  const pair = [member(direct, 'u1', at, 'u2'), member(direct, 'u2', at, 'u1')];

  it('claims a free pair pointer with the chat and both members in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await expect(store.chats.create(direct, pair)).resolves.toEqual({ status: 'created' });
    const [pointer, meta, ...members] = transactions()[0] ?? [];
    expect(pointer?.Put).toMatchObject({
      Item: { pk: 'PAIR#u1#u2', sk: 'PAIR', chatId: 'd1' },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(meta?.Put?.Item).toMatchObject({ pk: 'CHAT#d1', sk: 'META' });
    expect(members.map((m) => m.Put?.Item?.sk)).toEqual(['MEMBER#u1', 'MEMBER#u2']);
  });

  it('replaces a pointer to a deleted chat only if it still points there', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await store.chats.create(direct, pair, 'old');
    expect(transactions()[0]?.[0]?.Put).toMatchObject({
      ConditionExpression: 'chatId = :old',
      ExpressionAttributeValues: { ':old': 'old' },
    });
  });

  it('names the chat that holds the pair when the pointer is taken, from the refused write', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(refused({ chatId: { S: 'd0' } }), ok, ok, ok));
    await expect(store.chats.create(direct, pair)).resolves.toEqual({ status: 'pair-taken', chatId: 'd0' });
    expect(ddb.calls()).toHaveLength(1);
  });

  it('lets other cancellations of a direct chat through as errors', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'TransactionConflict' }, ok, ok, ok));
    await expect(store.chats.create(direct, pair)).rejects.toThrow('Transaction cancelled');
  });

  it('writes a large group member by member and its META item last, only if absent', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    const members = Array.from({ length: 120 }, (_, i) => member(group, `u${i}`));
    await store.chats.create({ ...group, memberCount: 120 }, members);
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(5);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { sk: 'META' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('membership changes', () => {
  it('adds members guarded by the member count and version read before and no deletion mark, under the change’s version', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await expect(store.chats.addMembers(group, [member(group, 'u3')], 6)).resolves.toBe('changed');
    const [count, put] = transactions()[0] ?? [];
    expect(count?.Update).toMatchObject({
      UpdateExpression: 'SET memberCount = :next, memberVer = :ver',
      ConditionExpression:
        'memberCount = :count AND (attribute_not_exists(memberVer) OR memberVer = :prevVer) AND (attribute_not_exists(memberVer) OR memberVer < :ver) AND attribute_not_exists(deletedAt)',
      ExpressionAttributeValues: { ':count': 2, ':prevVer': group.memberVer, ':next': 3, ':ver': 6 },
    });
    expect(put?.Put).toMatchObject({
      Item: { sk: 'MEMBER#u3' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('answers chat-changed when the guarded transaction is cancelled', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(refused(), ok));
    await expect(store.chats.addMembers(group, [member(group, 'u3')], 6)).resolves.toBe('chat-changed');
    await expect(store.chats.removeMember(group, 'u2', undefined, 6)).resolves.toBe('chat-changed');
  });

  it('hands ownership over when the owner leaves', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await store.chats.removeMember(group, 'u1', 'u2', 7);
    const [leave, count, owner] = transactions()[0] ?? [];
    expect(leave?.Delete).toMatchObject({
      Key: { sk: 'MEMBER#u1' },
      ConditionExpression: 'attribute_exists(pk)',
    });
    expect(count?.Update).toMatchObject({
      UpdateExpression: 'SET memberCount = :next, memberVer = :ver, ownerId = :owner',
      ExpressionAttributeValues: { ':count': 2, ':next': 1, ':ver': 7, ':owner': 'u2' },
    });
    expect(owner?.Update).toMatchObject({
      Key: { sk: 'MEMBER#u2' },
      ExpressionAttributeValues: { ':owner': 'owner' },
    });
  });

  it('deletes the chat with its last member', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await store.chats.removeMember({ ...group, memberCount: 1 }, 'u1', undefined, 7);
    expect(transactions()[0]?.[1]?.Delete?.Key).toEqual({ pk: 'CHAT#g1', sk: 'META' });
  });

  it('marks the chat deleted, deletes the other members first, then owner and pair pointer requiring META with its owner, then META', async () => {
    ddb.on(UpdateCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});
    const members = [member(direct, 'u1'), member(direct, 'u2')];
    expect(await store.chats.markDeleted(direct, at)).toBe(true);
    await store.chats.deleteMembersButOwner(direct, members);
    expect(await store.chats.deleteOwnerAndPointer(direct, members)).toBe('deleted');
    await store.chats.deleteMeta(direct.chatId);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'CHAT#d1', sk: 'META' },
      UpdateExpression: 'SET deletedAt = if_not_exists(deletedAt, :at) REMOVE lastActivityAt',
      ConditionExpression: 'attribute_exists(pk) AND ownerId = :owner',
    });
    expect(ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE_NAME]).toEqual([
      { DeleteRequest: { Key: { pk: 'CHAT#d1', sk: 'MEMBER#u2' } } },
    ]);
    const [owner, meta, pointer] = transactions()[0] ?? [];
    expect(owner?.Delete?.Key).toEqual({ pk: 'CHAT#d1', sk: 'MEMBER#u1' });
    expect(meta?.ConditionCheck).toMatchObject({
      Key: { pk: 'CHAT#d1', sk: 'META' },
      ConditionExpression: 'ownerId = :owner',
    });
    expect(pointer?.Delete).toMatchObject({
      Key: { pk: 'PAIR#u1#u2', sk: 'PAIR' },
      ConditionExpression: 'attribute_not_exists(pk) OR chatId = :chat',
    });
    expect(ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ Key: { pk: 'CHAT#d1', sk: 'META' } }),
    ]);
  });
  it('finishes a deletion another run finished first (META gone: its condition fails) as gone', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, refused()));
    expect(await store.chats.deleteOwnerAndPointer(group, [member(group, 'u1')])).toBe('gone');
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, refused(), refused()));
    expect(await store.chats.deleteOwnerAndPointer(direct, [member(direct, 'u1', at, 'u2')])).toBe('gone');
  });

  it("finds a direct chat's pair from the owner's membership when the other one is gone (an interrupted delete)", async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store.chats.deleteOwnerAndPointer(direct, [member(direct, 'u1', at, 'u2')])).toBe('deleted');
    expect(transactions()[0]?.[2]?.Delete?.Key).toEqual({ pk: 'PAIR#u1#u2', sk: 'PAIR' });
  });

  it('deletes without the pointer when it names a newer chat of the pair', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(ok, ok, refused()))
      .resolves({});
    expect(await store.chats.deleteOwnerAndPointer(direct, [member(direct, 'u1', at, 'u2')])).toBe('deleted');
    expect(transactions().map((t) => t.length)).toEqual([3, 2]);
  });
});

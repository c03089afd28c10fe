/** The member log of big groups: what a change writes, the chain's Query, and the replay. */
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { MemberRecord } from '../../../lambdas/data/items.ts';
import {
  MAX_REPLAYED_CHANGES,
  MEMBER_LOG_FROM,
  type MemberChange,
  replayMemberChanges,
} from '../../../lambdas/data/member-log.ts';
import { groupChat } from '../domain/fakes.ts';
import { TABLE_NAME, useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();

/** A group just big enough to log its changes, at memberVer 40; its members as `groupChat` makes them. */
const big = groupChat('u1', [], {
  name: 'Big',
  lastSeq: 3,
  memberCount: MEMBER_LOG_FROM,
  lastVer: 50,
  memberVer: 40,
}).chat;
const member = (userId: string): MemberRecord => groupChat('u1', [userId]).members[0] as MemberRecord;
const transaction = () => ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
const change = (ver: number, prevVer: number, parts: Partial<MemberChange>): MemberChange => ({
  chatId: 'g1',
  ver,
  prevVer,
  added: [],
  removed: [],
  ...parts,
});

describe('what a big group’s membership change writes', () => {
  it('an invite puts its entry in the same transaction and requires the memberVer it names', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await store.chats.addMembers(big, [member('u9')], 51);
    const [count, , entry] = transaction();
    expect(count?.Update?.ConditionExpression).toContain('memberVer = :prevVer');
    expect(count?.Update?.ExpressionAttributeValues).toMatchObject({ ':prevVer': 40, ':ver': 51 });
    expect(entry?.Put?.Item).toMatchObject({
      pk: 'CHAT#g1',
      sk: 'MLOG#000000000051',
      itemType: 'memberChange',
      ver: 51,
      prevVer: 40,
      added: [member('u9')],
      removed: [],
    });
    // Member fields only (no keys or index attributes), and a TTL of a day.
    const [added] = (entry?.Put?.Item?.added ?? []) as object[];
    expect(Object.keys(added ?? {}).sort()).toEqual(Object.keys(member('u9')).sort());
    const ttl = Number(entry?.Put?.Item?.ttl);
    expect(ttl - Date.now() / 1000).toBeGreaterThan(86_000);
    expect(ttl - Date.now() / 1000).toBeLessThanOrEqual(86_400);
  });

  it('a removal names the member and the new owner', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await store.chats.removeMember(big, 'u1', 'u2', 52);
    const items = transaction();
    expect(items[1]?.Update?.ConditionExpression).toContain('memberVer = :prevVer');
    expect(items.find((i) => i.Put)?.Put?.Item).toMatchObject({
      ver: 52,
      prevVer: 40,
      removed: ['u1'],
      newOwnerId: 'u2',
    });
  });

  it('a smaller group, or one without a version, writes none but still requires the memberVer it read', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    for (const chat of [
      { ...big, memberCount: MEMBER_LOG_FROM - 1 },
      { ...big, memberVer: 0 },
    ]) {
      ddb.resetHistory();
      await store.chats.addMembers(chat, [member('u9')], 51);
      expect(transaction()).toHaveLength(2);
      const [update] = transaction();
      expect(update?.Update?.ConditionExpression).toContain(
        '(attribute_not_exists(memberVer) OR memberVer = :prevVer)',
      );
      expect(update?.Update?.ExpressionAttributeValues).toMatchObject({ ':prevVer': chat.memberVer });
    }
  });

  it('reads the entries after the cached version up to the current one, strongly consistent, one page of 25 at most', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await store.chats.membersAt('g1', { memberVer: 40, members: [] }, 57);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': 'CHAT#g1',
        ':from': 'MLOG#000000000041',
        ':to': 'MLOG#000000000057',
      },
      ConsistentRead: true,
      Limit: MAX_REPLAYED_CHANGES + 1,
    });
  });

  it('replays 25 changes, but says nothing about 26 (the members are read instead)', async () => {
    const chain = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        pk: 'CHAT#g1',
        sk: `MLOG#${String(41 + i).padStart(12, '0')}`,
        chatId: 'g1',
        ver: 41 + i,
        prevVer: 40 + i,
        added: [],
        removed: [],
      }));
    ddb.on(QueryCommand).resolves({ Items: chain(25) });
    expect(await store.chats.membersAt('g1', { memberVer: 40, members: [member('u1')] }, 65)).toHaveLength(1);
    ddb.on(QueryCommand).resolves({ Items: chain(26) });
    expect(await store.chats.membersAt('g1', { memberVer: 40, members: [member('u1')] }, 66)).toBeUndefined();
  });

  it('says nothing when DynamoDB names a last key (more may be behind)', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [], LastEvaluatedKey: { pk: 'CHAT#g1', sk: 'MLOG#000000000066' } });
    expect(await store.chats.membersAt('g1', { memberVer: 40, members: [member('u1')] }, 99)).toBeUndefined();
  });

  it('reads nothing when the version has not moved (a BETWEEN with its bounds reversed is an error)', async () => {
    const members = [member('u2'), member('u1')];
    const replayed = await store.chats.membersAt('g1', { memberVer: 40, members }, 40);
    expect(replayed?.map((m) => m.userId)).toEqual(['u1', 'u2']);
    expect(await store.chats.membersAt('g1', { memberVer: 40, members }, 39)).toBeUndefined();
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });
});

describe('replaying the log', () => {
  const members = [member('u1'), member('u2'), member('u3')];
  const ids = (list: readonly MemberRecord[] | undefined) => list?.map((m) => m.userId).sort();

  it('applies a chain in version order: additions, removals and a new owner', () => {
    const changes = [
      change(47, 44, { removed: ['u1'], newOwnerId: 'u2' }),
      change(44, 40, { added: [member('u4')] }),
      change(49, 47, { added: [member('u5')], removed: ['u4'] }),
    ];
    const replayed = replayMemberChanges(members, changes, 40, 49);
    expect(ids(replayed)).toEqual(['u2', 'u3', 'u5']);
    expect(replayed?.find((m) => m.userId === 'u2')?.role).toBe('owner');
  });

  it('nothing to replay when the versions are the same', () => {
    expect(ids(replayMemberChanges(members, [], 40, 40))).toEqual(['u1', 'u2', 'u3']);
  });

  it('says nothing when the chain has a gap at its start, in its middle or at its end', () => {
    const a = change(44, 40, { added: [member('u4')] });
    const b = change(47, 44, { removed: ['u4'] });
    expect(replayMemberChanges(members, [b], 40, 47)).toBeUndefined();
    expect(replayMemberChanges(members, [a, change(49, 47, {})], 40, 49)).toBeUndefined();
    expect(replayMemberChanges(members, [a, b], 40, 49)).toBeUndefined();
    expect(replayMemberChanges(members, [a], 41, 44)).toBeUndefined();
  });
});

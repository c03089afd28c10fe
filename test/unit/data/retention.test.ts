/** The retention access pattern: one keys-only page of a chat partition, and a TTL update per item. */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { TTL_ATTRIBUTE } from '../../../lambdas/data/keys.ts';
import { conditionFailed, TABLE_NAME, useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();
const key = (sk: string) => ({ pk: 'CHAT#g1', sk });

describe('retention', () => {
  it('expires one page after the start key and says where the next starts', async () => {
    ddb.on(QueryCommand).resolves({ Items: [key('MSG#1'), key('MSG#2')], LastEvaluatedKey: key('MSG#2') });
    ddb.on(UpdateCommand).resolves({});
    const page = await store.retention.expirePage('g1', 1_772_366_400, { startKey: key('CMID#x'), limit: 2 });
    expect(page).toEqual({ count: 2, failed: 0, next: key('MSG#2') });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'pk, sk',
      ExpressionAttributeValues: { ':pk': 'CHAT#g1' },
      Limit: 2,
      ExclusiveStartKey: key('CMID#x'),
    });
    const updates = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(updates.map((u) => u.Key)).toEqual([key('MSG#1'), key('MSG#2')]);
    expect(updates[0]).toMatchObject({
      UpdateExpression: 'SET #ttl = :at',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':at': 1_772_366_400 },
      ConditionExpression: expect.stringContaining('attribute_exists'),
    });
  });

  it('skips items already gone, counts failed updates, and ends at the last page', async () => {
    ddb.on(QueryCommand).resolves({ Items: [key('MSG#1'), key('MSG#2'), key('MSG#3')] });
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed()).rejectsOnce(new Error('throttled'));
    await expect(store.retention.expirePage('g1', 1)).resolves.toEqual({
      count: 3,
      failed: 1,
      next: undefined,
    });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).not.toHaveProperty('Limit');
  });

  it('expireChat runs every page and throws when any update failed', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [key('MSG#1')], LastEvaluatedKey: key('MSG#1') })
      .resolvesOnce({ Items: [key('MSG#2')] });
    ddb.on(UpdateCommand).rejectsOnce(new Error('throttled')).resolves({});
    await expect(store.retention.expireChat('g1', 1)).rejects.toThrow('1 items of a deleted chat');
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(2);
  });

  it('expireChat starts a page only while mayStartPage allows, says where the rest starts, and leaves META', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [key('MEMBER#ann'), key('META')], LastEvaluatedKey: key('META') })
      .resolvesOnce({ Items: [key('MSG#1')], LastEvaluatedKey: key('MSG#1') });
    ddb.on(UpdateCommand).resolves({});
    let pages = 0;
    const expired = await store.retention.expireChat('g1', 1, undefined, {
      limit: 2,
      mayStartPage: () => pages++ < 2,
    });
    expect(expired).toEqual({ count: 2, done: false, next: key('MSG#1') });
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.Limit)).toEqual([2, 2]);
    // The chat's META keeps no TTL: a deletion left unfinished keeps it for its finish job.
    const updated = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input.Key);
    expect(updated).toEqual([key('MEMBER#ann'), key('MSG#1')]);
    // No page allowed: nothing done, the rest from the start.
    ddb.resetHistory();
    await expect(
      store.retention.expireChat('g1', 1, undefined, { mayStartPage: () => false }),
    ).resolves.toEqual({
      count: 0,
      done: false,
      next: undefined,
    });
    expect(ddb.commandCalls(QueryCommand)).toEqual([]);
  });

  it("hands a page's upload ids to beforeExpiring before any update, and updates nothing when it fails", async () => {
    ddb.on(QueryCommand).resolves({ Items: [key('MSG#1'), key('UPLOAD#up_a'), key('UPLOAD#up_b')] });
    ddb.on(UpdateCommand).resolves({});
    const seen: { ids: readonly string[]; updates: number }[] = [];
    const beforeExpiring = async (ids: readonly string[]) => {
      seen.push({ ids, updates: ddb.commandCalls(UpdateCommand).length });
    };
    await expect(store.retention.expirePage('g1', 1, { beforeExpiring })).resolves.toMatchObject({
      count: 3,
    });
    expect(seen).toEqual([{ ids: ['up_a', 'up_b'], updates: 0 }]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(3);

    ddb.resetHistory();
    const failing = async () => Promise.reject(new Error('S3 down'));
    await expect(store.retention.expirePage('g1', 1, { beforeExpiring: failing })).rejects.toThrow('S3 down');
    await expect(store.retention.expireChat('g1', 1, failing)).rejects.toThrow('S3 down');
    expect(ddb.commandCalls(UpdateCommand)).toEqual([]);
  });

  it('calls no beforeExpiring for a page without uploads', async () => {
    ddb.on(QueryCommand).resolves({ Items: [key('MSG#1')] });
    ddb.on(UpdateCommand).resolves({});
    let calls = 0;
    await store.retention.expirePage('g1', 1, { beforeExpiring: async () => void calls++ });
    expect(calls).toBe(0);
  });
});

/** Push marks (lambdas/data/push-marks.ts): a consistent keys-only GetItem, a PutItem with its TTL. */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { PUSH_MARK_TTL_SECONDS } from '../../../lambdas/data/items.ts';
import { TTL_ATTRIBUTE } from '../../../lambdas/data/keys.ts';
import { TABLE_NAME, useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();
const key = { pk: 'PUSHED#m5_abcdefghijkl', sk: 'PUSHED' };

describe('push marks', () => {
  it('reads a message’s mark strongly consistently, keys only', async () => {
    ddb.on(GetCommand).resolvesOnce({ Item: key }).resolvesOnce({});
    await expect(store.pushMarks.has('m5_abcdefghijkl')).resolves.toBe(true);
    await expect(store.pushMarks.has('m5_abcdefghijkl')).resolves.toBe(false);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Key: key,
      ConsistentRead: true,
      ProjectionExpression: 'pk',
    });
  });

  it('writes the mark with its TTL, two days on (longer than a stream keeps a record)', async () => {
    ddb.on(PutCommand).resolves({});
    const now = new Date('2026-03-01T12:00:00.400Z');
    await store.pushMarks.put('m5_abcdefghijkl', now);
    expect(PUSH_MARK_TTL_SECONDS).toBeGreaterThan(24 * 60 * 60);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE_NAME,
      Item: {
        ...key,
        itemType: 'pushed',
        [TTL_ATTRIBUTE]: Date.parse('2026-03-01T12:00:00Z') / 1000 + 172_800,
      },
    });
  });
});

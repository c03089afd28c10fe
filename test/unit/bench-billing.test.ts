/**
 * The bench meter's correction for BatchGetItem (bench/billing.ts): DynamoDB Local reports 0 units
 * for keys that find no item, DynamoDB bills each the minimum read.
 */
import { describe, expect, it } from 'vitest';
import { absentBatchReads } from '../../bench/billing.ts';

const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ pk: `A${i}`, sk: 'x' }));

describe('absentBatchReads', () => {
  it('bills every key that found no item at the minimum read of its consistency', () => {
    const input = {
      RequestItems: { t1: { Keys: keys(3), ConsistentRead: true }, t2: { Keys: keys(4) } },
    };
    const output = { Responses: { t1: [{ pk: 'A0' }], t2: [] } };
    expect(absentBatchReads(input, output)).toBe(2 * 1 + 4 * 0.5);
  });

  it('bills nothing when every key was found, and nothing for keys returned unprocessed', () => {
    const input = { RequestItems: { t: { Keys: keys(3), ConsistentRead: true } } };
    expect(absentBatchReads(input, { Responses: { t: keys(3) } })).toBe(0);
    const unprocessed = { Responses: { t: keys(1) }, UnprocessedKeys: { t: { Keys: keys(2) } } };
    expect(absentBatchReads(input, unprocessed)).toBe(0);
    expect(absentBatchReads({}, {})).toBe(0);
  });
});

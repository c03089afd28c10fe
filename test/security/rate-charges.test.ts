/**
 * Charging frames after the fact (an expensive read counts by its read units:
 * lambdas/data/rate-charges.ts) against DynamoDB Local: the charge is added to the shared window,
 * and a window overdrawn by it is pushed later by the debt's share of a window, refusing every
 * instance's leases until then. Time is passed in (`nowMs`), so no sleeping.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/data/keys.ts';
import { RateLimitRepository } from '../../lambdas/data/rate-limits.ts';
import { TableClient } from '../../lambdas/data/table-client.ts';
import { RateLeases } from '../../lambdas/shared/rate-leases.ts';
import type { RateLimit } from '../../lambdas/shared/rate-limits.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const docs: DynamoDBDocumentClient[] = [];
afterAll(() => {
  for (const d of docs) d.destroy();
});

/** One function instance: its own client and leases. */
function instance(): RateLeases {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  docs.push(doc);
  return new RateLeases(new RateLimitRepository(new TableClient(doc, stack.tableName)));
}

async function windowItem(userId: string) {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  docs.push(doc);
  const out = await doc.send(
    new GetCommand({ TableName: stack.tableName, Key: keys.rateLimit(userId, 'sync') }),
  );
  return out.Item;
}

const LIMIT: RateLimit = { max: 100, windowSeconds: 60, lease: 10, unitsPerFrame: 25 };
const WINDOW_MS = 60_000;

describe('rate-limit charges', () => {
  it('a charge adds to the window; overdrawn, the window is pushed later and every instance refuses until then', async () => {
    const user = uniqueId('charged');
    const t0 = Date.now();
    const one = instance();
    const two = instance();
    expect(await one.take(user, 'sync', LIMIT, t0)).toEqual({ allowed: true });
    await one.charge(user, 'sync', LIMIT, 50, t0 + 1);
    expect(await windowItem(user)).toMatchObject({ windowStart: t0, count: 51 });
    // 151 frames of 100: a debt of 51, pushed by 51 % of a window.
    await two.charge(user, 'sync', LIMIT, 100, t0 + 2);
    const pushed = t0 + 30_600;
    expect(await windowItem(user)).toMatchObject({ windowStart: pushed, count: 100 });
    for (const holder of [one, two, instance()]) {
      expect(await holder.take(user, 'sync', LIMIT, t0 + 3)).toMatchObject({ allowed: false });
    }
    // Past the window's first end, still refused; past the pushed end, a window opens as usual.
    expect(await instance().take(user, 'sync', LIMIT, t0 + WINDOW_MS + 1)).toMatchObject({ allowed: false });
    expect(await instance().take(user, 'sync', LIMIT, pushed + WINDOW_MS)).toEqual({ allowed: true });
  });

  it('a charge with no current window opens one holding it', async () => {
    const user = uniqueId('charged');
    const t0 = Date.now();
    await instance().charge(user, 'sync', LIMIT, 30, t0);
    expect(await windowItem(user)).toMatchObject({ windowStart: t0, count: 30 });
    // 70 frames are left to lease in it.
    const holder = instance();
    const decisions = await Promise.all(
      Array.from({ length: 75 }, () => holder.take(user, 'sync', LIMIT, t0 + 1)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(70);
  });
});

/**
 * The device repository's writes over a mocked client that refuses, as DynamoDB does, a transaction
 * naming one item twice (`ValidationException`; DynamoDB Local runs such a transaction instead, and
 * refuses it only by a failed condition: test/security/revoked-user-push.test.ts).
 */
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../../lambdas/data/items.ts';
import { useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();

const device = (userId: string, deviceId: string, token: string): DeviceRecord => ({
  userId,
  deviceId,
  platform: 'fcm',
  token,
  appId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  refreshedAt: '2026-01-01T00:00:00.000Z',
  expiresAt: 1_800_000_000,
});

/** Resolves a transaction unless it names an item twice, as DynamoDB refuses it. */
function refuseDuplicates() {
  ddb.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => {
    const named = (input.TransactItems ?? []).map((a) => {
      const key = a.Put?.Item ?? a.Update?.Key ?? a.Delete?.Key ?? a.ConditionCheck?.Key ?? {};
      return `${key.pk}|${key.sk}`;
    });
    if (new Set(named).size !== named.length) {
      throw Object.assign(new Error('Transaction request cannot include multiple operations on one item'), {
        name: 'ValidationException',
      });
    }
    return {};
  });
}

describe('registering a token one of the caller’s devices still holds (its owner item gone)', () => {
  it('removes that device and names the token’s owner item once', async () => {
    refuseDuplicates();
    const stale = device('ann', 'd_old', 'tok');
    const outcome = await store.devices.register({
      device: device('ann', 'd_new', 'tok'),
      count: 20,
      evict: stale,
      owner: undefined,
    });
    expect(outcome).toBe('registered');
    const actions = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(actions.map((a) => Object.keys(a)[0])).toEqual(['Update', 'Put', 'Put', 'Delete']);
    expect(actions[3]?.Delete?.Key).toEqual({ pk: 'USER#ann', sk: 'DEVICE#d_old' });
  });

  it('also when the token moved to another user meanwhile (their device removed with it)', async () => {
    refuseDuplicates();
    const owner = { userId: 'bob', deviceId: 'd_bob', platform: 'fcm' as const };
    await expect(
      store.devices.register({
        device: device('ann', 'd_new', 'tok'),
        count: 20,
        evict: device('ann', 'd_old', 'tok'),
        owner,
        takeFrom: owner,
      }),
    ).resolves.toBe('registered');
  });

  it('still deletes the owner item of an evicted device holding another token', async () => {
    refuseDuplicates();
    await store.devices.register({
      device: device('ann', 'd_new', 'tok'),
      count: 20,
      evict: device('ann', 'd_old', 'other'),
    });
    const actions = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(actions.map((a) => Object.keys(a)[0])).toEqual(['Update', 'Put', 'Put', 'Delete', 'Delete']);
  });
});

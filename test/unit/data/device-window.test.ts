/**
 * A device stored before devices had a TTL: it has no `expiresAt` and is live, until the push
 * pipeline first meets it and gives it its window (`devices.startWindow`: its TTL and its token
 * owner's in one transaction, each written only if it has none, so never over a registration's
 * newer one). Over
 * DynamoDB Local, with the pipeline: test/e2e/push-legacy-device.test.ts.
 */
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DEVICE, deviceFromItem, deviceIsLive } from '../../../lambdas/data/items-people.ts';
import { keys } from '../../../lambdas/data/keys.ts';
import { cancelled, ok, refused, TABLE_NAME, useMockTable } from './mock-table.ts';

const { ddb, store } = useMockTable();

const stored = { userId: 'ann', deviceId: 'd1', platform: 'fcm' as const, token: 'tok', appId: null };

const legacyItem = (createdAt: string) => {
  const item = DEVICE.toItem({ ...stored, createdAt, expiresAt: 0 });
  const { ttl: _ttl, ...withoutTtl } = item as Record<string, unknown>;
  return withoutTtl;
};

describe('a device stored without a TTL', () => {
  it('has no expiry, and is live whenever it is read (its window starts when a push meets it)', () => {
    const device = deviceFromItem(legacyItem('2026-08-01T00:00:00Z'));
    expect(device.expiresAt).toBeUndefined();
    expect(deviceIsLive(device, new Date('2030-01-01T00:00:00Z'))).toBe(true);
    // Written back (as nothing does), it gets no TTL attribute.
    expect(DEVICE.toItem(device)).not.toHaveProperty('ttl');
  });

  it('keeps the TTL of a device that has one', () => {
    const item = DEVICE.toItem({ ...stored, createdAt: '2026-08-01T00:00:00Z', expiresAt: 1_800_000_000 });
    const device = deviceFromItem(item);
    expect(device.expiresAt).toBe(1_800_000_000);
    expect(deviceIsLive(device, new Date(1_800_000_000 * 1000))).toBe(false);
  });
});

describe('devices.startWindow', () => {
  const device = deviceFromItem(legacyItem('2026-08-01T00:00:00Z'));
  const deviceUpdate = {
    TableName: TABLE_NAME,
    Key: keys.device('ann', 'd1'),
    UpdateExpression: 'SET #ttl = :ttl',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#ttl)',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':ttl': 1_900_000_000 },
  };

  it('sets the device’s TTL and its token owner’s in one transaction, each only if it has none', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await expect(store.devices.startWindow(device, 1_900_000_000)).resolves.toBe('started');
    expect(ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems)).toEqual([
      [
        { Update: deviceUpdate },
        {
          Update: {
            TableName: TABLE_NAME,
            Key: keys.deviceToken('fcm', 'tok'),
            UpdateExpression: 'SET #ttl = :ttl',
            ConditionExpression: 'deviceId = :device AND attribute_not_exists(#ttl)',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':ttl': 1_900_000_000, ':device': 'd1' },
          },
        },
      ],
    ]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('writes nothing when the device has a TTL (a registration’s) or is gone', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(refused(), ok));
    await expect(store.devices.startWindow(device, 1_900_000_000)).resolves.toBe('unchanged');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('sets the device’s alone when the token owner has a TTL or names another device', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, refused()));
    ddb.on(UpdateCommand).resolves({});
    await expect(store.devices.startWindow(device, 1_900_000_000)).resolves.toBe('started');
    expect(ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input)).toEqual([deviceUpdate]);
  });

  it('a failed write of the token owner leaves the device without its TTL too: the planner tries again', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(store.devices.startWindow(device, 1_900_000_000)).rejects.toThrow('throttled');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});

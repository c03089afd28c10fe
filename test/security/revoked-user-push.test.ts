/**
 * Ending a user's access ends their push previews (security review, "revoked user"): a user disabled
 * at the identity provider gets no new token, so their app can no longer connect and register its
 * push token, which apps do on every start. A device not registered for the stale window (60 days
 * by default) is past its expiry: the push pipeline sends it nothing from that moment, before
 * DynamoDB's TTL deletes it. Registering the token again (the same device) moves its expiry forward.
 *
 * DynamoDB Local does not run TTL: the window's passing is written into the device's items (its
 * `refreshedAt` and TTL, and its token owner's TTL, in the past), and the TTL's deletions are made
 * by hand, as DynamoDB would make them: each item on its own, the count left as it was. The device
 * count then stays right: registering puts it right first, and a token whose device the TTL deleted
 * registers again (for its user, or for another) without conflict.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../lambdas/contract/limits.ts';
import { DEVICE_STALE_AFTER_SECONDS } from '../../lambdas/data/items.ts';
import { keys, TTL_ATTRIBUTE } from '../../lambdas/data/keys.ts';
import { metricTotals } from '../../lambdas/pipeline/metrics.ts';
import { closeAll, connectUser, makeGroup, sendText } from '../support/chat.ts';
import {
  contentOf,
  type DeviceSpec,
  offlineUser,
  pipelineSettled,
  register,
  storedDevices,
  twoDevices,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';
import { uniqueId } from '../support/stack.ts';

// 21 registerDevice within a minute below: above the per-user limit of 10 a minute.
const stack = usePushStack({ env: { RATE_LIMIT_FACTOR: '5' } });
const alice = useAlice(stack);
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => {
  doc?.destroy();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const DAY = 86_400;

/** A device as stored: its item (with its TTL) and its token owner's. */
async function storedDevice(userId: string, deviceId: string, d: DeviceSpec) {
  const [device] = (await stack.items(`USER#${userId}`)).filter((i) => i.deviceId === deviceId && i.token);
  const [owner] = await stack.items(keys.deviceToken(d.platform, d.token).pk);
  return { device, owner };
}

/** The device's app last registered it `days` ago: its items' TTL has passed (not yet deleted). */
async function lastRegistered(userId: string, device: DeviceSpec & { deviceId: string }, days: number) {
  const at = nowSeconds() - days * DAY;
  const expiresAt = at + DEVICE_STALE_AFTER_SECONDS;
  await doc.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: keys.device(userId, device.deviceId),
      UpdateExpression: 'SET refreshedAt = :at, #ttl = :ttl',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':at': new Date(at * 1000).toISOString(), ':ttl': expiresAt },
    }),
  );
  await doc.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: keys.deviceToken(device.platform, device.token),
      UpdateExpression: 'SET #ttl = :ttl',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':ttl': expiresAt },
    }),
  );
}

/** DynamoDB's TTL deletes one item (nothing else: no transaction, no count). */
async function ttlDeletes(key: { pk: string; sk: string }) {
  await doc.send(new DeleteCommand({ TableName: stack.tableName, Key: key }));
}

describe('a device its app has not registered for the stale window', { timeout: 60_000 }, () => {
  it('gets no push (a revoked user reads nothing more); registering again makes it live', async () => {
    const mallory = await offlineUser(stack, undefined, undefined, uniqueId('mallory'));
    const bob = await offlineUser(stack, [{ platform: 'apns', token: uniqueToken('bob') }]);
    const chat = await makeGroup(alice, [mallory.userId, bob.userId], 'Team');
    const [phone, tablet] = mallory.devices as [
      DeviceSpec & { deviceId: string },
      DeviceSpec & { deviceId: string },
    ];
    const bobsPhone = bob.devices[0]?.token ?? '';

    // Before the window: both of mallory's devices get the group's messages.
    await sendText(alice, chat.chatId, 'before');
    await waitForPushes(stack, phone.token);
    await waitForPushes(stack, tablet.token);
    await pipelineSettled(stack);

    // 61 days without a registration (her access ended: no token, no connection, no app start).
    await lastRegistered(mallory.userId, phone, 61);
    await lastRegistered(mallory.userId, tablet, 61);
    const skippedBefore = metricTotals().PushExpiredDeviceSkipped ?? 0;
    const secret = await sendText(alice, chat.chatId, 'secret plan for Q3');
    // Bob, whose app registers as usual, gets it: the anchor of "not to mallory".
    await waitForPushes(stack, bobsPhone, 2);
    await pipelineSettled(stack);
    expect(contentOf(await lastPushTo(bobsPhone))).toMatchObject({ messageId: secret.messageId });
    for (const token of [phone.token, tablet.token]) {
      expect((await waitForPushes(stack, token)).map((p) => contentOf(p).body)).toEqual(['before']);
    }
    expect((metricTotals().PushExpiredDeviceSkipped ?? 0) - skippedBefore).toBe(2);

    // Her phone's app starts again (with a valid token) and registers: the same device, live again
    // for the window, its token owner too; the tablet stays stale.
    const again = await connectUser(stack, mallory.userId);
    const ack = await again.ok('registerDevice', { platform: phone.platform, token: phone.token });
    expect((ack.device as { deviceId: string }).deviceId).toBe(phone.deviceId);
    const { device, owner } = await storedDevice(mallory.userId, phone.deviceId, phone);
    const ttl = Number(device?.[TTL_ATTRIBUTE]);
    expect(ttl).toBeGreaterThanOrEqual(nowSeconds() + DEVICE_STALE_AFTER_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(nowSeconds() + DEVICE_STALE_AFTER_SECONDS);
    expect(Date.parse(String(device?.refreshedAt))).toBeGreaterThan(Date.now() - 60_000);
    expect(owner).toMatchObject({ deviceId: phone.deviceId, [TTL_ATTRIBUTE]: ttl });
    expect(await storedDevices(stack, mallory.userId)).toMatchObject({ count: 2 });
    await closeAll(stack, again);

    const after = await sendText(alice, chat.chatId, 'after her phone registered again');
    await waitForPushes(stack, phone.token, 2);
    await pipelineSettled(stack);
    expect(contentOf(await lastPushTo(phone.token))).toMatchObject({ messageId: after.messageId });
    expect((await waitForPushes(stack, tablet.token)).map((p) => contentOf(p).body)).toEqual(['before']);
  });
});

describe('the device count when the TTL deletes devices', { timeout: 60_000 }, () => {
  it('stays equal to the devices, and a token whose device the TTL deleted registers again', async () => {
    const user = await connectUser(stack, uniqueId('ttl'));
    const specs = [1, 2, 3].map((n) => ({ platform: 'fcm' as const, token: uniqueToken(`ttl${n}`) }));
    const [one, two, three] = (await register(user, specs)) as [
      DeviceSpec & { deviceId: string },
      DeviceSpec & { deviceId: string },
      DeviceSpec & { deviceId: string },
    ];
    // Device one expired and went first (its token owner still names it); device two and its owner
    // both went. The count still says 3.
    await ttlDeletes(keys.device(user.userId, one.deviceId));
    await ttlDeletes(keys.device(user.userId, two.deviceId));
    await ttlDeletes(keys.deviceToken(two.platform, two.token));
    expect(await storedDevices(stack, user.userId)).toMatchObject({ tokens: [three.token], count: 3 });

    // The app holding token one starts again: a new device (its owner item replaced), no CONFLICT.
    const ack = await user.ok('registerDevice', { platform: one.platform, token: one.token });
    const renewed = (ack.device as { deviceId: string }).deviceId;
    expect(renewed).not.toBe(one.deviceId);
    expect(await storedDevices(stack, user.userId)).toEqual({
      tokens: [one.token, three.token].sort(),
      ids: expect.arrayContaining([renewed, three.deviceId]),
      count: 2,
    });
    expect(await stack.items(keys.deviceToken(one.platform, one.token).pk)).toEqual([
      expect.objectContaining({ userId: user.userId, deviceId: renewed }),
    ]);
    await user.ok('registerDevice', { platform: two.platform, token: two.token });
    expect(await storedDevices(stack, user.userId)).toMatchObject({ count: 3 });
    await user.ok('unregisterDevice', { deviceId: three.deviceId });
    expect(await storedDevices(stack, user.userId)).toMatchObject({ count: 2 });
    expect((await storedDevices(stack, user.userId)).ids).toHaveLength(2);

    // Another user registers a token whose device (another user's) the TTL deleted: it moves to them,
    // and its previous user's count is put right at their next registration.
    const other = await connectUser(stack, uniqueId('other'));
    const [theirs] = await register(other, [{ platform: 'apns', token: uniqueToken('theirs') }]);
    if (!theirs) throw new Error('no device');
    await ttlDeletes(keys.device(other.userId, theirs.deviceId));
    const taken = await user.ok('registerDevice', { platform: theirs.platform, token: theirs.token });
    expect(await stack.items(keys.deviceToken(theirs.platform, theirs.token).pk)).toEqual([
      expect.objectContaining({
        userId: user.userId,
        deviceId: (taken.device as { deviceId: string }).deviceId,
      }),
    ]);
    expect(await storedDevices(stack, user.userId)).toMatchObject({ count: 3 });
    expect(await storedDevices(stack, other.userId)).toMatchObject({ tokens: [], count: 1 });
    await register(other, [{ platform: 'apns', token: uniqueToken('next') }]);
    expect(await storedDevices(stack, other.userId)).toMatchObject({ count: 1 });
    await Promise.all([user.close(), other.close()]);
  });
});

describe('a token whose owner item the TTL deleted, registered again by its device', {
  timeout: 60_000,
}, () => {
  // The least recently registered device is the one a registration at the limit evicts: when it
  // holds the token registered, the eviction and the registration must not both name the token's
  // owner item (a transaction may name an item once: DynamoDB refuses it whole, a ValidationException;
  // DynamoDB Local runs it and fails the second's condition: CONFLICT here either way).
  it('replaces that device, at the device limit too', async () => {
    const user = await connectUser(stack, uniqueId('full'));
    const specs = Array.from({ length: LIMITS.devicesMaxPerUser }, (_, n) => ({
      platform: 'fcm' as const,
      token: uniqueToken(`full${n}`),
    }));
    const [first, ...others] = (await register(user, specs)) as [
      DeviceSpec & { deviceId: string },
      ...(DeviceSpec & { deviceId: string })[],
    ];
    // Its app last registered it 61 days ago; the TTL deleted its owner item, not yet the device.
    await lastRegistered(user.userId, first, 61);
    await ttlDeletes(keys.deviceToken(first.platform, first.token));
    expect(await storedDevices(stack, user.userId)).toMatchObject({ count: LIMITS.devicesMaxPerUser });

    const ack = await user.ok('registerDevice', { platform: first.platform, token: first.token });
    const renewed = (ack.device as { deviceId: string }).deviceId;
    expect(renewed).not.toBe(first.deviceId);
    const stored = await storedDevices(stack, user.userId);
    expect(stored).toMatchObject({
      tokens: specs.map((d) => d.token).sort(),
      count: LIMITS.devicesMaxPerUser,
    });
    expect([...stored.ids].sort()).toEqual([renewed, ...others.map((d) => d.deviceId)].sort());
    expect(await stack.items(keys.deviceToken(first.platform, first.token).pk)).toEqual([
      expect.objectContaining({ userId: user.userId, deviceId: renewed }),
    ]);
    await user.close();
  });

  it('replaces that device below the limit: never two devices of one token', async () => {
    const user = await connectUser(stack, uniqueId('two'));
    const [one, two] = (await register(user, twoDevices())) as [
      DeviceSpec & { deviceId: string },
      DeviceSpec & { deviceId: string },
    ];
    await lastRegistered(user.userId, two, 61);
    await ttlDeletes(keys.deviceToken(two.platform, two.token));
    const ack = await user.ok('registerDevice', { platform: two.platform, token: two.token });
    const renewed = (ack.device as { deviceId: string }).deviceId;
    const stored = await storedDevices(stack, user.userId);
    expect(stored).toMatchObject({ tokens: [one.token, two.token].sort(), count: 2 });
    expect([...stored.ids].sort()).toEqual([one.deviceId, renewed].sort());
    await user.close();
  });
});

/** The last notification recorded for a token. */
async function lastPushTo(token: string) {
  const pushes = await waitForPushes(stack, token);
  const last = pushes.at(-1);
  if (!last) throw new Error(`no push to ${token}`);
  return last;
}

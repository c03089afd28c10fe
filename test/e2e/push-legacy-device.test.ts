/**
 * A device stored before devices had a TTL (no `ttl` on its item nor on its token owner), over
 * DynamoDB Local and the push pipeline: it is pushed, and the first push that meets it gives it its
 * window, this stack's configured days (`PUSH_DEVICE_STALE_DAYS`, 30 here) from then, on the device
 * and its token owner, written once (conditional: never over a registration's TTL, never to a
 * device that is gone).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceFromItem } from '../../lambdas/data/items.ts';
import { keys, TTL_ATTRIBUTE } from '../../lambdas/data/keys.ts';
import { ChatStore } from '../../lambdas/data/store.ts';
import { metricTotals } from '../../lambdas/pipeline/metrics.ts';
import { makeGroup, sendText } from '../support/chat.ts';
import {
  offlineUser,
  pipelineSettled,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';

const DAYS = 30;
const stack = usePushStack({ env: { PUSH_DEVICE_STALE_DAYS: String(DAYS) } });
const alice = useAlice(stack);
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => {
  doc?.destroy();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Removes an item's TTL, as items stored before devices had one are. */
async function withoutTtl(key: { pk: string; sk: string }) {
  await doc.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: key,
      UpdateExpression: 'REMOVE #ttl',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
    }),
  );
}

const ttlOf = async (pk: string, sk: string) =>
  (await stack.items(pk)).find((i) => i.sk === sk)?.[TTL_ATTRIBUTE];

describe('a device stored before devices had a TTL', { timeout: 60_000 }, () => {
  it('is pushed, and the first push gives it and its token owner the configured window, once', async () => {
    const token = uniqueToken('legacy');
    const bob = await offlineUser(stack, [{ platform: 'fcm', token }]);
    const deviceId = bob.devices[0]?.deviceId ?? '';
    const deviceKey = keys.device(bob.userId, deviceId);
    const ownerKey = keys.deviceToken('fcm', token);
    await withoutTtl(deviceKey);
    await withoutTtl(ownerKey);
    expect(await ttlOf(deviceKey.pk, deviceKey.sk)).toBeUndefined();
    const started = metricTotals().PushDeviceWindowStarted ?? 0;

    const chat = await makeGroup(alice, [bob.userId], 'Team');
    const before = nowSeconds();
    await sendText(alice, chat.chatId, 'hello');
    await waitForPushes(stack, token);
    await pipelineSettled(stack);
    const ttl = Number(await ttlOf(deviceKey.pk, deviceKey.sk));
    expect(ttl).toBeGreaterThanOrEqual(before + DAYS * 86_400);
    expect(ttl).toBeLessThanOrEqual(nowSeconds() + DAYS * 86_400);
    expect(await ttlOf(ownerKey.pk, ownerKey.sk)).toBe(ttl);
    expect((metricTotals().PushDeviceWindowStarted ?? 0) - started).toBe(1);

    // The next push writes nothing: the device has its window.
    await sendText(alice, chat.chatId, 'again');
    await waitForPushes(stack, token, 2);
    await pipelineSettled(stack);
    expect((metricTotals().PushDeviceWindowStarted ?? 0) - started).toBe(1);

    // Never over a TTL it has (a registration's), never to a device that is gone.
    const store = new ChatStore(doc, stack.tableName);
    const [item] = (await stack.items(deviceKey.pk)).filter((i) => i.sk === deviceKey.sk);
    if (!item) throw new Error('no device');
    const device = { ...deviceFromItem(item), expiresAt: undefined };
    await expect(store.devices.startWindow(device, ttl + 1)).resolves.toBe('unchanged');
    expect(await ttlOf(deviceKey.pk, deviceKey.sk)).toBe(ttl);
    const gone = { ...device, deviceId: 'd_gone' };
    await expect(store.devices.startWindow(gone, ttl)).resolves.toBe('unchanged');
    expect((await stack.items(deviceKey.pk)).filter((i) => i.sk === 'DEVICE#d_gone')).toEqual([]);
  });
});

/**
 * The window of a device stored before devices had a TTL (`devices.startWindow`): the push pipeline
 * gives it one the first time it meets it, so that its window counts from the update that
 * brought the TTL to this stack (and lasts the configured days), not from a fixed date.
 */
import { DEVICE_TOKEN, type DeviceRecord } from './items.ts';
import { keys, TTL_ATTRIBUTE } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

const TTL = { '#ttl': TTL_ATTRIBUTE };

/**
 * Sets a device's TTL to `expiresAt`, once: only if it has none (a registration's is newer) and
 * still exists (an UpdateItem would create it); then its token owner's, likewise only if it has
 * none and still names the device (the two expire together, as a registration writes them).
 * `'started'`, or `'unchanged'` when the device has a TTL or is gone (nothing written).
 */
export async function startDeviceWindow(
  table: TableClient,
  device: Pick<DeviceRecord, 'userId' | 'deviceId' | 'platform' | 'token'>,
  expiresAt: number,
): Promise<'started' | 'unchanged'> {
  const started = await ifConditionFails(
    table
      .update({
        Key: keys.device(device.userId, device.deviceId),
        UpdateExpression: 'SET #ttl = :ttl',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#ttl)',
        ExpressionAttributeNames: TTL,
        ExpressionAttributeValues: { ':ttl': expiresAt },
      })
      .then(() => true),
    () => false,
  );
  if (!started) return 'unchanged';
  await ifConditionFails(
    table.update({
      Key: DEVICE_TOKEN.key(device),
      UpdateExpression: 'SET #ttl = :ttl',
      ConditionExpression: 'deviceId = :device AND attribute_not_exists(#ttl)',
      ExpressionAttributeNames: TTL,
      ExpressionAttributeValues: { ':ttl': expiresAt, ':device': device.deviceId },
    }),
    () => undefined,
  );
  return 'started';
}

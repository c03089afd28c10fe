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
 * still exists (an UpdateItem would create it); and its token owner's in the same transaction,
 * likewise only if it has none and still names the device (the two expire together, as a
 * registration writes them). One transaction, so that the owner is never left without its TTL
 * while the device has one (the planner gives a window only to devices without a TTL: it would
 * never come back to the owner). When only the owner's condition fails (it has a TTL already, or
 * the token moved to another device), the device's TTL is set alone, as nothing is owed the owner.
 * `'started'`, or `'unchanged'` when the device has a TTL or is gone (nothing written).
 */
export async function startDeviceWindow(
  table: TableClient,
  device: Pick<DeviceRecord, 'userId' | 'deviceId' | 'platform' | 'token'>,
  expiresAt: number,
): Promise<'started' | 'unchanged'> {
  const deviceUpdate = {
    Key: keys.device(device.userId, device.deviceId),
    UpdateExpression: 'SET #ttl = :ttl',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#ttl)',
    ExpressionAttributeNames: TTL,
    ExpressionAttributeValues: { ':ttl': expiresAt },
  };
  const ownerUpdate = {
    Key: DEVICE_TOKEN.key(device),
    UpdateExpression: 'SET #ttl = :ttl',
    ConditionExpression: 'deviceId = :device AND attribute_not_exists(#ttl)',
    ExpressionAttributeNames: TTL,
    ExpressionAttributeValues: { ':ttl': expiresAt, ':device': device.deviceId },
  };
  const both = await ifConditionFails(
    table
      .transactThroughConflicts([{ Update: deviceUpdate }, { Update: ownerUpdate }])
      .then(() => 'started' as const),
    (failure) => {
      const [ofDevice, ofOwner] = failure.reasons;
      if (ofDevice?.conditionFailed) return 'unchanged' as const;
      if (ofOwner?.conditionFailed) return 'device alone' as const;
      throw failure.error;
    },
  );
  if (both !== 'device alone') return both;
  return ifConditionFails(
    table.update(deviceUpdate).then(() => 'started' as const),
    () => 'unchanged' as const,
  );
}

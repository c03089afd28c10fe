/**
 * The push pipeline's read of a user's devices (devices.ts `pushTargets`, the repository's access
 * pattern), and the order devices are listed in.
 */
import { type DeviceRecord, deviceFromItem } from './items.ts';
import { PREFIX, SK, TTL_ATTRIBUTE, userPk } from './keys.ts';
import type { TableClient } from './table-client.ts';

/** Who to push to: whether the user has an open socket, and their devices. */
export interface PushTargets {
  readonly online: boolean;
  /** The stored, unexpired sockets that make them `online` (`$disconnect` asks whether another is). */
  readonly connectionIds: string[];
  readonly devices: DeviceRecord[];
}

/** Oldest first (then by id): the order devices are listed and evicted in. */
export const byCreated = (a: DeviceRecord, b: DeviceRecord) =>
  a.createdAt.localeCompare(b.createdAt) || a.deviceId.localeCompare(b.deviceId);

/**
 * Whether a user has an open socket, and their devices, in one Query over `USER#<id>` from
 * `CONN#` to the end of `DEVICE#…` (connections and devices sort next to each other; connections
 * past their TTL are ignored, as the fan-out ignores them; devices past theirs are listed, with
 * their `expiresAt`: the push planner ignores them by its own clock, and gives those without one
 * their window, `startWindow`). A deactivated user has none: their mark sorts in this range.
 */
export async function pushTargetsOf(table: TableClient, userId: string): Promise<PushTargets> {
  const items = await table.queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':pk': userPk(userId),
      ':from': PREFIX.connection,
      ':to': `${PREFIX.device}\uffff`,
    },
  });
  const now = Math.floor(Date.now() / 1000);
  const connectionIds: string[] = [];
  const devices: DeviceRecord[] = [];
  for (const item of items) {
    const sk = String(item.sk);
    if (sk.startsWith(PREFIX.connection)) {
      if (Number(item[TTL_ATTRIBUTE] ?? Number.POSITIVE_INFINITY) > now)
        connectionIds.push(sk.slice(PREFIX.connection.length));
    } else if (sk.startsWith(PREFIX.device)) {
      devices.push(deviceFromItem(item));
    }
  }
  const deactivated = items.some((item) => item.sk === SK.deactivated);
  const online = connectionIds.length > 0;
  return { online, connectionIds, devices: deactivated ? [] : devices.sort(byCreated) };
}

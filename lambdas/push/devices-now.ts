/**
 * The push planner's view of a recipient's devices (plan.ts): only live ones (not past their
 * `expiresAt`, by the planner's clock), and before anything is sent, the devices as stored now. A
 * device stored before devices had a TTL is live, and gets its window the first time the planner
 * meets it (`devices.startWindow`).
 */

import { DEVICE_STALE_AFTER_SECONDS, deviceIsLive } from '../data/items.ts';
import type { ChatStore, DeviceRecord } from '../data/store.ts';
import type { Counters } from '../pipeline/metrics.ts';
import { logger } from '../shared/logger.ts';

/**
 * The devices not past their `expiresAt` at `now`; the others (stale: their app has not registered
 * them for the window) are counted (`PushExpiredDeviceSkipped`) and get nothing. A device without
 * an `expiresAt` (stored before devices had a TTL) gets one, `staleAfterSeconds` from `now`, written
 * once (`devices.startWindow`: never over one a registration wrote; `PushDeviceWindowStarted`), so
 * its window counts from this stack's update, and honours its configured days. A write that fails
 * is logged and counted (`PushDeviceWindowFailed`), not thrown: the device is live all the same,
 * and the next push tries again.
 */
export async function liveDevices(
  store: ChatStore,
  devices: readonly DeviceRecord[],
  now: Date,
  counters: Counters,
  staleAfterSeconds = DEVICE_STALE_AFTER_SECONDS,
): Promise<DeviceRecord[]> {
  const live = devices.filter((d) => deviceIsLive(d, now));
  counters.add('PushExpiredDeviceSkipped', devices.length - live.length);
  const expiresAt = Math.floor(now.getTime() / 1000) + staleAfterSeconds;
  await Promise.all(
    live
      .filter((d) => d.expiresAt === undefined)
      .map(async (device) => {
        try {
          if ((await store.devices.startWindow(device, expiresAt)) === 'started')
            counters.add('PushDeviceWindowStarted');
        } catch (error) {
          counters.add('PushDeviceWindowFailed');
          logger.warn('push: the window of a device without a TTL was not written', {
            userId: device.userId,
            deviceId: device.deviceId,
            error,
          });
        }
      }),
  );
  return live;
}

/**
 * The user's devices as stored now (`devices.getState`: one consistent Query, 1 read unit up to
 * 4 KB, about 16 devices), read before anything is sent to them. The lookup that found them
 * (`pushTargets`) is eventually consistent, and may come from a replica that has not applied a
 * registration yet: a device whose token another user registered since (a phone changing hands:
 * that registration removed this device, in its transaction) or that was unregistered at sign-out
 * would otherwise get this user's message. Devices `listed` that are not stored now with the same
 * token are counted (`PushStaleDeviceSkipped`). Only live devices are returned (`listed` are live:
 * a device past its expiry is past it here too, unless registered again meanwhile).
 */
export async function devicesNow(
  store: ChatStore,
  userId: string,
  listed: readonly DeviceRecord[],
  now: Date,
  counters: Counters,
): Promise<DeviceRecord[]> {
  const { devices } = await store.devices.getState(userId);
  const stored = (d: DeviceRecord) => devices.some((s) => s.deviceId === d.deviceId && s.token === d.token);
  counters.add('PushStaleDeviceSkipped', listed.filter((d) => !stored(d)).length);
  return devices.filter((d) => deviceIsLive(d, now));
}

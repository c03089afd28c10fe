/**
 * Push devices: registerDevice and unregisterDevice. A token belongs to one user (registering it
 * moves it from whoever held it); a user has at most `LIMITS.devicesMaxPerUser` devices, and
 * registering one more evicts the user's least recently registered device (a phone that was reset
 * or replaced never unregisters its old token, so refusing would lock users out of push on their new
 * phone). A device of the user's that still holds the token being registered (its owner item
 * deleted by the TTL before it) is replaced by the new one, never kept beside it.
 *
 * Apps register their token on every start (docs/push.md). Each registration, also of a token the
 * device holds already, pushes the device's expiry (`expiresAt`, its TTL) to `staleAfterSeconds`
 * from now (60 days by default): a device whose app has not registered for that long gets no push
 * (lambdas/push/plan.ts) and is deleted by the TTL. That is what ends the pushes of a user whose
 * access ended: they can no longer connect, so their devices go stale (docs/security.md).
 */
import { randomBytes } from 'node:crypto';
import type { Request } from '../contract/index.ts';
import type { Device } from '../contract/objects.ts';
import { DEVICE_STALE_AFTER_SECONDS, type DeviceRecord, type Platform } from '../data/items.ts';
import type { Caller } from '../shared/caller.ts';
import { conflict, notFound } from '../shared/errors.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import type { Deps } from './deps.ts';
import { LIMITS } from './limits.ts';

/** Attempts when the user's devices (or the token's owner) changed between the read and the write. */
const REGISTER_ATTEMPTS = 4;
const REGISTER_BACKOFF: Backoff = { baseMs: 10, capMs: 100 };

export function newDeviceId(): string {
  return `d_${randomBytes(12).toString('base64url')}`;
}

export function deviceView(d: DeviceRecord): Device {
  return { deviceId: d.deviceId, platform: d.platform, createdAt: d.createdAt };
}

/** When a device registered at `now` goes stale (epoch seconds, its TTL). */
export const expiryFrom = (now: Date, staleAfterSeconds = DEVICE_STALE_AFTER_SECONDS): number =>
  Math.floor(now.getTime() / 1000) + staleAfterSeconds;

/** A new device of `userId`, registered at `now`. */
export function newDevice(
  userId: string,
  d: { readonly platform: Platform; readonly token: string; readonly appId?: string | null | undefined },
  now: Date,
  staleAfterSeconds = DEVICE_STALE_AFTER_SECONDS,
): DeviceRecord {
  return {
    userId,
    deviceId: newDeviceId(),
    platform: d.platform,
    token: d.token,
    appId: d.appId ?? null,
    createdAt: now.toISOString(),
    refreshedAt: now.toISOString(),
    expiresAt: expiryFrom(now, staleAfterSeconds),
  };
}

/** The device registered (or refreshed) longest ago: the one evicted at the limit. */
function leastRecentlyRegistered(devices: readonly DeviceRecord[]): DeviceRecord | undefined {
  const registered = (d: DeviceRecord) => d.refreshedAt ?? d.createdAt;
  return devices.reduce<DeviceRecord | undefined>(
    (oldest, d) => (oldest === undefined || registered(d) < registered(oldest) ? d : oldest),
    undefined,
  );
}

export async function registerDevice(
  deps: Deps,
  caller: Caller,
  input: Request<'registerDevice'>,
): Promise<{ device: Device }> {
  const { platform, token } = input;
  const { devices } = deps.store;
  for (let attempt = 0; attempt < REGISTER_ATTEMPTS; attempt++) {
    if (attempt > 0) await backOff(REGISTER_BACKOFF, attempt);
    const [owner, state] = await Promise.all([
      devices.getTokenOwner(platform, token),
      devices.getState(caller.userId),
    ]);
    const now = deps.now();
    const expiresAt = expiryFrom(now, deps.deviceStaleAfterSeconds);
    const mine = owner?.userId === caller.userId;
    const existing = mine ? state.devices.find((d) => d.deviceId === owner.deviceId) : undefined;
    if (existing) {
      // Registering again: the same device, fresh for another `staleAfterSeconds`.
      if ((await devices.refresh(existing, now.toISOString(), expiresAt)) === 'refreshed') {
        return { device: deviceView(existing) };
      }
      continue;
    }
    // The TTL deleted devices since the count was last set: put it right first (the count is the
    // registration's lock, and must move with every registration).
    if (state.count > state.devices.length) {
      await devices.reconcileCount(caller.userId, state.count, state.devices.length);
      continue; // read again, whether this or another registration set it
    }
    // Another user's token: their device is removed with it, unless the TTL deleted it already.
    const theirs = owner && !mine ? await devices.get(owner.userId, owner.deviceId) : undefined;
    const device = newDevice(caller.userId, input, now, deps.deviceStaleAfterSeconds);
    // A device of the caller's that still holds the token (its owner item gone with the TTL, or
    // naming someone else) is the one this registration replaces: it goes, whatever the count.
    const replaced = state.devices.find((d) => d.platform === platform && d.token === token);
    const outcome = await devices.register({
      device,
      count: state.count,
      evict:
        replaced ??
        (state.devices.length >= LIMITS.devicesMaxPerUser
          ? leastRecentlyRegistered(state.devices)
          : undefined),
      owner,
      takeFrom: theirs?.token === token ? owner : undefined,
    });
    if (outcome === 'registered') return { device: deviceView(device) };
  }
  throw conflict('Your devices changed while this one was being registered. Please retry.');
}

export async function unregisterDevice(
  deps: Deps,
  caller: Caller,
  input: Request<'unregisterDevice'>,
): Promise<{ deviceId: string }> {
  const device = await deps.store.devices.get(caller.userId, input.deviceId);
  const removed = device && (await deps.store.devices.remove(device));
  if (!removed || removed === 'gone') throw notFound(`Device "${input.deviceId}" was not found.`);
  if (removed === 'busy') throw conflict('Your devices were busy changing; please retry.');
  return { deviceId: input.deviceId };
}

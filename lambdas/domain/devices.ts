/**
 * Push devices: registerDevice and unregisterDevice. A token belongs to one user (registering it
 * moves it from whoever held it); a user has at most `LIMITS.devicesMaxPerUser` devices, and
 * registering one more evicts the user's oldest device (a phone that was reset or replaced never
 * unregisters its old token, so refusing would lock users out of push on their new phone).
 */
import { randomBytes } from 'node:crypto';
import type { Request } from '../contract/index.ts';
import type { Device } from '../contract/objects.ts';
import type { DeviceRecord } from '../data/store.ts';
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

export async function registerDevice(
  deps: Deps,
  caller: Caller,
  input: Request<'registerDevice'>,
): Promise<{ device: Device }> {
  const { platform, token } = input;
  for (let attempt = 0; attempt < REGISTER_ATTEMPTS; attempt++) {
    if (attempt > 0) await backOff(REGISTER_BACKOFF, attempt);
    const [owner, state] = await Promise.all([
      deps.store.devices.getTokenOwner(platform, token),
      deps.store.devices.getState(caller.userId),
    ]);
    const mine = owner?.userId === caller.userId;
    const existing = mine ? state.devices.find((d) => d.deviceId === owner.deviceId) : undefined;
    if (existing) return { device: deviceView(existing) }; // registering again changes nothing
    const device: DeviceRecord = {
      userId: caller.userId,
      deviceId: newDeviceId(),
      platform,
      token,
      appId: input.appId ?? null,
      createdAt: deps.now().toISOString(),
    };
    const outcome = await deps.store.devices.register({
      device,
      count: state.count,
      evict: state.devices.length >= LIMITS.devicesMaxPerUser ? state.devices[0] : undefined,
      takeFrom: owner && !mine ? owner : undefined,
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

/**
 * A device stored before devices had a TTL: its 60-day window counts from the release that added
 * the TTL, not from its creation, so a phone registered long ago whose app follows the older advice
 * (register after sign-in and when the token rotates) keeps its pushes after the update.
 */
import { describe, expect, it } from 'vitest';
import {
  DEVICE,
  DEVICE_STALE_AFTER_SECONDS,
  DEVICE_TTL_SINCE,
  deviceFromItem,
  deviceIsLive,
} from '../../../lambdas/data/items-people.ts';

const legacyItem = (createdAt: string) => {
  const item = DEVICE.toItem({
    userId: 'ann',
    deviceId: 'd1',
    platform: 'fcm',
    token: 'tok',
    appId: null,
    createdAt,
    expiresAt: 0,
  });
  const { ttl: _ttl, ...withoutTtl } = item as Record<string, unknown>;
  return withoutTtl;
};

describe('the window of a device stored without a TTL', () => {
  it('counts from the release that added the TTL for a device created long before it', () => {
    const device = deviceFromItem(legacyItem('2026-08-01T00:00:00Z'));
    expect(device.expiresAt).toBe(DEVICE_TTL_SINCE + DEVICE_STALE_AFTER_SECONDS);
    // 90 days after its creation, a day after the update: still pushed.
    expect(deviceIsLive(device, new Date('2026-12-05T00:00:00Z'))).toBe(true);
    // A window after the update without registering again: stale.
    expect(deviceIsLive(device, new Date((DEVICE_TTL_SINCE + DEVICE_STALE_AFTER_SECONDS + 1) * 1000))).toBe(
      false,
    );
  });

  it('counts from its creation when it was created after that release', () => {
    const device = deviceFromItem(legacyItem('2027-01-01T00:00:00Z'));
    expect(device.expiresAt).toBe(Date.parse('2027-01-01T00:00:00Z') / 1000 + DEVICE_STALE_AFTER_SECONDS);
  });

  it('keeps the TTL of a device that has one', () => {
    const item = DEVICE.toItem({
      userId: 'ann',
      deviceId: 'd1',
      platform: 'fcm',
      token: 'tok',
      appId: null,
      createdAt: '2026-08-01T00:00:00Z',
      expiresAt: 1_800_000_000,
    });
    expect(deviceFromItem(item).expiresAt).toBe(1_800_000_000);
  });
});

/** Item kinds of a user's devices (push), push marks and blocks (items.ts re-exports them). */
import { defineItem, field, type RecordOf } from './item.ts';
import { blockKey, keys, TTL_ATTRIBUTE } from './keys.ts';

const PLATFORMS = ['apns', 'fcm'] as const;
export type Platform = (typeof PLATFORMS)[number];

const deviceFields = {
  userId: field.string,
  deviceId: field.string,
  platform: field.oneOf(PLATFORMS, 'apns'),
  token: field.string,
  appId: field.nullableString,
  createdAt: field.string,
};
/** A push device of a user (APNs or FCM token). */
export const DEVICE = defineItem({
  itemType: 'device',
  key: (d) => keys.device(d.userId, d.deviceId),
  fields: deviceFields,
});
export type DeviceRecord = RecordOf<typeof deviceFields>;

/** What a push token's owner item is keyed by: the token itself (hashed into the key, not stored). */
interface TokenRef {
  readonly platform: Platform;
  readonly token: string;
}
const deviceTokenFields = {
  platform: field.oneOf(PLATFORMS, 'apns'),
  userId: field.string,
  deviceId: field.string,
};
/** The owner of a push token: a token belongs to one user and moves to whoever registers it last. */
export const DEVICE_TOKEN = defineItem({
  itemType: 'deviceToken',
  key: (t: TokenRef) => keys.deviceToken(t.platform, t.token),
  fields: deviceTokenFields,
});
export type DeviceTokenRecord = RecordOf<typeof deviceTokenFields>;

const deviceCountFields = { userId: field.string, count: field.number };
/** How many devices a user has: the optimistic lock that keeps the per-user limit under races. */
export const DEVICE_COUNT = defineItem({
  itemType: 'deviceCount',
  key: (c) => keys.deviceCount(c.userId),
  fields: deviceCountFields,
});

/**
 * How long a push mark lives: longer than a stream record can be retried (the push function drops
 * records older than 15 minutes; a stream keeps them 24 hours).
 */
export const PUSH_MARK_TTL_SECONDS = 2 * 24 * 60 * 60;

interface PushMarkRef {
  readonly messageId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}
/**
 * "This message's notifications were handed to the providers, or its push jobs queued": a stream
 * record of the message processed again (a retried batch) pushes nothing (lambdas/data/push-marks.ts).
 */
export const PUSH_MARK = defineItem({
  itemType: 'pushed',
  key: (m: PushMarkRef) => keys.pushMark(m.messageId),
  fields: {},
  derived: (m) => ({ [TTL_ATTRIBUTE]: m.expiresAt }),
});

const blockFields = { blockerId: field.string, blockedId: field.string, createdAt: field.string };
/** `blockerId` has blocked `blockedId` (in the blocker's partition: private to them). */
export const BLOCK = defineItem({
  itemType: 'block',
  key: (b) => blockKey(b.blockerId, b.blockedId),
  fields: blockFields,
});
export type BlockRecord = RecordOf<typeof blockFields>;

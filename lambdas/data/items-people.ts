/** Item kinds of a user's devices (push), push marks and blocks (items.ts re-exports them). */
import { defineItem, field, type Item, type RecordOf } from './item.ts';
import { blockKey, keys, TTL_ATTRIBUTE } from './keys.ts';

const PLATFORMS = ['apns', 'fcm'] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * How long a device stays live after its app last registered its token, by default: 60 days. Apps
 * register on every start (docs/push.md), so a device not registered for that long belongs to an app
 * that has not run since: a phone lost, replaced, or of a user whose access ended (who can no longer
 * connect to register). Past it the push pipeline ignores the device, and DynamoDB's TTL deletes it
 * and its token's owner item (within a day or two). Firebase calls a token stale after a month
 * without use; 60 days leaves room for an app opened only now and then.
 */
export const DEVICE_STALE_AFTER_SECONDS = 60 * 24 * 60 * 60;

const deviceFields = {
  userId: field.string,
  deviceId: field.string,
  platform: field.oneOf(PLATFORMS, 'apns'),
  token: field.string,
  appId: field.nullableString,
  createdAt: field.string,
  /** When the app last registered the token (ISO); absent on devices stored before it was kept. */
  refreshedAt: field.optionalString,
};
/**
 * A push device of a user (APNs or FCM token). `expiresAt` (epoch seconds, the item's TTL): when it
 * goes stale, unless its app registers the token again before (`DEVICE_STALE_AFTER_SECONDS`).
 * Undefined on a device stored before devices had a TTL: it is live, and the push pipeline gives it
 * its window (the configured days from then) the first time it meets it (`devices.startWindow`).
 */
export type DeviceRecord = RecordOf<typeof deviceFields> & { readonly expiresAt: number | undefined };
export const DEVICE = defineItem({
  itemType: 'device',
  key: (d: DeviceRecord) => keys.device(d.userId, d.deviceId),
  fields: deviceFields,
  derived: (d) => (d.expiresAt === undefined ? {} : { [TTL_ATTRIBUTE]: d.expiresAt }),
});

/** A device as stored; `expiresAt` undefined when it has no TTL yet (stored before devices had one). */
export function deviceFromItem(item: Item): DeviceRecord {
  const ttl = item[TTL_ATTRIBUTE];
  return { ...DEVICE.fromItem(item), expiresAt: ttl === undefined || ttl === null ? undefined : Number(ttl) };
}

/**
 * Whether a device is live at `now`: not past its `expiresAt` (the TTL deletes it up to 48 h later).
 * One without a TTL yet is live (the push pipeline starts its window when it meets it).
 */
export const deviceIsLive = (device: Pick<DeviceRecord, 'expiresAt'>, now: Date): boolean =>
  device.expiresAt === undefined || device.expiresAt * 1000 > now.getTime();

/** What a push token's owner item is keyed by: the token itself (hashed into the key, not stored). */
interface TokenRef {
  readonly platform: Platform;
  readonly token: string;
  /** Its device's `expiresAt`: the owner item expires with it (written only). */
  readonly expiresAt?: number;
}
const deviceTokenFields = {
  platform: field.oneOf(PLATFORMS, 'apns'),
  userId: field.string,
  deviceId: field.string,
};
/**
 * The owner of a push token: a token belongs to one user and moves to whoever registers it last. It
 * carries its device's TTL, written with it in one transaction, so it never outlives a live device.
 */
export const DEVICE_TOKEN = defineItem({
  itemType: 'deviceToken',
  key: (t: TokenRef) => keys.deviceToken(t.platform, t.token),
  fields: deviceTokenFields,
  derived: (t) => (t.expiresAt === undefined ? {} : { [TTL_ATTRIBUTE]: t.expiresAt }),
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

/**
 * How many users `userId` has blocked (`count`): the lock of the per-user cap, moved in the same
 * transaction as each block item (block-count.ts). Absent until the user's first block change since
 * it exists, which counts the block items already there first.
 */
export const BLOCK_COUNT = defineItem({
  itemType: 'blockCount',
  key: (c: { readonly userId: string }) => keys.blockCount(c.userId),
  fields: { count: field.number },
});

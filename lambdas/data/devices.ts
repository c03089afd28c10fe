/**
 * Push devices (`USER#<id>`/`DEVICE#<deviceId>`), the per-user device count (`DEVICES`, the
 * optimistic lock of the 20-device limit) and the token owner items (`TOKEN#<platform>#<sha256>`,
 * which make "a token registered by a new user moves to that user" one key lookup). Every
 * registration, refresh and removal is one transaction over these, so a token has at most one owner.
 *
 * A device and its owner item carry the same TTL (`expiresAt`, items-people.ts), pushed forward by
 * every registration of the token (`refresh`). DynamoDB's TTL deletes each on its own, without the
 * transaction: for a while a device can be gone while its owner item still names it (registration
 * replaces such an owner item), and the count is then one too high per deleted device. The count is
 * only the registration's lock, and the registration puts it right first (`reconcileCount`): it
 * equals the user's stored devices from then on. Every public method is one access pattern (all of
 * them are listed in docs/data-model.md).
 */
import { byCreated, type PushTargets, pushTargetsOf } from './device-reads.ts';
import { startDeviceWindow } from './device-window.ts';
import {
  DEVICE,
  DEVICE_COUNT,
  DEVICE_TOKEN,
  type DeviceRecord,
  type DeviceTokenRecord,
  deviceFromItem,
  type Platform,
} from './items.ts';
import { DEVICE_SK, keys, TTL_ATTRIBUTE, userPk } from './keys.ts';
import {
  ifConditionFails,
  itemAbsent,
  itemExists,
  refusedOrBusy,
  type TableClient,
  type TransactAction,
} from './table-client.ts';

export interface DeviceState {
  /** The user's devices, oldest first. */
  readonly devices: DeviceRecord[];
  /**
   * The stored count (the registration's lock): `devices.length`, or more when DynamoDB's TTL has
   * deleted devices since the last registration (`reconcileCount`).
   */
  readonly count: number;
}

/** A registration as the domain decided it. */
export interface Registration {
  readonly device: DeviceRecord;
  /** The count read with the state: the write fails if it changed meanwhile. */
  readonly count: number;
  /**
   * The caller's device removed: the one holding the token already (replaced), or at the limit the
   * least recently registered. Its token's owner item is deleted with it, unless that is the token
   * registered (the new owner item replaces it).
   */
  readonly evict?: DeviceRecord | undefined;
  /**
   * The token's owner item as read, if any: the new one replaces it only if it still names the same
   * device. It may name a device of the caller's that the TTL deleted.
   */
  readonly owner?: DeviceTokenRecord | undefined;
  /** The token's previous device (another user's, still stored), removed with one off their count. */
  readonly takeFrom?: DeviceTokenRecord | undefined;
}

const COUNT = { '#count': 'count' };
const countIs = (count: number) =>
  count === 0 ? 'attribute_not_exists(pk) OR #count = :prev' : '#count = :prev';
const pointsAt = 'deviceId = :device';

export type { PushTargets } from './device-reads.ts';

export class DeviceRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * A user's devices and count (consistent Query `USER#<id>`, prefix `DEVICE`: both kinds): the
   * registration's read, and the push planner's devices as stored now, before it sends to them.
   */
  async getState(userId: string): Promise<DeviceState> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': 'DEVICE' },
      ConsistentRead: true,
    });
    const head = items.find((i) => i.sk === DEVICE_SK.count);
    const devices = items.filter((i) => i !== head).map(deviceFromItem);
    return { devices: devices.sort(byCreated), count: head ? DEVICE_COUNT.fromItem(head).count : 0 };
  }

  /** One device (key lookup). */
  async get(userId: string, deviceId: string): Promise<DeviceRecord | undefined> {
    const item = await this.table.get(keys.device(userId, deviceId), { consistent: true });
    return item && deviceFromItem(item);
  }

  /** Who holds a token (consistent key lookup on its owner item). */
  async getTokenOwner(platform: Platform, token: string): Promise<DeviceTokenRecord | undefined> {
    const item = await this.table.get(DEVICE_TOKEN.key({ platform, token }), { consistent: true });
    return item && DEVICE_TOKEN.fromItem(item);
  }

  /**
   * Stores a device and claims its token in one transaction, guarded by the user's count; removes
   * the evicted device and the token's previous device in the same transaction. `'changed'` when
   * anything moved since the state was read (the caller reads again).
   */
  async register(plan: Registration): Promise<'registered' | 'changed'> {
    const { device, evict, owner, takeFrom } = plan;
    const next = plan.count + 1 - (evict ? 1 : 0);
    const actions: TransactAction[] = [
      {
        Update: {
          Key: keys.deviceCount(device.userId),
          UpdateExpression: 'SET #count = :next, userId = :user, itemType = :type',
          ConditionExpression: countIs(plan.count),
          ExpressionAttributeNames: COUNT,
          ExpressionAttributeValues: {
            ':prev': plan.count,
            ':next': next,
            ':user': device.userId,
            ':type': DEVICE_COUNT.itemType,
          },
        },
      },
      { Put: { Item: DEVICE.toItem(device), ConditionExpression: itemAbsent } },
      {
        Put: {
          Item: DEVICE_TOKEN.toItem(device),
          ...(owner
            ? { ConditionExpression: pointsAt, ExpressionAttributeValues: { ':device': owner.deviceId } }
            : { ConditionExpression: itemAbsent }),
        },
      },
    ];
    if (takeFrom) {
      actions.push(
        { Delete: { Key: keys.device(takeFrom.userId, takeFrom.deviceId), ConditionExpression: itemExists } },
        this.#decrement(takeFrom.userId),
      );
    }
    if (evict) {
      actions.push({
        Delete: { Key: keys.device(evict.userId, evict.deviceId), ConditionExpression: itemExists },
      });
      // A transaction may name an item once: the evicted device's token is the one registered when
      // the TTL deleted its owner item (or the token moved) before it; the Put above replaces it.
      if (DEVICE_TOKEN.key(evict).pk !== DEVICE_TOKEN.key(device).pk) {
        actions.push({
          Delete: {
            // Gone already when the TTL deleted it (the evicted device is then past its TTL too).
            Key: DEVICE_TOKEN.key(evict),
            ConditionExpression: `attribute_not_exists(pk) OR ${pointsAt}`,
            ExpressionAttributeValues: { ':device': evict.deviceId },
          },
        });
      }
    }
    return ifConditionFails(
      this.table.transact(actions).then(() => 'registered' as const),
      () => 'changed' as const,
    );
  }

  /**
   * A registration of a token the caller's device already holds: moves the device's and its owner
   * item's TTL to `expiresAt` and sets `refreshedAt`, in one transaction (the two always expire
   * together). `'changed'` when the device is gone or the owner item no longer names it.
   */
  async refresh(
    device: Pick<DeviceRecord, 'userId' | 'deviceId' | 'platform' | 'token'>,
    refreshedAt: string,
    expiresAt: number,
  ): Promise<'refreshed' | 'changed'> {
    const ttl = { '#ttl': TTL_ATTRIBUTE };
    const refreshed = this.table.transact([
      {
        Update: {
          Key: keys.device(device.userId, device.deviceId),
          UpdateExpression: 'SET refreshedAt = :at, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(pk) AND #token = :token',
          ExpressionAttributeNames: { ...ttl, '#token': 'token' },
          ExpressionAttributeValues: { ':at': refreshedAt, ':ttl': expiresAt, ':token': device.token },
        },
      },
      {
        Update: {
          Key: DEVICE_TOKEN.key(device),
          UpdateExpression: 'SET #ttl = :ttl',
          ConditionExpression: pointsAt,
          ExpressionAttributeNames: ttl,
          ExpressionAttributeValues: { ':ttl': expiresAt, ':device': device.deviceId },
        },
      },
    ]);
    return ifConditionFails(
      refreshed.then(() => 'refreshed' as const),
      () => 'changed' as const,
    );
  }

  /**
   * Sets a user's count to the devices a registration found stored, when DynamoDB's TTL deleted some
   * since (the count is then higher), guarded like a registration: `'changed'` when the count moved
   * meanwhile (the caller reads again either way).
   */
  async reconcileCount(userId: string, from: number, to: number): Promise<'reconciled' | 'changed'> {
    const reconciled = this.table.update({
      Key: keys.deviceCount(userId),
      UpdateExpression: 'SET #count = :next',
      ConditionExpression: countIs(from),
      ExpressionAttributeNames: COUNT,
      ExpressionAttributeValues: { ':prev': from, ':next': to },
    });
    return ifConditionFails(
      reconciled.then(() => 'reconciled' as const),
      () => 'changed' as const,
    );
  }

  /**
   * Removes a device, its token's owner item (when it still names this device) and one from the
   * count, in one transaction. `'gone'` when the device no longer exists. The count is one item per
   * user, so removals of a user's devices at once (stale tokens found by one push) meet: one that
   * another transaction cancelled is sent again (`transactThroughConflicts`), never taken for gone;
   * `'busy'` when contention outlasts the attempts (nothing was removed).
   */
  async remove(
    device: Pick<DeviceRecord, 'userId' | 'deviceId' | 'platform' | 'token'>,
  ): Promise<'removed' | 'gone' | 'busy'> {
    const removed = this.table.transactThroughConflicts([
      { Delete: { Key: keys.device(device.userId, device.deviceId), ConditionExpression: itemExists } },
      {
        Delete: {
          Key: DEVICE_TOKEN.key(device),
          ConditionExpression: `attribute_not_exists(pk) OR ${pointsAt}`,
          ExpressionAttributeValues: { ':device': device.deviceId },
        },
      },
      this.#decrement(device.userId),
    ]);
    return ifConditionFails(
      removed.then(() => 'removed' as const),
      refusedOrBusy('gone' as const),
    );
  }

  /**
   * Gives a device stored before devices had a TTL its TTL, and its token owner the same, once
   * (conditional UpdateItems: the push pipeline, when it first meets the device; device-window.ts).
   */
  startWindow(device: DeviceRecord, expiresAt: number): Promise<'started' | 'unchanged'> {
    return startDeviceWindow(this.table, device, expiresAt);
  }

  /** Whether a user has an open socket, and their devices: one Query (device-reads.ts). */
  pushTargets(userId: string): Promise<PushTargets> {
    return pushTargetsOf(this.table, userId);
  }

  #decrement(userId: string): TransactAction {
    return {
      Update: {
        Key: keys.deviceCount(userId),
        UpdateExpression: 'ADD #count :minusOne',
        ConditionExpression: itemExists,
        ExpressionAttributeNames: COUNT,
        ExpressionAttributeValues: { ':minusOne': -1 },
      },
    };
  }
}

/**
 * Deactivated users (`USER#<id>` / `DEACTIVATED`): the durable mark an administrator's
 * `deactivateUser` leaves and `reactivateUser` removes (lambdas/domain/deactivation.ts). Read by key
 * by the scheduled dispatcher (one GetItem per message going out); the push planner finds it in the
 * Query it makes anyway (devices.ts `pushTargets`: the sort key lies between `CONN#…` and
 * `DEVICE#…`). `$connect` does not read it: `deactivateUser` also marks the user's socket count,
 * which refuses the slot `$connect` claims anyway (socket-count.ts). An account's deletion
 * (`deleteAccount`, `deleteUser`: lambdas/domain/account-deletion.ts) leaves the same mark with
 * `deletedAt`, its tombstone. Every public method is one access pattern (docs/data-model.md).
 */
import { DEACTIVATION, type DeactivationRecord } from './items.ts';
import { keys } from './keys.ts';
import { ifConditionFails, itemAbsent, type TableClient } from './table-client.ts';

export class DeactivationRepository {
  constructor(private readonly table: TableClient) {}

  /** The user's mark, if deactivated (consistent key lookup). */
  async get(userId: string): Promise<DeactivationRecord | undefined> {
    const item = await this.table.get(keys.deactivated(userId), { consistent: true });
    return item && DEACTIVATION.fromItem(item);
  }

  /**
   * Marks the user deactivated (PutItem, only if not marked yet: a repeat keeps the first time and
   * actor). The mark as stored: the new one, or the one found.
   */
  async mark(record: DeactivationRecord): Promise<DeactivationRecord> {
    const put = this.table
      .put({ Item: DEACTIVATION.toItem(record), ConditionExpression: itemAbsent })
      .then(() => record);
    return ifConditionFails(put, async () => (await this.get(record.userId)) ?? record);
  }

  /**
   * Which of `userIds` deleted their account (one consistent BatchGet of their marks, 100 keys a
   * call): createChat and invite refuse them (lambdas/domain/blocking.ts `refuseDeleted`).
   */
  async deletedAmong(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const items = await this.table.batchGet(
      userIds.map((id) => keys.deactivated(id)),
      { consistent: true },
    );
    const marks = items.map((item) => DEACTIVATION.fromItem(item));
    return new Set(marks.filter((m) => m.deletedAt !== undefined).map((m) => m.userId));
  }

  /**
   * Makes the mark the account's tombstone (one UpdateItem): `deletedAt` added to a mark there is,
   * or a mark created with it (`deactivatedAt` the same time, `actorId` who deleted). A repeat keeps
   * every first value; `eraseMessages` is set when this call asks for it, never cleared (the first
   * call that asks decides). The tombstone as stored.
   */
  async markDeleted(record: {
    userId: string;
    deletedAt: string;
    actorId: string;
    eraseMessages: boolean;
  }): Promise<DeactivationRecord> {
    const { eraseMessages, ...mark } = record;
    const item = await this.table.update({
      Key: keys.deactivated(record.userId),
      UpdateExpression:
        'SET #d = if_not_exists(#d, :at), #deactivated = if_not_exists(#deactivated, :at), ' +
        '#actor = if_not_exists(#actor, :actor), #user = :user, #type = :type' +
        (eraseMessages ? ', #erase = :true' : ''),
      ExpressionAttributeNames: {
        '#d': 'deletedAt',
        '#deactivated': 'deactivatedAt',
        '#actor': 'actorId',
        '#user': 'userId',
        '#type': 'itemType',
        ...(eraseMessages ? { '#erase': 'eraseMessages' } : {}),
      },
      ExpressionAttributeValues: {
        ':at': record.deletedAt,
        ':actor': record.actorId,
        ':user': record.userId,
        ':type': DEACTIVATION.itemType,
        ...(eraseMessages ? { ':true': true } : {}),
      },
      ReturnValues: 'ALL_NEW',
    });
    return item
      ? DEACTIVATION.fromItem(item)
      : {
          ...mark,
          deactivatedAt: record.deletedAt,
          ...(eraseMessages ? { eraseMessages: true as const } : {}),
        };
  }

  /**
   * Removes the mark (DeleteItem) unless it is a tombstone (`deletedAt`: the condition keeps it,
   * nothing written). `removed`: there was a mark; `absent`: none; `deleted`: a tombstone, kept.
   */
  async clear(userId: string): Promise<'removed' | 'absent' | 'deleted'> {
    const clear = this.table
      .delete({
        Key: keys.deactivated(userId),
        ConditionExpression: 'attribute_not_exists(deletedAt)',
        ReturnValues: 'ALL_OLD',
      })
      .then((old) => (old !== undefined ? ('removed' as const) : ('absent' as const)));
    return ifConditionFails(clear, () => 'deleted' as const);
  }
}

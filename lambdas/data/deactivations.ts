/**
 * Deactivated users (`USER#<id>` / `DEACTIVATED`): the durable mark an administrator's
 * `deactivateUser` leaves and `reactivateUser` removes (lambdas/domain/deactivation.ts). Read by key
 * by the scheduled dispatcher (one GetItem per message going out); the push planner finds it in the
 * Query it makes anyway (devices.ts `pushTargets`: the sort key lies between `CONN#…` and
 * `DEVICE#…`). `$connect` does not read it: `deactivateUser` also marks the user's socket count,
 * which refuses the slot `$connect` claims anyway (socket-count.ts). Every public method is one
 * access pattern (docs/data-model.md).
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

  /** Removes the mark (DeleteItem); whether there was one. */
  async clear(userId: string): Promise<boolean> {
    const old = await this.table.delete({ Key: keys.deactivated(userId), ReturnValues: 'ALL_OLD' });
    return old !== undefined;
  }
}

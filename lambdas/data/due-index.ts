/**
 * The due index of scheduled messages (`gsi2`: `DUE#<shard>` → due time, keys only) and the sweep's
 * cursor (`SWEEP`/`CURSOR`): what the per-minute sweep reads and moves. Every public method is one
 * access pattern (all of them are listed in docs/data-model.md).
 */
import { SWEEP_CURSOR } from './items.ts';
import { DUE_INDEX, duePk, keys, PREFIX, stripPrefix } from './keys.ts';
import type { DueRef } from './scheduled.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

export class DueIndexRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * The entries of one due-index shard with a due time in [`from`, `to`] (from the start when `from`
   * is not given): Query on `gsi2`, keys only. Only messages still to go out carry these keys.
   */
  async listDue(
    shard: number,
    range: { readonly from?: string | undefined; readonly to: string },
  ): Promise<DueRef[]> {
    const items = await this.table.queryAll({
      IndexName: DUE_INDEX.indexName,
      KeyConditionExpression:
        range.from === undefined ? '#pk = :pk AND #sk <= :to' : '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': DUE_INDEX.partitionKey, '#sk': DUE_INDEX.sortKey },
      ExpressionAttributeValues: {
        ':pk': duePk(shard),
        ':to': range.to,
        ...(range.from === undefined ? {} : { ':from': range.from }),
      },
    });
    return items.map((item) => ({
      userId: stripPrefix(String(item.pk), PREFIX.user),
      scheduledId: stripPrefix(String(item.sk), PREFIX.scheduled),
      sendAt: String(item[DUE_INDEX.sortKey]),
    }));
  }

  /**
   * Moves a stuck message's due-index time to `at`, so that the sweep retries it from there and not
   * at every run (UpdateItem, only while it still carries the due keys). Whether it did.
   */
  async postpone(ref: DueRef, at: string): Promise<boolean> {
    const moved = this.table.update({
      Key: keys.scheduled(ref.userId, ref.scheduledId),
      UpdateExpression: 'SET #sk = :at',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': DUE_INDEX.partitionKey, '#sk': DUE_INDEX.sortKey },
      ExpressionAttributeValues: { ':at': at },
    });
    return ifConditionFails(
      moved.then(() => true),
      () => false,
    );
  }

  /** How far the sweep has enqueued (consistent key lookup on the cursor item). */
  async getSweepCursor(): Promise<string | undefined> {
    const item = await this.table.get(keys.sweepCursor(), { consistent: true });
    return item ? SWEEP_CURSOR.fromItem(item).until : undefined;
  }

  /** Moves the sweep cursor forward to `until` (never back: a concurrent sweep that got further wins). */
  async moveSweepCursor(until: string): Promise<boolean> {
    const moved = this.table.update({
      Key: keys.sweepCursor(),
      UpdateExpression: 'SET #until = :until, itemType = :type',
      ConditionExpression: 'attribute_not_exists(pk) OR #until < :until',
      ExpressionAttributeNames: { '#until': 'until' },
      ExpressionAttributeValues: { ':until': until, ':type': SWEEP_CURSOR.itemType },
    });
    return ifConditionFails(
      moved.then(() => true),
      () => false,
    );
  }
}

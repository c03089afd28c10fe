/**
 * Badge counters (`USER#<id>`/`BADGE`, `count`): the number a user's next push shows on the app's
 * icon (docs/push.md, "Badge"). The push planner adds one per message it pushes to the user
 * (`bump`: one UpdateItem, 1 write unit, no read), so a notification costs the same whatever the
 * number of chats its recipient is in; the count is set to the user's total unread count when they
 * go offline (`set`, from `$disconnect`: lambdas/domain/badge.ts). Every public method is one
 * access pattern (docs/data-model.md).
 */
import { keys } from './keys.ts';
import type { TableClient } from './table-client.ts';

const names = { '#count': 'count', '#countedAt': 'countedAt', '#type': 'itemType' };
const ITEM_TYPE = 'badge';

export class BadgeRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * One more unread message pushed: `ADD count 1` (the item created at 1 when missing), the count
   * after it returned (UpdateItem, `UPDATED_NEW`). Atomic: two pushes at once count two.
   */
  async bump(userId: string): Promise<number> {
    const item = await this.table.update({
      Key: keys.badge(userId),
      UpdateExpression: 'ADD #count :one SET #type = :type',
      ExpressionAttributeNames: { '#count': names['#count'], '#type': names['#type'] },
      ExpressionAttributeValues: { ':one': 1, ':type': ITEM_TYPE },
      ReturnValues: 'UPDATED_NEW',
    });
    return Number(item?.count ?? 1);
  }

  /** The count recounted (UpdateItem `SET`): the user's total unread count at `at`. */
  async set(userId: string, count: number, at: Date): Promise<void> {
    await this.table.update({
      Key: keys.badge(userId),
      UpdateExpression: 'SET #count = :count, #countedAt = :at, #type = :type',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':count': count, ':at': at.toISOString(), ':type': ITEM_TYPE },
    });
  }
}

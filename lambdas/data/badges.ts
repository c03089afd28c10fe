/**
 * Badge counters (`USER#<id>`/`BADGE`, `count`, `countedAt`): the number a user's next push shows on
 * the app's icon (docs/push.md, "Badge"). The push planner adds one per message it pushes to the user
 * (`bump`: one UpdateItem, 1 write unit, no read), so a notification costs the same whatever the
 * number of chats its recipient is in; the count is set to the user's total unread count when they
 * go offline (`set`, from `$disconnect`: lambdas/domain/badge.ts), with the time taken before that
 * recount read anything (`countedAt`), so that a bump leaves out a message the recount counted.
 * Every public method is one access pattern (docs/data-model.md).
 */
import { keys } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

const names = { '#count': 'count', '#countedAt': 'countedAt', '#type': 'itemType' };
const ITEM_TYPE = 'badge';
/** No recount yet, or one that began before the message was allocated (ISO strings sort by time). */
const notCountedBy = 'attribute_not_exists(#countedAt) OR #countedAt < :allocAt';

export class BadgeRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * One more unread message pushed: `ADD count 1` (the item created at 1 when missing), the count
   * after it returned (UpdateItem, `UPDATED_NEW`). Atomic: two pushes at once count two. `allocAt`
   * (epoch ms, when the message's seq allocation was sent): a message allocated at or before the
   * last recount's `countedAt` is in that count already, and adds nothing (the refused update returns
   * the count as it is, `ALL_OLD`: no read). Without it (a push job queued before messages carried
   * it) the message always adds one.
   */
  async bump(userId: string, allocAt?: number): Promise<number> {
    const update = this.table.update({
      Key: keys.badge(userId),
      UpdateExpression: 'ADD #count :one SET #type = :type',
      ...(allocAt === undefined
        ? { ExpressionAttributeNames: { '#count': names['#count'], '#type': names['#type'] } }
        : {
            ConditionExpression: notCountedBy,
            ExpressionAttributeNames: names,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          }),
      ExpressionAttributeValues: {
        ':one': 1,
        ':type': ITEM_TYPE,
        ...(allocAt === undefined ? {} : { ':allocAt': new Date(allocAt).toISOString() }),
      },
      ReturnValues: 'UPDATED_NEW',
    });
    return ifConditionFails(
      update.then((item) => Number(item?.count ?? 1)),
      ({ reasons: [refused] }) => Number(refused?.item?.count ?? 0),
    );
  }

  /**
   * The count recounted (UpdateItem `SET`): the user's total unread count as read from `at` on (the
   * time taken before the recount's first read). Not written over a recount that began later (two
   * sockets closing at once may both recount: the later one's reads are the newer).
   */
  async set(userId: string, count: number, at: Date): Promise<void> {
    const update = this.table.update({
      Key: keys.badge(userId),
      UpdateExpression: 'SET #count = :count, #countedAt = :at, #type = :type',
      ConditionExpression: 'attribute_not_exists(#countedAt) OR #countedAt <= :at',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':count': count, ':at': at.toISOString(), ':type': ITEM_TYPE },
    });
    await ifConditionFails(update, () => undefined);
  }

  /** Deletes the counter (an account's deletion: lambdas/domain/account-deletion.ts); one DeleteItem. */
  async remove(userId: string): Promise<void> {
    await this.table.delete({ Key: keys.badge(userId) });
  }
}

/**
 * The per-user count of blocks (`USER#<id>` / `BLOCKCOUNT`, `count`): the lock of the cap on how many
 * users one user may block. Each block change moves it in its own transaction (blocks.ts), so the
 * count equals the user's block items and concurrent blocks cannot take it past the cap:
 *
 * - a block adds 1 on condition `count < max` (an absent count fails it too: counted first, below);
 * - an unblock takes 1 off on condition that the count exists, and only when its block item did.
 *
 * Users who blocked before the count existed have none: their first block change counts their block
 * items (`countExisting`: one keys-only Query of at most `max` of them, `Select: COUNT`) and puts
 * the count (condition: absent), then applies the change. No block change applies without the
 * count, so none can happen between the Query and the put. A list longer than the cap from before
 * counts as the cap: its owner can block again once unblocks took it below.
 */
import { BLOCK_COUNT } from './items.ts';
import { BLOCK_PREFIX, keys, userPk } from './keys.ts';
import { ifConditionFails, itemAbsent, type TableClient, type TransactAction } from './table-client.ts';

const COUNT = { '#count': 'count' };

/** A block's step of the count: +1 while under `max` (the refused item comes back, to tell why). */
export const countOneMore = (userId: string, max: number): TransactAction => ({
  Update: {
    Key: keys.blockCount(userId),
    UpdateExpression: 'ADD #count :one',
    ConditionExpression: '#count < :max',
    ExpressionAttributeNames: COUNT,
    ExpressionAttributeValues: { ':one': 1, ':max': max },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/** An unblock's step of the count: −1 (the count must exist). */
export const countOneLess = (userId: string): TransactAction => ({
  Update: {
    Key: keys.blockCount(userId),
    UpdateExpression: 'ADD #count :minusOne',
    ConditionExpression: 'attribute_exists(#count)',
    ExpressionAttributeNames: COUNT,
    ExpressionAttributeValues: { ':minusOne': -1 },
  },
});

/** Why the count's step was refused: the user has no count yet, or is at `max`. */
export const refusedCount = (item: Record<string, unknown> | undefined): 'uncounted' | 'full' =>
  item !== undefined && typeof item.count === 'number' ? 'full' : 'uncounted';

/**
 * Counts the block items of a user who has no count yet (at most `max` of them) and stores it
 * unless a count appeared meanwhile (another change of theirs counted first: that one stays).
 */
export async function countExisting(table: TableClient, userId: string, max: number): Promise<void> {
  let counted = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.queryCount({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': BLOCK_PREFIX },
      Limit: max - counted,
      ConsistentRead: true,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    counted += page.count;
    startKey = page.lastKey;
  } while (startKey && counted < max);
  await ifConditionFails(
    table.put({ Item: BLOCK_COUNT.toItem({ userId, count: counted }), ConditionExpression: itemAbsent }),
    () => undefined,
  );
}

/**
 * Retention of a deleted chat (issue 17, item 8): every item left in its partition after `deleteChat`
 * (messages, voids, clientMessageId claims, reactions, report markers, uploads) gets the table's TTL
 * attribute, so DynamoDB deletes it (on AWS within about 48 h of the TTL; TTL deletions are free).
 * One access pattern: Query `CHAT#<chatId>` (keys only), page by page, then one conditional
 * UpdateItem per item (an item already gone is skipped). Cost: the Query's read units (by item size)
 * plus one write per item, rounded up per KB of the item (docs/security.md).
 */
import { mapSettled } from '../shared/concurrency.ts';
import type { Item } from './item.ts';
import { chatPk, TTL_ATTRIBUTE } from './keys.ts';
import { ifConditionFails, itemExists, type TableClient } from './table-client.ts';

/** Updates in flight at once. */
const PARALLEL = 16;

export class RetentionRepository {
  constructor(private readonly table: TableClient) {}

  /** Sets `ttl = expiresAt` (epoch seconds) on every item of the chat's partition; how many. */
  async expireChat(chatId: string, expiresAt: number): Promise<number> {
    let startKey: Item | undefined;
    let count = 0;
    let failed = 0;
    do {
      const { items, lastKey } = await this.table.queryPage({
        KeyConditionExpression: 'pk = :pk',
        ProjectionExpression: 'pk, sk',
        ExpressionAttributeValues: { ':pk': chatPk(chatId) },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      await mapSettled(items, PARALLEL, async (item) => {
        try {
          await ifConditionFails(
            this.table.update({
              Key: { pk: item.pk, sk: item.sk },
              UpdateExpression: 'SET #ttl = :at',
              ConditionExpression: itemExists,
              ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
              ExpressionAttributeValues: { ':at': expiresAt },
            }),
            () => undefined,
          );
        } catch (error) {
          failed++;
          throw error;
        }
      });
      count += items.length;
      startKey = lastKey;
    } while (startKey);
    if (failed > 0) throw new Error(`${failed} items of a deleted chat were not given a TTL`);
    return count;
  }
}

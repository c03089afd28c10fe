/**
 * Retention of a deleted chat (issue 17, item 8): every item left in its partition after `deleteChat`
 * (messages, voids, clientMessageId claims, reactions, report markers, uploads) gets the table's TTL
 * attribute, so DynamoDB deletes it (on AWS within about 48 h of the TTL; TTL deletions are free).
 * One access pattern: Query `CHAT#<chatId>` (keys only), page by page, then one conditional
 * UpdateItem per item (an item already gone is skipped; doing it again sets the same TTL, so a
 * redelivered job is harmless). Cost: the Query's read units (by item size) plus one write per item,
 * rounded up per KB of the item (docs/security.md). The retention worker runs it a page at a time
 * (`expirePage`, lambdas/domain/retention-jobs.ts); `expireChat` runs every page, for `deleteChat`
 * when the retention queue is not there.
 */
import { mapSettled } from '../shared/concurrency.ts';
import { chatPk, TTL_ATTRIBUTE } from './keys.ts';
import { ifConditionFails, itemExists, type TableClient } from './table-client.ts';

/** Updates in flight at once. */
const PARALLEL = 16;

/** Where a partition's next page starts (the Query's LastEvaluatedKey: the table's keys). */
export type RetentionKey = { readonly pk: string; readonly sk: string };

export class RetentionRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Sets `ttl = expiresAt` (epoch seconds) on one page of the chat's partition (at most `limit`
   * keys, after `startKey`): how many items it held, how many updates failed (each is tried; the
   * caller redoes the page), and where the next page starts (none: it was the last).
   */
  async expirePage(
    chatId: string,
    expiresAt: number,
    options: { startKey?: RetentionKey | undefined; limit?: number } = {},
  ): Promise<{ count: number; failed: number; next: RetentionKey | undefined }> {
    const { items, lastKey } = await this.table.queryPage({
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'pk, sk',
      ExpressionAttributeValues: { ':pk': chatPk(chatId) },
      ...(options.limit ? { Limit: options.limit } : {}),
      ...(options.startKey ? { ExclusiveStartKey: { ...options.startKey } } : {}),
    });
    let failed = 0;
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
    const next = lastKey ? { pk: String(lastKey.pk), sk: String(lastKey.sk) } : undefined;
    return { count: items.length, failed, next };
  }

  /** Sets `ttl = expiresAt` (epoch seconds) on every item of the chat's partition; how many. */
  async expireChat(chatId: string, expiresAt: number): Promise<number> {
    let startKey: RetentionKey | undefined;
    let count = 0;
    let failed = 0;
    do {
      const page = await this.expirePage(chatId, expiresAt, { startKey });
      count += page.count;
      failed += page.failed;
      startKey = page.next;
    } while (startKey);
    if (failed > 0) throw new Error(`${failed} items of a deleted chat were not given a TTL`);
    return count;
  }
}

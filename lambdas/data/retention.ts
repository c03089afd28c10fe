/**
 * Retention of a deleted chat (issue 17, item 8): every item left in its partition after `deleteChat`
 * (messages, voids, clientMessageId claims, reactions, report markers, uploads) gets the table's TTL
 * attribute, so DynamoDB deletes it (on AWS within about 48 h of the TTL; TTL deletions are free).
 * One access pattern: Query `CHAT#<chatId>` (keys only), page by page, then one conditional
 * UpdateItem per item (an item already gone is skipped; doing it again sets the same TTL, so a
 * redelivered job is harmless). Cost: the Query's read units (by item size) plus one write per item,
 * rounded up per KB of the item (docs/security.md). The retention worker runs it a page at a time
 * (`expirePage`, lambdas/domain/retention-jobs.ts); `expireChat` runs pages while its caller's time
 * allows, for `deleteChat` and a last leave when the retention queue is not there or refuses the job.
 *
 * The upload records of a page (`UPLOAD#<uploadId>`) name the chat's media objects: the caller's
 * `beforeExpiring` (deleting those objects) runs with their ids after the Query and before any
 * update, so while the objects are not gone their records do not get the TTL, and a page whose
 * hook failed is done again. (An upload never sent carries its own TTL from the start, and its
 * object the lifecycle rule's pending tag: each goes by itself anyway.)
 *
 * A full chat (docs/data-model.md, "Size of a chat") refuses the TTL update of an item that has no
 * TTL yet (it adds an attribute: `ChatFull`): that item is deleted outright instead (a DeleteItem,
 * the same write units; its page's objects are gone already).
 */
import { mapSettled } from '../shared/concurrency.ts';
import { isChatFull } from '../shared/errors.ts';
import { chatPk, PREFIX, SK, TTL_ATTRIBUTE } from './keys.ts';
import { ifConditionFails, itemExists, type TableClient } from './table-client.ts';

/** Updates in flight at once. */
const PARALLEL = 16;

/** Where a partition's next page starts (the Query's LastEvaluatedKey: the table's keys). */
export type RetentionKey = { readonly pk: string; readonly sk: string };

/** How much of a partition `expireChat` may do (lambdas/domain/chat-deletion.ts bounds it by time). */
export interface ExpireChatBounds {
  /** Keys per page (the Query's Limit); none: up to 1 MB of keys. */
  readonly limit?: number | undefined;
  /** Asked before each page: whether it may start. @default always */
  readonly mayStartPage?: (() => boolean) | undefined;
}

/** What `expireChat` did: its items, whether it reached the partition's end, and where the rest starts. */
export interface ExpiredChat {
  readonly count: number;
  readonly done: boolean;
  /** Where the rest starts (when not `done`); none: from the start. */
  readonly next: RetentionKey | undefined;
}

/** What one page of a partition does before its items get their TTL. */
export type BeforeExpiring = (uploadIds: readonly string[]) => Promise<void>;

export interface RetentionPageOptions {
  readonly startKey?: RetentionKey | undefined;
  /** Keys per page (the Query's Limit); none: up to 1 MB of keys. */
  readonly limit?: number;
  /**
   * Called with the page's upload ids (only when it has some) before any update; when it throws,
   * `expirePage` throws and no item of the page got its TTL.
   */
  readonly beforeExpiring?: BeforeExpiring | undefined;
  /** Leaves the chat's `META` without a TTL (`expireChat`: a deletion it may leave unfinished keeps it). */
  readonly keepMeta?: boolean;
}

/** The upload ids among a page's keys (`UPLOAD#<uploadId>`). */
export const uploadIdsOf = (keys: readonly { readonly sk?: unknown }[]): string[] =>
  keys.flatMap((k) =>
    typeof k.sk === 'string' && k.sk.startsWith(PREFIX.upload) ? [k.sk.slice(PREFIX.upload.length)] : [],
  );

export class RetentionRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Sets `ttl = expiresAt` (epoch seconds) on one page of the chat's partition (at most `limit`
   * keys, after `startKey`), after `beforeExpiring` had the page's upload ids: how many items it
   * held, how many updates failed (each is tried; the caller redoes the page), and where the next
   * page starts (none: it was the last).
   */
  async expirePage(
    chatId: string,
    expiresAt: number,
    options: RetentionPageOptions = {},
  ): Promise<{ count: number; failed: number; next: RetentionKey | undefined }> {
    const { items: keys, lastKey } = await this.table.queryPage({
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'pk, sk',
      ExpressionAttributeValues: { ':pk': chatPk(chatId) },
      ...(options.limit ? { Limit: options.limit } : {}),
      ...(options.startKey ? { ExclusiveStartKey: { ...options.startKey } } : {}),
    });
    const items = options.keepMeta ? keys.filter((k) => k.sk !== SK.chat) : keys;
    const uploadIds = uploadIdsOf(items);
    if (uploadIds.length > 0 && options.beforeExpiring) await options.beforeExpiring(uploadIds);
    let failed = 0;
    await mapSettled(items, PARALLEL, async (item) => {
      const key = { pk: item.pk, sk: item.sk };
      try {
        await ifConditionFails(
          this.table.update({
            Key: key,
            UpdateExpression: 'SET #ttl = :at',
            ConditionExpression: itemExists,
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':at': expiresAt },
          }),
          () => undefined,
        ).catch(async (error: unknown) => {
          if (!isChatFull(error)) throw error;
          await this.table.delete({ Key: key }); // a full chat: the item goes now, not at its TTL
        });
      } catch (error) {
        failed++;
        throw error;
      }
    });
    const next = lastKey ? { pk: String(lastKey.pk), sk: String(lastKey.sk) } : undefined;
    return { count: items.length, failed, next };
  }

  /**
   * Sets `ttl = expiresAt` (epoch seconds) on the chat's partition, page after page (`limit` keys
   * each), each after its `beforeExpiring`, while `mayStartPage` allows another page (asked before
   * each, the first included; always, without it). How many items it expired, whether it reached the
   * partition's end (`done`), and where the rest starts when it did not (`next`; none: from the start,
   * no page was begun). `META` keeps no TTL: a deletion whose partition it leaves unfinished keeps
   * its marked `META` for the finish job (lambdas/domain/chat-deletion.ts), which deletes it when
   * done. Throws at the first page whose hook failed, or at the end when an update did.
   */
  async expireChat(
    chatId: string,
    expiresAt: number,
    beforeExpiring?: BeforeExpiring,
    bounds: ExpireChatBounds = {},
  ): Promise<ExpiredChat> {
    let startKey: RetentionKey | undefined;
    let count = 0;
    let failed = 0;
    let done = false;
    while (bounds.mayStartPage?.() ?? true) {
      const page = await this.expirePage(chatId, expiresAt, {
        startKey,
        beforeExpiring,
        keepMeta: true,
        ...(bounds.limit ? { limit: bounds.limit } : {}),
      });
      count += page.count;
      failed += page.failed;
      startKey = page.next;
      if (!startKey) {
        done = true;
        break;
      }
    }
    if (failed > 0) throw new Error(`${failed} items of a deleted chat were not given a TTL`);
    return { count, done, next: done ? undefined : startKey };
  }
}

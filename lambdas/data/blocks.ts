/**
 * Blocks (`USER#<blocker>` / `BLOCK#<blocked>`): who a user has blocked, in the blocker's own
 * partition, so that nothing about a block is stored where the blocked user's requests read. Every
 * public method is one access pattern (all of them are listed in docs/data-model.md):
 *
 * - `isBlocked`: a consistent key lookup (1 read unit): the send path of direct chats, createChat.
 * - `blockersAmong`: a BatchGet of the candidates' items about one user (invite, groups, presence).
 * - `listPage` / `listAll`: a Query on the blocker's `BLOCK#` range, in user id order.
 */
import { BLOCK, type BlockRecord } from './items.ts';
import { BLOCK_PREFIX, blockKey, stripPrefix, userPk } from './keys.ts';
import { ifConditionFails, itemAbsent, type TableClient } from './table-client.ts';

/** Blocking twice changes nothing: the outcome says which it was. */
export type BlockOutcome = 'blocked' | 'already-blocked';

export class BlockRepository {
  constructor(private readonly table: TableClient) {}

  /** Records the block unless it exists (a conditional Put: the first `createdAt` stays). */
  async block(record: BlockRecord): Promise<BlockOutcome> {
    const put = this.table.put({ Item: BLOCK.toItem(record), ConditionExpression: itemAbsent });
    return ifConditionFails(
      put.then(() => 'blocked' as const),
      () => 'already-blocked' as const,
    );
  }

  /** Removes the block (a DeleteItem; removing one that is not there is harmless). */
  async unblock(blockerId: string, blockedId: string): Promise<void> {
    await this.table.delete({ Key: blockKey(blockerId, blockedId) });
  }

  /** Whether `blockerId` has blocked `blockedId` (consistent key lookup, keys only). */
  async isBlocked(blockerId: string, blockedId: string): Promise<boolean> {
    const item = await this.table.get(blockKey(blockerId, blockedId), { consistent: true, projection: 'pk' });
    return item !== undefined;
  }

  /**
   * Which of `blockerIds` have blocked `blockedId` (BatchGet, 100 keys a call; `consistent`
   * where a refusal must follow a block at once).
   */
  async blockersAmong(
    blockerIds: readonly string[],
    blockedId: string,
    options: { consistent?: boolean } = {},
  ): Promise<Set<string>> {
    if (blockerIds.length === 0) return new Set();
    const items = await this.table.batchGet(
      blockerIds.map((id) => blockKey(id, blockedId)),
      options,
    );
    return new Set(items.map((item) => BLOCK.fromItem(item).blockerId));
  }

  /**
   * One page of the users `blockerId` has blocked, in user id order, starting after `after`; `next`
   * is the last id of a full page when more may follow (a Query with `Limit`, keys only).
   */
  async listPage(
    blockerId: string,
    limit: number,
    after?: string,
  ): Promise<{ userIds: string[]; next: string | undefined }> {
    const { items, lastKey } = await this.table.queryPage({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': userPk(blockerId), ':prefix': BLOCK_PREFIX },
      ProjectionExpression: 'sk',
      Limit: limit,
      ...(after !== undefined ? { ExclusiveStartKey: blockKey(blockerId, after) } : {}),
      ConsistentRead: true,
    });
    const userIds = items.map((item) => stripPrefix(String(item.sk), BLOCK_PREFIX));
    return { userIds, next: lastKey ? userIds.at(-1) : undefined };
  }

  /** Every user `blockerId` has blocked (Query on the `BLOCK#` range, keys only, all pages). */
  async listAll(blockerId: string): Promise<string[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': userPk(blockerId), ':prefix': BLOCK_PREFIX },
      ProjectionExpression: 'sk',
    });
    return items.map((item) => stripPrefix(String(item.sk), BLOCK_PREFIX));
  }
}

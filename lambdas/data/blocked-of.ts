/**
 * `blocks.blockedOf` (blocks.ts): which of some candidates one user has blocked, read so that it costs
 * about what looking the candidates up would, never the whole of a long list: presence events,
 * `typing` and receipts leave those users out (lambdas/domain/blocked-audience.ts,
 * presence-privacy.ts). Its cost is measured in test/security/blocked-of-cost.test.ts.
 */
import { maxBlocksPerUser } from '../shared/user-caps.ts';
import { BLOCK_PREFIX, keys, stripPrefix, userPk } from './keys.ts';
import type { TableClient } from './table-client.ts';

/**
 * Items `blockedOf`'s first Query reads (the count and the last 19 blocks), and the block items it
 * reads on per candidate left before it looks them up instead: about 4 KB of them (~200 bytes
 * each), one 0.5-unit read, what a candidate's lookup costs.
 */
export const BLOCKS_LISTED_PER_PEER = 20;

/** Whether `a` sorts before `b` as DynamoDB orders string keys (by their UTF-8 bytes). */
const sortsBefore = (a: string, b: string): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;

/**
 * Which of `candidateIds` `blockerId` has blocked (eventually consistent), at most about 0.5 read
 * unit plus 0.5 a candidate, never the whole list however long it grew (lists from before the cap
 * may be far longer than it), and no read without a candidate:
 *
 * 1. one Query, descending, of the blocker's `BLOCKCOUNT` and their last `BLOCK#` items: at most
 *    `BLOCKS_LISTED_PER_PEER` items, what one 0.5-unit read holds. The whole list (a short one, the
 *    common case: DynamoDB returns no next key): done, 0.5.
 * 2. Else the candidates at or above the lowest id read are answered (the list is in id order);
 *    the rest of the list is read on only when the count says it holds at most
 *    `BLOCKS_LISTED_PER_PEER` items per candidate left (no dearer than their lookups, cheaper for
 *    many: presence's direct peers), and never more items than the count said;
 * 3. else (no count: a list from before it; or one at `maxBlocksPerUser()`, which stopped there
 *    and says nothing of a longer list from before the cap) the blocker's items
 *    about the candidates left, by key (BatchGet, 0.5 each).
 */
export async function blockedOf(
  table: TableClient,
  blockedAmong: (ids: readonly string[]) => Promise<Set<string>>,
  blockerId: string,
  candidateIds: readonly string[],
): Promise<Set<string>> {
  const candidates = [...new Set(candidateIds)].filter((id) => id !== blockerId);
  if (candidates.length === 0) return new Set();
  const wanted = new Set(candidates);
  const found = new Set<string>();
  let count: number | undefined;
  let lowest: string | undefined;
  let listed = 0;
  const take = (items: readonly Record<string, unknown>[]) => {
    for (const item of items) {
      const sk = String(item.sk);
      if (sk === keys.blockCount(blockerId).sk)
        count = typeof item.count === 'number' ? item.count : undefined;
      if (!sk.startsWith(BLOCK_PREFIX)) continue;
      const id = stripPrefix(sk, BLOCK_PREFIX);
      if (wanted.has(id)) found.add(id);
      lowest = id;
      listed += 1;
    }
  };
  const page = (limit: number, startKey?: Record<string, unknown>) =>
    table.queryPage({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :count',
      ExpressionAttributeValues: {
        ':pk': userPk(blockerId),
        ':first': BLOCK_PREFIX,
        ':count': keys.blockCount(blockerId).sk,
      },
      ExpressionAttributeNames: { '#count': 'count' },
      ProjectionExpression: 'sk, #count',
      ScanIndexForward: false,
      Limit: limit,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
  const first = await page(BLOCKS_LISTED_PER_PEER);
  take(first.items);
  // A count at the cap stopped there (a list from before it may be longer): no count at all.
  const known = count !== undefined && count < maxBlocksPerUser() ? count : undefined;
  // The page is the whole list only when DynamoDB says so: a count may be short of the list (one
  // stopped at the cap, then unblocks took from it), so it never ends the read.
  let startKey = first.lastKey;
  // Read in descending id order: only the candidates below the lowest id read are still open.
  const open = () =>
    lowest === undefined ? candidates : candidates.filter((id) => sortsBefore(id, lowest ?? ''));
  if (startKey && known !== undefined && known - listed <= open().length * BLOCKS_LISTED_PER_PEER) {
    // One more than the count says are left: the end of the list is then read, not a full page.
    let left = known - listed + 1;
    while (startKey && left > 0) {
      const next = await page(left, startKey);
      take(next.items);
      left -= next.items.length;
      startKey = next.lastKey;
    }
  }
  const rest = startKey ? open() : [];
  for (const id of await blockedAmong(rest)) found.add(id);
  return found;
}

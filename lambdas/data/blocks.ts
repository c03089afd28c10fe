/**
 * Blocks (`USER#<blocker>` / `BLOCK#<blocked>`): who a user has blocked, in the blocker's own
 * partition, and mirrored on the `META` item of the pair's direct chat (`blockedSenders`), where the
 * seq allocation refuses a blocked sender without a read. The mirror is never shown to anyone (views
 * list their fields) and changes only with the block, in one transaction. Every public method is one
 * access pattern (all of them are listed in docs/data-model.md):
 *
 * - `block` / `unblock`: a transaction of the block item, the blocker's count of blocks (the cap's
 *   lock: block-count.ts), the mirror on the direct chat's `META` (when the pair has a live one) and
 *   a check that the pair's pointer still names that chat, so a direct chat created meanwhile (which
 *   checks the block items in its own transaction) and a block change are never both applied
 *   against an old view of the other. `countBlocks`: the count of a user who has none yet.
 * - `isBlocked`: a consistent key lookup (1 read unit): createChat, and sends in direct chats whose
 *   `META` predates the mirror.
 * - `blockersAmong`: a BatchGet of the candidates' items about one user (invite, groups, presence).
 * - `blockedAmong`: a BatchGet of one user's items about the candidates (presence events).
 * - `pairBlocks`: a BatchGet of a pair's two items (a new direct chat's mirror, `mirror`).
 * - `listPage` / `listUpTo`: a Query on the blocker's `BLOCK#` range, in user id order.
 * - `blockedOf`: which of some candidates one user has blocked: 0.5 read unit for a short list, at
 *   most about 0.5 + 0.5 a candidate whatever its length (a first Query page with the count, then
 *   the rest of the list or the candidates' items): whom presence events, typing and receipts leave
 *   out.
 * - `mirror`: brings an older direct chat's `META` up to date with the block items (once per chat).
 */
import { isChatFull } from '../shared/errors.ts';
import { maxBlocksPerUser } from '../shared/user-caps.ts';
import { countExisting, countOneLess, countOneMore, refusedCount } from './block-count.ts';
import { BLOCK, type BlockRecord, DIRECT_PAIR } from './items.ts';
import { BLOCK_PREFIX, blockKey, keys, stripPrefix, userPk } from './keys.ts';
import {
  ifConditionFails,
  itemAbsent,
  itemExists,
  type TableClient,
  type TransactAction,
} from './table-client.ts';

/**
 * Blocking twice changes nothing: the outcome says which it was. `full`: the blocker is at the cap
 * (nothing written); `uncounted`: the blocker has no count of blocks yet (nothing written: count
 * them, `countBlocks`, and block again).
 */
export type BlockOutcome = 'blocked' | 'already-blocked' | 'full' | 'uncounted';

/**
 * The pair's direct chat as the caller read it before a block change: its pointer's chatId (none:
 * the pair never had a chat) and whether that chat's `META` still exists.
 */
export interface PairView {
  readonly chatId: string | undefined;
  readonly live: boolean;
}

/**
 * A block change found the pair other than read (nothing written): its pointer names another chat,
 * or another transaction held one of its items (`pair-changed`: read it again), or its chat's `META`
 * is gone (`chat-gone`: retry as not live).
 */
export type PairChanged = 'pair-changed' | 'chat-gone';

const pairAsRead = (blockerId: string, blockedId: string, pair: PairView): TransactAction => ({
  ConditionCheck: {
    Key: DIRECT_PAIR.key({ a: blockerId, b: blockedId }),
    ...(pair.chatId === undefined
      ? { ConditionExpression: itemAbsent }
      : { ConditionExpression: 'chatId = :chat', ExpressionAttributeValues: { ':chat': pair.chatId } }),
  },
});

const mirrorUpdate = (chatId: string, op: 'ADD' | 'DELETE', blockedId: string): TransactAction => ({
  Update: {
    Key: keys.chat(chatId),
    UpdateExpression: `${op} blockedSenders :who`,
    ConditionExpression: itemExists,
    ExpressionAttributeValues: { ':who': new Set([blockedId]) },
  },
});

/** The chat's blocks no longer mirrored (`blocksMirrored` removed): its sends read the block items. */
const unmirror = (chatId: string): TransactAction => ({
  Update: {
    Key: keys.chat(chatId),
    UpdateExpression: 'REMOVE blocksMirrored',
    ConditionExpression: itemExists,
  },
});

/** The block items of a pair, as read: what `mirror` writes onto the chat, and checks in one go. */
export interface PairBlocks {
  readonly a: string;
  readonly b: string;
  /** `a` has blocked `b`. */
  readonly aBlocksB: boolean;
  /** `b` has blocked `a`. */
  readonly bBlocksA: boolean;
}

/** ConditionChecks that the pair's block items are still as read (a direct chat's creation, `mirror`). */
export function blocksAsRead(p: PairBlocks): TransactAction[] {
  const check = (blocker: string, blocked: string, present: boolean): TransactAction => ({
    ConditionCheck: {
      Key: blockKey(blocker, blocked),
      ConditionExpression: present ? itemExists : itemAbsent,
    },
  });
  return [check(p.a, p.b, p.aBlocksB), check(p.b, p.a, p.bBlocksA)];
}

/** The mirror a direct chat's `META` holds for these block items (undefined: nobody is blocked). */
export function blockedSendersOf(p: PairBlocks): Set<string> | undefined {
  const blocked = [...(p.aBlocksB ? [p.b] : []), ...(p.bBlocksA ? [p.a] : [])];
  return blocked.length > 0 ? new Set(blocked) : undefined;
}

/** Another transaction held one of the items (DynamoDB's SDK does not retry a cancelled transaction). */
export const isConflict = (reason: { readonly code: string }): boolean =>
  reason.code === 'TransactionConflict';

/**
 * Items `blockedOf`'s first Query reads (the count and the last 19 blocks), and the block items it
 * reads on per candidate left before it looks them up instead: about 4 KB of them (~200 bytes
 * each), one 0.5-unit read, what a candidate's lookup costs.
 */
export const BLOCKS_LISTED_PER_PEER = 20;

/** Whether `a` sorts before `b` as DynamoDB orders string keys (by their UTF-8 bytes). */
const sortsBefore = (a: string, b: string): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;

export class BlockRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Records the block unless it exists (the first `createdAt` stays) and counts it, with its mirror
   * on the pair's live direct chat, while the blocker has fewer than `max` blocks (`full`: nothing
   * written); `pair-changed` when the pair's chat is no longer as read (nothing written).
   */
  async block(record: BlockRecord, pair: PairView, max: number): Promise<BlockOutcome | PairChanged> {
    const { blockerId, blockedId } = record;
    const actions: TransactAction[] = [
      { Put: { Item: BLOCK.toItem(record), ConditionExpression: itemAbsent } },
      countOneMore(blockerId, max),
      pairAsRead(blockerId, blockedId, pair),
    ];
    if (pair.chatId === undefined || !pair.live) return this.#change(actions, 'blocked', 'already-blocked');
    const chatId = pair.chatId;
    const mirrored = [...actions, mirrorUpdate(chatId, 'ADD', blockedId)];
    return this.#change(mirrored, 'blocked', 'already-blocked').catch((error: unknown) => {
      if (!isChatFull(error)) throw error;
      // A full chat refuses a longer mirror: the block goes with the mirror dropped instead (shorter),
      // so sends and changes in the chat read the block items (block-mirror.ts), as in an older chat.
      return this.#change([...actions, unmirror(chatId)], 'blocked', 'already-blocked');
    });
  }

  /**
   * Removes the block, its count and its mirror; removing one that is not there writes nothing and
   * is harmless (`unblocked` all the same). `uncounted`: the blocker has no count yet (nothing written).
   */
  async unblock(
    blockerId: string,
    blockedId: string,
    pair: PairView,
  ): Promise<'unblocked' | 'uncounted' | PairChanged> {
    const actions: TransactAction[] = [
      { Delete: { Key: blockKey(blockerId, blockedId), ConditionExpression: itemExists } },
      countOneLess(blockerId),
      pairAsRead(blockerId, blockedId, pair),
      ...(pair.chatId !== undefined && pair.live ? [mirrorUpdate(pair.chatId, 'DELETE', blockedId)] : []),
    ];
    const outcome = await this.#change(actions, 'unblocked', 'unblocked');
    return outcome === 'full' ? 'uncounted' : outcome; // its step has no cap: refused, it is absent
  }

  async #change<T extends string>(
    actions: TransactAction[],
    done: T,
    exists: T,
  ): Promise<T | PairChanged | 'full' | 'uncounted'> {
    return ifConditionFails(
      this.table.transact(actions).then(() => done),
      ({ reasons, error }) => {
        const [item, count, pointer, meta] = reasons;
        if (pointer?.conditionFailed || reasons.some(isConflict)) return 'pair-changed' as const;
        if (meta?.conditionFailed) return 'chat-gone' as const;
        if (item?.conditionFailed) return exists;
        if (count?.conditionFailed) return refusedCount(count.item);
        throw error;
      },
    );
  }

  /** Counts the blocks of a user who has no count yet (at most `max`: block-count.ts). */
  async countBlocks(userId: string, max: number): Promise<void> {
    await countExisting(this.table, userId, max);
  }

  /**
   * Writes the mirror onto a direct chat's `META` that predates it (`blocksMirrored` absent), checking
   * in the same transaction that the block items are as read and that the pair's pointer names this
   * chat (block changes keep only that chat's mirror). False when anything changed meanwhile (a
   * block change, the chat mirrored, gone or replaced): nothing was written, and the chat keeps its
   * read check.
   */
  async mirror(chatId: string, blocks: PairBlocks): Promise<boolean> {
    const blocked = blockedSendersOf(blocks);
    const update: TransactAction = {
      Update: {
        Key: keys.chat(chatId),
        UpdateExpression: blocked
          ? 'SET blocksMirrored = :true, blockedSenders = :blocked'
          : 'SET blocksMirrored = :true REMOVE blockedSenders',
        ConditionExpression: `${itemExists} AND attribute_not_exists(blocksMirrored)`,
        ExpressionAttributeValues: { ':true': true, ...(blocked ? { ':blocked': blocked } : {}) },
      },
    };
    return ifConditionFails(
      this.table
        .transact([...blocksAsRead(blocks), pairAsRead(blocks.a, blocks.b, { chatId, live: true }), update])
        .then(() => true),
      () => false,
    );
  }

  /** Both of a pair's block items (one consistent BatchGet of two keys). */
  async pairBlocks(a: string, b: string): Promise<PairBlocks> {
    const items = await this.table.batchGet([blockKey(a, b), blockKey(b, a)], { consistent: true });
    const blockers = new Set(items.map((item) => BLOCK.fromItem(item).blockerId));
    return { a, b, aBlocksB: blockers.has(a), bBlocksA: blockers.has(b) };
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

  /**
   * Which of `blockedIds` `blockerId` has blocked (BatchGet of the blocker's items about them,
   * eventually consistent, 100 keys a call).
   */
  async blockedAmong(blockerId: string, blockedIds: readonly string[]): Promise<Set<string>> {
    if (blockedIds.length === 0) return new Set();
    const items = await this.table.batchGet(blockedIds.map((id) => blockKey(blockerId, id)));
    return new Set(items.map((item) => BLOCK.fromItem(item).blockedId));
  }

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
  async blockedOf(blockerId: string, candidateIds: readonly string[]): Promise<Set<string>> {
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
      this.table.queryPage({
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
    for (const id of await this.blockedAmong(blockerId, rest)) found.add(id);
    return found;
  }

  /**
   * The users `blockerId` has blocked if they are at most `max` (Query on the `BLOCK#` range,
   * eventually consistent, that stops after `max` items); undefined when there are more.
   */
  async listUpTo(blockerId: string, max: number): Promise<string[] | undefined> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.table.queryPage({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': userPk(blockerId), ':prefix': BLOCK_PREFIX },
        ProjectionExpression: 'sk',
        Limit: max + 1 - ids.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      ids.push(...page.items.map((item) => stripPrefix(String(item.sk), BLOCK_PREFIX)));
      startKey = page.lastKey;
    } while (startKey && ids.length <= max);
    return ids.length > max ? undefined : ids;
  }
}

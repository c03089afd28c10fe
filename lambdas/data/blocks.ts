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
 * - `blockedOf` (blocked-of.ts): which of some candidates one user has blocked, about 0.5 + 0.5 a
 *   candidate at most: whom presence events, typing and receipts leave out.
 * - `mirror`: brings an older direct chat's `META` up to date with the block items (once per chat).
 */
import { isChatFull } from '../shared/errors.ts';
import { countExisting, countOneLess, countOneMore, refusedCount } from './block-count.ts';
import { blockedOf } from './blocked-of.ts';
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

  /** Which of `blockedIds` `blockerId` has blocked (BatchGet of their items, eventually consistent). */
  async blockedAmong(blockerId: string, blockedIds: readonly string[]): Promise<Set<string>> {
    if (blockedIds.length === 0) return new Set();
    const items = await this.table.batchGet(blockedIds.map((id) => blockKey(blockerId, id)));
    return new Set(items.map((item) => BLOCK.fromItem(item).blockedId));
  }

  /**
   * Which of `candidateIds` `blockerId` has blocked (eventually consistent): about 0.5 read unit
   * plus 0.5 a candidate, never the whole of a long list (blocked-of.ts).
   */
  blockedOf(blockerId: string, candidateIds: readonly string[]): Promise<Set<string>> {
    return blockedOf(this.table, (ids) => this.blockedAmong(blockerId, ids), blockerId, candidateIds);
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

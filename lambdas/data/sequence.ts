/**
 * The chat's counters on its `META` item: seqs and versions are allocated by one atomic update each
 * (no read-check-write, so no conflicts under contention), and seqs whose message will never be
 * stored are filled with voids. Every public method is one access pattern (docs/data-model.md).
 */
import { CHAT, slotOf, VOID } from './items.ts';
import { keys } from './keys.ts';
import type {
  SeqAllocation,
  SeqAllocationInput,
  VersionAllocation,
  VoidOutcome,
} from './sequence-outcomes.ts';
import {
  ifConditionFails,
  itemAbsent,
  itemExists,
  type RequestOptions,
  type TableClient,
} from './table-client.ts';

export type {
  SeqAllocation,
  SeqAllocationInput,
  VersionAllocation,
  VoidOutcome,
} from './sequence-outcomes.ts';

const chatExists = itemExists;
/** `deleteChat` marks the chat first: from then on nothing is allocated in it (it is gone). */
const chatLive = `${itemExists} AND attribute_not_exists(deletedAt)`;

/** A transaction held `META`: DynamoDB refused a plain update of it, writing nothing. */
const isHeld = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'TransactionConflictException';
/** DynamoDB refuses `SET sentSeq.#sender` when the map itself is missing. */
const isMissingMap = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'ValidationException' &&
  /document path/i.test(String((error as { message?: string }).message));
/** `memberVer` as read; a chat written before versions existed has none (read as 0). */
const membersAsRead = (memberVer: number) =>
  memberVer === 0
    ? `${chatLive} AND (attribute_not_exists(memberVer) OR memberVer = :memberVer)`
    : `${chatLive} AND memberVer = :memberVer`;

export class SequenceRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Allocates the chat's next seq and version in one UpdateItem on `META`:
   * `lastSeq + 1`, `lastVer + 1`, `lastAllocAt`, `lastActivityAt` and, in a direct chat, the
   * sender's `sentSeq` (unless `keepsReadCursor`) (DynamoDB evaluates every operand on the old item, so `lastSeq + 1` is the
   * new seq everywhere). The condition requires the chat and the members' version as read and, in a
   * direct chat, a sender the other member has not blocked (`blockedSenders`, kept with the blocks),
   * and a chat not marked for deletion (`chat-gone`): a refused allocation writes nothing and returns
   * the chat as it is (`ALL_OLD`).
   */
  async allocate(
    chatId: string,
    input: SeqAllocationInput,
    options?: RequestOptions,
  ): Promise<SeqAllocation> {
    try {
      return await this.#allocate(chatId, input, options);
    } catch (error) {
      if (isHeld(error)) return { status: 'held' };
      if (input.sentBy === undefined || input.keepsReadCursor || !isMissingMap(error)) throw error;
      // A direct chat stored before `sentSeq` existed: add the empty map once, then allocate.
      await ifConditionFails(
        this.table.update({
          Key: keys.chat(chatId),
          UpdateExpression: 'SET sentSeq = :empty',
          ConditionExpression: `${chatExists} AND attribute_not_exists(sentSeq)`,
          ExpressionAttributeValues: { ':empty': {} },
        }),
        () => undefined,
      );
      return this.#allocate(chatId, input, options);
    }
  }

  async #allocate(
    chatId: string,
    input: SeqAllocationInput,
    options?: RequestOptions,
  ): Promise<SeqAllocation> {
    const movesSent = input.sentBy !== undefined && input.keepsReadCursor !== true;
    const sets = [
      'lastSeq = lastSeq + :one',
      'lastVer = if_not_exists(lastVer, :zero) + :one',
      'lastAllocAt = :sentAt',
      'lastActivityAt = :at',
      ...(movesSent ? ['sentSeq.#sender = lastSeq + :one'] : []),
    ];
    const allocated = this.table.update(
      {
        Key: keys.chat(chatId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: [
          membersAsRead(input.memberVer),
          ...(input.sentBy !== undefined ? ['NOT contains(blockedSenders, :sender)'] : []),
          ...(input.sentBy !== undefined && input.trustsMirror ? ['blocksMirrored = :true'] : []),
        ].join(' AND '),
        ...(movesSent ? { ExpressionAttributeNames: { '#sender': input.sentBy ?? '' } } : {}),
        ExpressionAttributeValues: {
          ':one': 1,
          ':zero': 0,
          ':sentAt': input.sentAt,
          ':at': input.at,
          ':memberVer': input.memberVer,
          ...(input.sentBy !== undefined ? { ':sender': input.sentBy } : {}),
          ...(input.sentBy !== undefined && input.trustsMirror ? { ':true': true } : {}),
        },
        ReturnValues: 'UPDATED_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
      options,
    );
    return ifConditionFails(
      allocated.then(
        (item): SeqAllocation => ({
          status: 'allocated',
          seq: Number(item?.lastSeq),
          ver: Number(item?.lastVer),
        }),
      ),
      ({ reasons: [refused] }): SeqAllocation => {
        if (!refused?.item) return { status: 'chat-gone' };
        const chat = CHAT.fromItem(refused.item);
        if (chat.deletedAt !== undefined) return { status: 'chat-gone' };
        if (input.sentBy !== undefined && chat.blockedSenders?.has(input.sentBy))
          return { status: 'blocked' };
        if (input.sentBy !== undefined && input.trustsMirror && !chat.blocksMirrored)
          return { status: 'unmirrored', chat };
        return { status: 'members-changed', chat };
      },
    );
  }

  /**
   * Allocates the chat's next version (`lastVer + 1`, `lastAllocAt`) for a change that is applied
   * by a second write (an edit, a deletion, a reaction, a membership change). A chat marked for
   * deletion is gone (`chat-gone`), as in `allocate`. `changedBy` (an edit or a reaction in a direct
   * chat) also requires a member the other has not blocked (`blockedSenders`, as `allocate` does for
   * a sender): `blocked` otherwise, told apart by the refused write's `ALL_OLD` item. `trustsMirror`
   * (the change read no block item, the `META` it read said the blocks are mirrored) also requires
   * `blocksMirrored`, as `allocate` does: `unmirrored` when the mirror is gone (a repair removed it).
   * `held`: a transaction held `META` (nothing written), as in `allocate`.
   */
  async allocateVersion(
    chatId: string,
    sentAt: number,
    options?: RequestOptions,
    changedBy?: string,
    trustsMirror = false,
  ): Promise<VersionAllocation> {
    const guarded = changedBy !== undefined;
    const mirrored = guarded && trustsMirror;
    const allocated = this.table.update(
      {
        Key: keys.chat(chatId),
        UpdateExpression: 'SET lastVer = if_not_exists(lastVer, :zero) + :one, lastAllocAt = :sentAt',
        ConditionExpression: [
          chatLive,
          ...(guarded ? ['NOT contains(blockedSenders, :by)'] : []),
          ...(mirrored ? ['blocksMirrored = :true'] : []),
        ].join(' AND '),
        ExpressionAttributeValues: {
          ':one': 1,
          ':zero': 0,
          ':sentAt': sentAt,
          ...(guarded ? { ':by': changedBy } : {}),
          ...(mirrored ? { ':true': true } : {}),
        },
        ReturnValues: 'UPDATED_NEW',
        ...(guarded ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
      },
      options,
    );
    const answered = allocated.catch((error: unknown) => {
      if (isHeld(error)) return 'held' as const;
      throw error;
    });
    return ifConditionFails(
      answered.then(
        (item): VersionAllocation =>
          item === 'held' ? { status: 'held' } : { status: 'allocated', ver: Number(item?.lastVer) },
      ),
      ({ reasons: [refused] }): VersionAllocation => {
        const chat = refused?.item && CHAT.fromItem(refused.item);
        if (!chat || chat.deletedAt !== undefined || changedBy === undefined) return { status: 'chat-gone' };
        if (chat.blockedSenders?.has(changedBy)) return { status: 'blocked' };
        return mirrored && !chat.blocksMirrored ? { status: 'unmirrored' } : { status: 'chat-gone' };
      },
    );
  }

  /**
   * Gives back the seq a send allocated and could not store (a full chat refused its put: no void
   * can be stored there either): `lastSeq` back to `seq - 1`, and with `sentBy` that sender's
   * `sentSeq` too (the allocation moved it to `seq`), only while `lastSeq` and `lastVer` are still
   * the allocation's (nothing allocated since: no later seq was taken). `lastVer` stays: a version,
   * once taken, is never used again (a reader may have seen it). Whether it was given back (false:
   * something moved, and the seq stays empty; readers take it for a void).
   */
  async giveBack(
    chatId: string,
    allocated: { readonly seq: number; readonly ver: number; readonly sentBy?: string | undefined },
    options?: RequestOptions,
  ): Promise<boolean> {
    const { seq, ver, sentBy } = allocated;
    return ifConditionFails(
      this.table
        .update(
          {
            Key: keys.chat(chatId),
            UpdateExpression:
              sentBy === undefined ? 'SET lastSeq = :prev' : 'SET lastSeq = :prev, sentSeq.#sender = :prev',
            ConditionExpression: 'lastSeq = :seq AND lastVer = :ver',
            ...(sentBy === undefined ? {} : { ExpressionAttributeNames: { '#sender': sentBy } }),
            ExpressionAttributeValues: { ':prev': seq - 1, ':seq': seq, ':ver': ver },
          },
          options,
        )
        .then(() => true),
      () => false,
    );
  }

  /**
   * Fills a seq with a void, in one transaction with `ADD voidSeqs` on `META` (so unread counts
   * never see a void they do not subtract). Conditional: when the seq is already taken the item
   * found there comes back (`occupied`), and nothing is written. Rare path (a writer that gave up,
   * a reader that found an old gap), so the transaction's double price does not matter.
   */
  async fillVoid(chatId: string, seq: number, allocAt: number): Promise<VoidOutcome> {
    const filled = this.table.transact([
      {
        Put: {
          Item: VOID.toItem({ chatId, seq, void: true, allocAt }),
          ConditionExpression: itemAbsent,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Update: {
          Key: keys.chat(chatId),
          UpdateExpression: 'ADD voidSeqs :seq',
          ConditionExpression: chatExists,
          ExpressionAttributeValues: { ':seq': new Set([seq]) },
        },
      },
    ]);
    return ifConditionFails(
      filled.then((): VoidOutcome => ({ status: 'voided' })),
      (failure): VoidOutcome => {
        const [slot, head] = failure.reasons;
        if (slot?.conditionFailed && slot.item) return { status: 'occupied', slot: slotOf(slot.item) };
        if (head?.conditionFailed) return { status: 'chat-gone' };
        throw failure.error; // a transaction conflict: the caller retries
      },
    );
  }

  /**
   * Hook for the event pipeline (not called yet): when deleted messages' tombstones expire, `sync`
   * from a version below `ver` can no longer be answered and must say `reset`. Forward only.
   */
  async raiseMinSyncVer(chatId: string, ver: number): Promise<void> {
    await ifConditionFails(
      this.table.update({
        Key: keys.chat(chatId),
        UpdateExpression: 'SET minSyncVer = :ver',
        ConditionExpression: `${chatExists} AND (attribute_not_exists(minSyncVer) OR minSyncVer < :ver)`,
        ExpressionAttributeValues: { ':ver': ver },
      }),
      () => undefined,
    );
  }
}

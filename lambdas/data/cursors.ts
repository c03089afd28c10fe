/**
 * Read and delivery cursors: a member's `lastReadSeq` and `lastDeliveredSeq`, kept on the membership
 * item (never in the membership index, so moving a cursor writes one item), with `sentAhead` (the
 * member's own messages that went out above their read cursor: scheduled ones). Every public method
 * is one access pattern (all of them are listed in docs/data-model.md).
 */
import { MEMBER } from './items.ts';
import { keys } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

export type CursorOutcome =
  | { readonly status: 'moved'; readonly lastReadSeq: number }
  /** The cursor was already at or past the seq; `lastReadSeq` is where it is. */
  | { readonly status: 'unchanged'; readonly lastReadSeq: number }
  | { readonly status: 'not-member' };

export type DeliveryOutcome =
  | { readonly status: 'moved'; readonly lastDeliveredSeq: number }
  /** The cursor was already at or past the seq; `lastDeliveredSeq` is where it is. */
  | { readonly status: 'unchanged'; readonly lastDeliveredSeq: number }
  | { readonly status: 'not-member' };

const memberBehind = 'attribute_exists(pk) AND lastReadSeq < :seq';
/** Memberships written before delivery receipts have no cursor: it reads as 0. */
const deliveryBehind =
  'attribute_exists(pk) AND (lastDeliveredSeq < :seq OR (attribute_not_exists(lastDeliveredSeq) AND :seq > :zero))';

export class ReadCursorRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Moves a member's read cursor forward only. When it does not move, the membership as it is comes
   * back with the refused write (`ALL_OLD`), so the current cursor needs no second read.
   */
  async advance(chatId: string, userId: string, seq: number): Promise<CursorOutcome> {
    const moved = this.table.update({
      Key: keys.member(chatId, userId),
      UpdateExpression: 'SET lastReadSeq = :seq',
      ConditionExpression: memberBehind,
      ExpressionAttributeValues: { ':seq': seq },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    return ifConditionFails(
      moved.then((): CursorOutcome => ({ status: 'moved', lastReadSeq: seq })),
      ({ reasons: [refused] }): CursorOutcome =>
        refused?.item
          ? { status: 'unchanged', lastReadSeq: MEMBER.fromItem(refused.item).lastReadSeq }
          : { status: 'not-member' },
    );
  }

  /**
   * Records a message of the member's own that went out above their read cursor without moving it (a
   * scheduled message: its author has not read what came before it): never unread for them
   * (`sentAhead`, which unread counts leave out). One UpdateItem (`ADD`, so a repeat changes
   * nothing), none when the cursor is already at or past it; a second one only when the set holds
   * seqs the cursor has passed since (they count for nothing): removed, so the set holds no more than
   * the member's own scheduled messages still above their cursor.
   */
  async noteSentAhead(chatId: string, userId: string, seq: number): Promise<void> {
    const key = keys.member(chatId, userId);
    const added = this.table.update({
      Key: key,
      UpdateExpression: 'ADD sentAhead :seqs',
      ConditionExpression: memberBehind,
      ExpressionAttributeValues: { ':seq': seq, ':seqs': new Set([seq]) },
      ReturnValues: 'ALL_NEW',
    });
    const item = await ifConditionFails(added, () => undefined);
    if (!item) return; // not a member, or the cursor is at or past it already
    const { lastReadSeq, sentAhead } = MEMBER.fromItem(item);
    const passed = [...(sentAhead ?? [])].filter((s) => s <= lastReadSeq);
    if (passed.length === 0) return;
    await this.table.update({
      Key: key,
      UpdateExpression: 'DELETE sentAhead :passed',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':passed': new Set(passed) },
    });
  }

  /**
   * A member's read cursor as stored, read consistently (key lookup of the membership); undefined
   * when they are not a member. For an answer that must not lag behind another socket's move.
   */
  async lastReadSeq(chatId: string, userId: string): Promise<number | undefined> {
    const item = await this.table.get(keys.member(chatId, userId), {
      consistent: true,
      projection: 'pk, lastReadSeq',
    });
    return item ? Number(item.lastReadSeq ?? 0) : undefined;
  }

  /**
   * Moves a member's delivery cursor forward only (one UpdateItem, no read: the condition is the
   * membership check). When it does not move, the membership comes back with the refused write.
   */
  async markDelivered(chatId: string, userId: string, seq: number): Promise<DeliveryOutcome> {
    const moved = this.table.update({
      Key: keys.member(chatId, userId),
      UpdateExpression: 'SET lastDeliveredSeq = :seq',
      ConditionExpression: deliveryBehind,
      ExpressionAttributeValues: { ':seq': seq, ':zero': 0 },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    return ifConditionFails(
      moved.then((): DeliveryOutcome => ({ status: 'moved', lastDeliveredSeq: seq })),
      ({ reasons: [refused] }): DeliveryOutcome =>
        refused?.item
          ? { status: 'unchanged', lastDeliveredSeq: MEMBER.fromItem(refused.item).lastDeliveredSeq }
          : { status: 'not-member' },
    );
  }
}

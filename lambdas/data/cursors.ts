/**
 * Read cursors: a member's `lastReadSeq`, kept on the membership item (never in the membership
 * index, so moving a cursor writes one item). Every public method is one access pattern (all of
 * them are listed in docs/data-model.md).
 */
import { MEMBER } from './items.ts';
import { keys } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

export type CursorOutcome =
  | { readonly status: 'moved'; readonly lastReadSeq: number }
  /** The cursor was already at or past the seq; `lastReadSeq` is where it is. */
  | { readonly status: 'unchanged'; readonly lastReadSeq: number }
  | { readonly status: 'not-member' };

const memberBehind = 'attribute_exists(pk) AND lastReadSeq < :seq';

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
}

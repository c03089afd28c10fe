/**
 * A user's open-socket count (issue 17, item 1: the per-user socket cap): `LIMIT#<userId>` /
 * `SOCKETS`, `count` and `rev` (bumped by every change, so a repair cannot overwrite a change it did
 * not see). `$connect` claims a slot (1 conditional write: `count < cap`); the delete that removes
 * the connection item releases it (1 write): `$disconnect`'s, or a 410 cleanup's (fan-out, presence
 * probe, the recount: lambdas/fanout/directory.ts), whichever came first (`ALL_OLD` tells). Items
 * that end unseen (expired by TTL, a release that failed) leave the count too high; when a claim is
 * refused the domain recounts the open connection items and repairs the count (`repair`), so drift
 * never locks a user out. `claimedAt` (the last claim) keeps a repair from miscounting a socket whose
 * `$connect` has claimed but not yet stored it. A delete and its release are not one transaction (a
 * transaction here would make plain claims of the same item fail with `TransactionConflict`): a
 * repair listing between the two counts that socket out twice (docs/security.md).
 *
 * `deactivatedAt` (an administrator's `deactivateUser`, until `reactivateUser`; the durable mark is
 * `USER#<id>` / `DEACTIVATED`, deactivations.ts) makes every claim fail: `$connect` refuses the user
 * with the write it makes anyway, and tells the refusal from a full cap by the item it returns.
 */
import { keys } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

export type SocketClaim =
  | { readonly claimed: true }
  /** The user is deactivated: no slot, whatever the count. */
  | { readonly claimed: false; readonly deactivated: true }
  /** The cap is full. `claimedAt`: epoch seconds of the last slot taken (0 when unknown). */
  | {
      readonly claimed: false;
      readonly deactivated?: false;
      readonly count: number;
      readonly rev: number;
      readonly claimedAt: number;
    };

const names = { '#c': 'count', '#r': 'rev' };

export class SocketCountRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Takes one slot if fewer than `cap` are taken and the user is not deactivated; otherwise which
   * (`ALL_OLD` of the refused write, free): deactivated, or the stored count and its revision.
   */
  async claim(userId: string, cap: number, nowSeconds: number): Promise<SocketClaim> {
    return ifConditionFails(
      this.table
        .update({
          Key: keys.socketCount(userId),
          UpdateExpression: 'ADD #c :one, #r :one SET claimedAt = :now',
          ConditionExpression: '(attribute_not_exists(#c) OR #c < :cap) AND attribute_not_exists(#d)',
          ExpressionAttributeNames: { ...names, '#d': 'deactivatedAt' },
          ExpressionAttributeValues: { ':one': 1, ':cap': cap, ':now': nowSeconds },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
        .then(() => ({ claimed: true }) as const),
      (failure) => {
        const old = failure.reasons[0]?.item;
        if (old?.deactivatedAt !== undefined) return { claimed: false, deactivated: true } as const;
        return {
          claimed: false,
          count: Number(old?.count ?? 0),
          rev: Number(old?.rev ?? 0),
          claimedAt: Number(old?.claimedAt ?? 0),
        } as const;
      },
    );
  }

  /** Gives one slot back (never below 0). */
  async release(userId: string): Promise<void> {
    await ifConditionFails(
      this.table
        .update({
          Key: keys.socketCount(userId),
          UpdateExpression: 'ADD #c :minus, #r :one',
          ConditionExpression: '#c > :zero',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':minus': -1, ':one': 1, ':zero': 0 },
        })
        .then(() => undefined),
      () => undefined,
    );
  }

  /** Sets the count to `actual` if nothing changed it since revision `rev`. Whether it did. */
  async repair(userId: string, rev: number, actual: number): Promise<boolean> {
    return ifConditionFails(
      this.table
        .update({
          Key: keys.socketCount(userId),
          UpdateExpression: 'SET #c = :actual, #r = #r + :one',
          ConditionExpression: '#r = :rev',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':actual': actual, ':rev': rev, ':one': 1 },
        })
        .then(() => true),
      () => false,
    );
  }

  /**
   * Refuses the user's claims from now on (`deactivateUser`): sets `deactivatedAt` (a repeat keeps
   * the first), creating the item if the user never connected. Count and revision are untouched.
   */
  async markDeactivated(userId: string, deactivatedAt: string): Promise<void> {
    await this.table.update({
      Key: keys.socketCount(userId),
      UpdateExpression: 'SET #d = if_not_exists(#d, :at)',
      ExpressionAttributeNames: { '#d': 'deactivatedAt' },
      ExpressionAttributeValues: { ':at': deactivatedAt },
    });
  }

  /** Lets the user claim again (`reactivateUser`): removes `deactivatedAt`, if set (never creates the item). */
  async clearDeactivated(userId: string): Promise<void> {
    await ifConditionFails(
      this.table
        .update({
          Key: keys.socketCount(userId),
          UpdateExpression: 'REMOVE #d',
          ConditionExpression: 'attribute_exists(#d)',
          ExpressionAttributeNames: { '#d': 'deactivatedAt' },
        })
        .then(() => undefined),
      () => undefined,
    );
  }
}

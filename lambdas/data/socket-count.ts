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
 */
import { keys } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

export type SocketClaim =
  | { readonly claimed: true }
  /** `claimedAt`: epoch seconds of the last slot taken (0 when unknown). */
  | { readonly claimed: false; readonly count: number; readonly rev: number; readonly claimedAt: number };

const names = { '#c': 'count', '#r': 'rev' };

export class SocketCountRepository {
  constructor(private readonly table: TableClient) {}

  /** Takes one slot if fewer than `cap` are taken; otherwise the stored count and its revision. */
  async claim(userId: string, cap: number, nowSeconds: number): Promise<SocketClaim> {
    return ifConditionFails(
      this.table
        .update({
          Key: keys.socketCount(userId),
          UpdateExpression: 'ADD #c :one, #r :one SET claimedAt = :now',
          ConditionExpression: 'attribute_not_exists(#c) OR #c < :cap',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':one': 1, ':cap': cap, ':now': nowSeconds },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
        .then(() => ({ claimed: true }) as const),
      (failure) => {
        const old = failure.reasons[0]?.item;
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
}

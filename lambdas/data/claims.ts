/**
 * clientMessageId claims (`CMID#<senderId>#<clientMessageId>` in the chat partition): a send with a
 * clientMessageId claims it before any seq is allocated, so identical sends racing in parallel
 * allocate once. The claim never records the seq: the message it stored is found through the
 * client-id index (`messages.findByClientId`), which is written with the message itself, so a
 * writer that dies between storing and answering leaves nothing half-done. Every public method is
 * one access pattern (docs/data-model.md).
 */
import { CLIENT_MESSAGE_CLAIM, type ClaimRecord, type ClaimRef } from './items.ts';
import { keys } from './keys.ts';
import { ifConditionFails, itemAbsent, type TableClient } from './table-client.ts';

export type ClaimOutcome =
  | { readonly status: 'claimed' }
  /** Someone claimed it before (the claim as it is, from the refused write). */
  | { readonly status: 'taken'; readonly claim: ClaimRecord };

/** `token` may be a reserved word: always through `#token`. */
const heldBy = '#token = :token';

const claimKey = (ref: ClaimRef) => keys.clientMessage(ref.chatId, ref.senderId, ref.clientMessageId);

export class ClaimRepository {
  constructor(private readonly table: TableClient) {}

  /** Claims a clientMessageId (PutItem, condition: absent; the existing claim on refusal). */
  async claim(ref: ClaimRef, claim: ClaimRecord): Promise<ClaimOutcome> {
    const put = this.table.put({
      Item: CLIENT_MESSAGE_CLAIM.toItem({ ...ref, ...claim }),
      ConditionExpression: itemAbsent,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    return ifConditionFails(
      put.then((): ClaimOutcome => ({ status: 'claimed' })),
      ({ reasons: [refused] }): ClaimOutcome =>
        refused?.item
          ? { status: 'taken', claim: CLIENT_MESSAGE_CLAIM.fromItem(refused.item) }
          : { status: 'taken', claim: { claimedAt: 0, token: '' } },
    );
  }

  /** The claim as it is (consistent GetItem), or undefined when released. */
  async get(ref: ClaimRef): Promise<ClaimRecord | undefined> {
    const item = await this.table.get(claimKey(ref), { consistent: true });
    return item && CLIENT_MESSAGE_CLAIM.fromItem(item);
  }

  /**
   * Takes over a claim whose holder missed its deadline (UpdateItem, condition: still held by the
   * old token). Whether this caller now holds it.
   */
  async takeOver(ref: ClaimRef, old: ClaimRecord, next: ClaimRecord): Promise<boolean> {
    const updated = this.table.update({
      Key: claimKey(ref),
      UpdateExpression: 'SET claimedAt = :claimedAt, #token = :next',
      ConditionExpression: `attribute_exists(pk) AND ${heldBy}`,
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':claimedAt': next.claimedAt, ':next': next.token, ':token': old.token },
    });
    return ifConditionFails(
      updated.then(() => true),
      () => false,
    );
  }

  /**
   * Notes that a duplicate posts the claim's stored message again (UpdateItem `SET announcedAt`,
   * condition: the claim exists and was never noted). Whether this caller noted it: exactly one of
   * any number of racing duplicates does, once (lambdas/domain/announce.ts).
   */
  async noteAnnounced(ref: ClaimRef, at: number): Promise<boolean> {
    const updated = this.table.update({
      Key: claimKey(ref),
      UpdateExpression: 'SET announcedAt = :at',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(announcedAt)',
      ExpressionAttributeValues: { ':at': at },
    });
    return ifConditionFails(
      updated.then(() => true),
      () => false,
    );
  }

  /**
   * Releases a claim this caller holds and under which nothing was stored (DeleteItem, condition:
   * the caller's token): a refused or failed send leaves no claim behind, and a retry proceeds at once.
   */
  async release(ref: ClaimRef, token: string): Promise<void> {
    await ifConditionFails(
      this.table.delete({
        Key: claimKey(ref),
        ConditionExpression: heldBy,
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':token': token },
      }),
      () => undefined,
    );
  }
}

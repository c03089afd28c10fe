/**
 * Group keys (`USER#<creator>` / `CCID#<clientChatId>`): the group a creator's clientChatId names,
 * so that the group of a createChat (or of an invite into a direct chat) is created once per key,
 * however often the request is repeated or raced.
 *
 * - A group that fits in one transaction (the key, the members and `META`: up to 98 members, 97
 *   besides the creator) writes its key there: the key's conditional put is the claim, and the
 *   group exists whole or not at all.
 * - A bigger group claims its key first (a conditional put holding the group's name, members and
 *   creation time, `pending`), then writes the members (batched), then `META` together with the
 *   key without those (one transaction, `META` conditional on absent). A retry that finds the key
 *   still pending completes that same group with the same items (`complete`), after the creation's
 *   own writes can no longer land (the claim went stale and was taken over, as clientMessageId
 *   claims are); whoever writes `META` first made the group.
 * - A refused write that finds the key naming this call's own chatId is this call's own write, sent
 *   again after its answer was lost (the SDK retries): the one transaction made the group; a
 *   claim still pending at this call's `claimedAt` is still this call's to complete.
 * - The completion's `META` transaction requires the key exactly as its writer claimed it (pending,
 *   by its `claimedAt`): a claim taken over, or abandoned by its creation's safety-net job (`abandon`,
 *   lambdas/domain/safety-net-jobs.ts, which then deletes the memberships), writes no `META`, so
 *   that the job and a completion never both win.
 *
 * A key is never deleted here: it names its group (a group deleted since is not made again) until
 * TTL removes it, `GROUP_KEY_TTL_SECONDS` after its last claim (its `ttl` is derived from
 * `claimedAt` on every put: items-groups.ts); an abandoned key names a group that was never made,
 * and a new creation may claim it again. Every public method is one access pattern
 * (docs/data-model.md). The key is put whole, conditionally, but for `abandon` (an UpdateItem: the
 * retention worker's grants).
 */

import { createdInSteps } from './group-steps.ts';
import {
  CHAT,
  type ChatRecord,
  GROUP_KEY,
  type GroupKeyRecord,
  type GroupKeyRef,
  MEMBER,
  type MemberRecord,
} from './items.ts';
import { keys } from './keys.ts';
import {
  conditionFailed,
  ifConditionFails,
  itemAbsent,
  type RequestOptions,
  type TableClient,
} from './table-client.ts';

export type GroupKeyOutcome =
  /** This call's write made the group. */
  | { readonly status: 'created' }
  /** The key was claimed before (the key as it is, from the refused write). */
  | { readonly status: 'taken'; readonly key: GroupKeyRecord }
  /** `META` was written by another call (a retry that completed it), or the claim was lost since. */
  | { readonly status: 'exists' };

/** The key still holds this pending creation (and so `META` was not written under it). */
const stillPending = 'attribute_exists(pk) AND #pending = :true AND chatId = :chatId';

/**
 * A claim's condition: the key is free, never claimed or abandoned (`replaces`: the chatId of the
 * abandoned key as read, whose group was never made).
 */
const keyFree = (replaces: string | undefined) =>
  replaces === undefined
    ? { ConditionExpression: itemAbsent }
    : {
        ConditionExpression: `${itemAbsent} OR (abandoned = :true AND chatId = :abandoned)`,
        ExpressionAttributeValues: { ':true': true, ':abandoned': replaces },
      };

export class GroupKeyRepository {
  constructor(private readonly table: TableClient) {}

  /** The key as it is (consistent GetItem), or undefined when never claimed. */
  async get(ref: GroupKeyRef): Promise<GroupKeyRecord | undefined> {
    const item = await this.table.get(GROUP_KEY.key(ref), { consistent: true });
    return item && GROUP_KEY.fromItem(item);
  }

  /**
   * Creates the group `chat` with `members` (the creator first) under the key `ref`: one
   * transaction when the key, the members and `META` fit in one, else claim, members, then `META`.
   * `replaces`: the chatId of the abandoned key read under `ref`, which this creation claims again.
   */
  async create(
    ref: GroupKeyRef,
    chat: ChatRecord,
    members: readonly MemberRecord[],
    claimedAt: number,
    options?: RequestOptions & { readonly replaces?: string },
  ): Promise<GroupKeyOutcome> {
    const memberItems = members.map((m) => MEMBER.toItem(m));
    const free = keyFree(options?.replaces);
    if (!createdInSteps(memberItems.length, true)) {
      const key = GROUP_KEY.toItem({ ...ref, chatId: chat.chatId, claimedAt });
      const created = this.table
        .transactThroughConflicts([
          {
            Put: {
              Item: key,
              ...free,
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          ...memberItems.map((Item) => ({ Put: { Item } })),
          { Put: { Item: CHAT.toItem(chat), ConditionExpression: itemAbsent } },
        ])
        .then((): GroupKeyOutcome => ({ status: 'created' }));
      return ifConditionFails(created, (failure): GroupKeyOutcome => {
        const [refused] = failure.reasons;
        if (!refused?.conditionFailed || !refused.item) throw failure.error;
        const key = GROUP_KEY.fromItem(refused.item);
        // Our own transaction, landed and sent again (its answer was lost): the group is ours, whole.
        if (key.chatId === chat.chatId) return { status: 'created' };
        return { status: 'taken', key };
      });
    }
    const others = members.filter((m) => m.userId !== chat.ownerId).map((m) => m.userId);
    const pending: GroupKeyRecord = {
      chatId: chat.chatId,
      claimedAt,
      pending: true,
      createdAt: chat.createdAt,
      ...(chat.name !== null ? { name: chat.name } : {}),
      memberIds: new Set(others),
    };
    const claim = this.table
      .put(
        {
          Item: GROUP_KEY.toItem({ ...ref, ...pending }),
          ...free,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        options,
      )
      .then(() => undefined);
    const taken = await ifConditionFails(claim, ({ reasons: [refused], error }) => {
      if (!refused?.item) throw error;
      const key = GROUP_KEY.fromItem(refused.item);
      // Our own claim, landed and sent again (its answer was lost): still ours while untouched.
      const ours = key.chatId === chat.chatId && key.pending === true && key.claimedAt === claimedAt;
      return ours ? undefined : ({ status: 'taken', key } as const);
    });
    if (taken) return taken;
    return this.complete(ref, pending, chat, members, options);
  }

  /**
   * Takes over a pending key whose creation missed its deadline (PutItem, condition: the key as
   * read, by its `claimedAt`). Whether this caller now holds it.
   */
  async takeOver(ref: GroupKeyRef, old: GroupKeyRecord, claimedAt: number): Promise<boolean> {
    const put = this.table.put({
      Item: GROUP_KEY.toItem({ ...ref, ...old, claimedAt }),
      ConditionExpression: `${stillPending} AND claimedAt = :old`,
      ExpressionAttributeNames: { '#pending': 'pending' },
      ExpressionAttributeValues: { ':true': true, ':chatId': old.chatId, ':old': old.claimedAt },
    });
    return ifConditionFails(
      put.then(() => true),
      () => false,
    );
  }

  /**
   * The safety-net job of the creation claimed at `claimedAt` (UpdateItem): marks the key abandoned
   * while it still holds that claim, pending (or already abandoned: the job delivered again), so
   * that no completion writes `META` from then on. Whether it is abandoned under that claim: false
   * when the group was made (`META` written) or the key was taken over since (that claimant's own
   * job looks after it).
   */
  async abandon(ref: GroupKeyRef, chatId: string, claimedAt: number): Promise<boolean> {
    const update = this.table.update({
      Key: GROUP_KEY.key(ref),
      UpdateExpression: 'SET abandoned = :true REMOVE #pending, memberIds',
      ConditionExpression:
        'attribute_exists(pk) AND chatId = :chatId AND claimedAt = :at AND (#pending = :true OR abandoned = :true)',
      ExpressionAttributeNames: { '#pending': 'pending' },
      ExpressionAttributeValues: { ':true': true, ':chatId': chatId, ':at': claimedAt },
    });
    return ifConditionFails(
      update.then(() => true),
      () => false,
    );
  }

  /**
   * Writes a pending group's members (BatchWriteItem: the same items however often written; the
   * memberships of those `dropped` deleted, should the first creator have written them), then its
   * `META` with the key no longer pending (one transaction, `META` conditional on absent, the key on
   * its claim as made: pending, by `claimedAt`, so neither taken over nor abandoned since). The
   * claimant passes the signal of its claim's deadline: once another request may take the key over
   * (and complete the group, after which members may leave), nothing of this call is sent any more,
   * so a late batch never puts back a membership removed since.
   */
  async complete(
    ref: GroupKeyRef,
    key: GroupKeyRecord,
    chat: ChatRecord,
    members: readonly MemberRecord[],
    options?: RequestOptions & {
      /** Left out of the group since the key was claimed: their memberships, if written, go. */
      readonly dropped?: readonly string[];
    },
  ): Promise<GroupKeyOutcome> {
    const puts = members.map((m) => ({ PutRequest: { Item: MEMBER.toItem(m) } }));
    const deletes = (options?.dropped ?? []).map((userId) => ({
      DeleteRequest: { Key: keys.member(chat.chatId, userId) },
    }));
    await this.table.batchWrite([...puts, ...deletes], options);
    const done = this.table
      .transactThroughConflicts(
        [
          { Put: { Item: CHAT.toItem(chat), ConditionExpression: itemAbsent } },
          {
            Put: {
              Item: GROUP_KEY.toItem({ ...ref, chatId: key.chatId, claimedAt: key.claimedAt }),
              ConditionExpression: `${stillPending} AND claimedAt = :claimedAt`,
              ExpressionAttributeNames: { '#pending': 'pending' },
              ExpressionAttributeValues: {
                ':true': true,
                ':chatId': chat.chatId,
                ':claimedAt': key.claimedAt,
              },
            },
          },
        ],
        options,
      )
      .then((): GroupKeyOutcome => ({ status: 'created' }));
    return ifConditionFails(done, (failure): GroupKeyOutcome => {
      if (!conditionFailed(failure)) throw failure.error;
      return { status: 'exists' };
    });
  }
}

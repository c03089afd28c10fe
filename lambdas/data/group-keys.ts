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
 *
 * A key is never deleted here: it names its group (a group deleted since is not made again) until
 * TTL removes it, `GROUP_KEY_TTL_SECONDS` after its last claim (its `ttl` is derived from
 * `claimedAt` on every put: items-groups.ts). Every public method is one access pattern
 * (docs/data-model.md). No UpdateItem: the key is only ever put whole, conditionally.
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
  /** The group's `META` was written by another call (a retry that completed it). */
  | { readonly status: 'exists' };

/** The key still holds this pending creation (and so `META` was not written under it). */
const stillPending = 'attribute_exists(pk) AND #pending = :true AND chatId = :chatId';

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
   */
  async create(
    ref: GroupKeyRef,
    chat: ChatRecord,
    members: readonly MemberRecord[],
    claimedAt: number,
    options?: RequestOptions,
  ): Promise<GroupKeyOutcome> {
    const memberItems = members.map((m) => MEMBER.toItem(m));
    if (!createdInSteps(memberItems.length, true)) {
      const key = GROUP_KEY.toItem({ ...ref, chatId: chat.chatId, claimedAt });
      const created = this.table
        .transactThroughConflicts([
          {
            Put: {
              Item: key,
              ConditionExpression: itemAbsent,
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
          ConditionExpression: itemAbsent,
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
   * Writes a pending group's members (BatchWriteItem: the same items however often written; the
   * memberships of those `dropped` deleted, should the first creator have written them), then its
   * `META` with the key no longer pending (one transaction, `META` conditional on absent). The
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
              ConditionExpression: stillPending,
              ExpressionAttributeNames: { '#pending': 'pending' },
              ExpressionAttributeValues: { ':true': true, ':chatId': chat.chatId },
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

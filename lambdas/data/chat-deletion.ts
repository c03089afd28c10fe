/**
 * Deleting a chat's memberships and `META` (`ChatRepository`, chats.ts), excluding any concurrent
 * invite, in four steps that the domain runs in order (lambdas/domain/chat-deletion.ts), with its own
 * steps between: the mark; every membership but the owner's (the members read by the domain, and told,
 * before); the owner's membership and a direct chat's pair pointer (while it names this chat) in one
 * transaction that requires `META` (with its owner); then, once the chat's retention is in hand,
 * `META` alone. After the mark each step may run again, and even at once with itself (an owner's
 * retry, the deletion's finish job): what is gone stays gone, and the transaction tells when `META`
 * was gone already.
 */
import { type ChatRecord, DIRECT_PAIR, type MemberRecord } from './items.ts';
import { keys } from './keys.ts';
import {
  ifConditionFails,
  itemAbsent,
  itemExists,
  MAX_TRANSACTION_ITEMS,
  type TableClient,
  type TransactAction,
} from './table-client.ts';

const ownerUnchanged = 'ownerId = :owner';
const pairAbsentOrThisChat = 'attribute_not_exists(pk) OR chatId = :chat';

/**
 * Sets `deletedAt` on `META` (kept if set: a retry keeps the first mark), guarded by the owner read:
 * whether it is marked, false when the chat is gone or has another owner. The same update removes
 * `lastActivityAt` (14 + 24 bytes, more than `deletedAt`'s 9 + 24: both ISO times), which nothing
 * reads of a marked chat (every reader takes it for gone, and no allocation writes it again: they
 * require it unmarked): the mark never grows `META`, so a full chat (docs/data-model.md, "Size of a
 * chat") can be deleted too.
 */
export function markChatDeleted(table: TableClient, chat: ChatRecord, deletedAt: string): Promise<boolean> {
  return ifConditionFails(
    table
      .update({
        Key: keys.chat(chat.chatId),
        UpdateExpression: 'SET deletedAt = if_not_exists(deletedAt, :at) REMOVE lastActivityAt',
        ConditionExpression: `${itemExists} AND ${ownerUnchanged}`,
        ExpressionAttributeValues: { ':at': deletedAt, ':owner': chat.ownerId },
      })
      .then(() => true),
    () => false,
  );
}

/**
 * Deletes every membership of `members` (read after the mark: no one joins from then on, so this is
 * all of them) but the owner's, batched.
 */
export async function deleteMembersButOwner(
  table: TableClient,
  chat: ChatRecord,
  members: readonly MemberRecord[],
): Promise<void> {
  const others = members.filter((m) => m.userId !== chat.ownerId);
  await table.batchWrite(others.map((m) => ({ DeleteRequest: { Key: keys.member(chat.chatId, m.userId) } })));
}

/**
 * The owner's membership, with a direct chat's pair pointer while it names this chat, in one
 * transaction that requires `META` with its owner (who cannot change after the mark: a leave's
 * condition refuses a marked chat). `META` stays (`deleteChatMeta` goes after the retention job).
 * `'gone'`: `META` was gone already (another run of the deletion finished it, retention included).
 */
export async function deleteOwnerAndPointer(
  table: TableClient,
  chat: ChatRecord,
  members: readonly MemberRecord[],
): Promise<'deleted' | 'gone'> {
  const actions: TransactAction[] = [
    { Delete: { Key: keys.member(chat.chatId, chat.ownerId) } },
    {
      ConditionCheck: {
        Key: keys.chat(chat.chatId),
        ConditionExpression: ownerUnchanged,
        ExpressionAttributeValues: { ':owner': chat.ownerId },
      },
    },
  ];
  const metaGone = (failure: { reasons: readonly { conditionFailed: boolean }[]; error: unknown }) => {
    if (failure.reasons[1]?.conditionFailed) return 'gone' as const;
    throw failure.error;
  };
  const peer = chat.kind === 'direct' ? peerOf(chat, members) : undefined;
  if (peer !== undefined) {
    const pointer: TransactAction = {
      Delete: {
        Key: DIRECT_PAIR.key({ a: chat.ownerId, b: peer }),
        ConditionExpression: pairAbsentOrThisChat,
        ExpressionAttributeValues: { ':chat': chat.chatId },
      },
    };
    // The pointer names another chat: the pair made a new one since the mark (createChat replaces
    // a marked chat), which keeps it. Deleted without the pointer then.
    const outcome = await ifConditionFails(
      table.transactThroughConflicts([...actions, pointer]).then(() => 'deleted' as const),
      (failure) => {
        const [, meta, pair] = failure.reasons;
        if (pair?.conditionFailed && !meta?.conditionFailed) return 'pointer-taken' as const;
        return metaGone(failure);
      },
    );
    if (outcome !== 'pointer-taken') return outcome;
  }
  return ifConditionFails(
    table.transactThroughConflicts(actions).then(() => 'deleted' as const),
    metaGone,
  );
}

/** The deletion's last write: `META` (marked; its members and pair pointer gone already). */
export async function deleteChatMeta(table: TableClient, chatId: string): Promise<void> {
  await table.delete({ Key: keys.chat(chatId) });
}

/** A direct chat's other member: from the owner's membership (`peerId`), or the other one found. */
function peerOf(chat: ChatRecord, members: readonly MemberRecord[]): string | undefined {
  const owner = members.find((m) => m.userId === chat.ownerId);
  return owner?.peerId ?? members.find((m) => m.userId !== chat.ownerId)?.userId;
}

/**
 * The memberships of a chat whose `META` was never written (a big group's creation that stopped
 * between its batched memberships and `META`: lambdas/domain/safety-net-jobs.ts), deleted in
 * transactions of 99 deletes and a check that `META` is still absent: `'chat-exists'` when it is
 * there (the creation was completed meanwhile), and the memberships of that transaction are kept.
 */
export async function deleteMembersWithoutChat(
  table: TableClient,
  chatId: string,
  userIds: readonly string[],
): Promise<'deleted' | 'chat-exists'> {
  for (let i = 0; i < userIds.length; i += MAX_TRANSACTION_ITEMS - 1) {
    const chunk = userIds.slice(i, i + MAX_TRANSACTION_ITEMS - 1);
    const write = table.transact([
      { ConditionCheck: { Key: keys.chat(chatId), ConditionExpression: itemAbsent } },
      ...chunk.map((userId) => ({ Delete: { Key: keys.member(chatId, userId) } })),
    ]);
    const outcome = await ifConditionFails(
      write.then(() => 'deleted' as const),
      () => 'chat-exists' as const,
    );
    if (outcome === 'chat-exists') return outcome;
  }
  return 'deleted';
}

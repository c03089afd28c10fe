/**
 * Deleting a chat's memberships and `META` (`ChatRepository`, chats.ts), excluding any concurrent
 * invite, in three steps that the domain runs in order (lambdas/domain/chat-deletion.ts): the mark;
 * the members read again and every membership but the owner's; then the owner's membership, `META`
 * and a direct chat's pair pointer (while it names this chat) in one transaction. After the mark each
 * step may run again, and even at once with itself (an owner's retry, the deletion's finish job):
 * what is gone stays gone, and the last one tells that `META` was gone already.
 */
import type { ChatWithMembers } from './chats.ts';
import { type ChatRecord, DIRECT_PAIR, type MemberRecord } from './items.ts';
import { keys } from './keys.ts';
import { ifConditionFails, itemExists, type TableClient, type TransactAction } from './table-client.ts';

const ownerUnchanged = 'ownerId = :owner';
const pairAbsentOrThisChat = 'attribute_not_exists(pk) OR chatId = :chat';

/**
 * Sets `deletedAt` on `META` (kept if set: a retry keeps the first mark), guarded by the owner read:
 * whether it is marked, false when the chat is gone or has another owner.
 */
export function markChatDeleted(table: TableClient, chat: ChatRecord, deletedAt: string): Promise<boolean> {
  return ifConditionFails(
    table
      .update({
        Key: keys.chat(chat.chatId),
        UpdateExpression: 'SET deletedAt = if_not_exists(deletedAt, :at)',
        ConditionExpression: `${itemExists} AND ${ownerUnchanged}`,
        ExpressionAttributeValues: { ':at': deletedAt, ':owner': chat.ownerId },
      })
      .then(() => true),
    () => false,
  );
}

/**
 * Reads the members again (after the mark no one joins, so this is all of them) and deletes every
 * membership but the owner's (batched): the members it found, the chat.deleted audience.
 */
export async function deleteMembersButOwner(
  table: TableClient,
  membersOf: (chatId: string) => Promise<ChatWithMembers>,
  chat: ChatRecord,
): Promise<MemberRecord[]> {
  const { members } = await membersOf(chat.chatId);
  const others = members.filter((m) => m.userId !== chat.ownerId);
  await table.batchWrite(others.map((m) => ({ DeleteRequest: { Key: keys.member(chat.chatId, m.userId) } })));
  return members;
}

/**
 * The owner's membership and `META` in one transaction guarded by the owner (who cannot change after
 * the mark: a leave's condition refuses a marked chat), with a direct chat's pair pointer while it
 * names this chat. `'gone'`: `META` was gone already (another run of the deletion finished it).
 */
export async function deleteChatHead(
  table: TableClient,
  chat: ChatRecord,
  members: readonly MemberRecord[],
): Promise<'deleted' | 'gone'> {
  const actions: TransactAction[] = [
    { Delete: { Key: keys.member(chat.chatId, chat.ownerId) } },
    {
      Delete: {
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

/** A direct chat's other member: from the owner's membership (`peerId`), or the other one found. */
function peerOf(chat: ChatRecord, members: readonly MemberRecord[]): string | undefined {
  const owner = members.find((m) => m.userId === chat.ownerId);
  return owner?.peerId ?? members.find((m) => m.userId !== chat.ownerId)?.userId;
}

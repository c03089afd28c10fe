/**
 * Deleting a chat's memberships and `META` (`ChatRepository.delete`, chats.ts), excluding any
 * concurrent invite: the mark, the members read again, their items, then the owner's membership,
 * `META` and a direct chat's pair pointer (while it names this chat) in one transaction.
 */
import type { ChatWithMembers } from './chats.ts';
import { type ChatRecord, DIRECT_PAIR, type MemberRecord } from './items.ts';
import { keys } from './keys.ts';
import { ifConditionFails, itemExists, type TableClient, type TransactAction } from './table-client.ts';

const ownerUnchanged = 'ownerId = :owner';
const pairAbsentOrThisChat = 'attribute_not_exists(pk) OR chatId = :chat';

export async function deleteChat(
  table: TableClient,
  membersOf: (chatId: string) => Promise<ChatWithMembers>,
  chat: ChatRecord,
  deletedAt: string,
): Promise<MemberRecord[] | undefined> {
  const marked = await ifConditionFails(
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
  if (!marked) return undefined;
  const { members } = await membersOf(chat.chatId);
  const others = members.filter((m) => m.userId !== chat.ownerId);
  await table.batchWrite(others.map((m) => ({ DeleteRequest: { Key: keys.member(chat.chatId, m.userId) } })));
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
  const [a, b] = members.map((m) => m.userId);
  if (chat.kind === 'direct' && a !== undefined && b !== undefined && members.length === 2) {
    const pointer: TransactAction = {
      Delete: {
        Key: DIRECT_PAIR.key({ a, b }),
        ConditionExpression: pairAbsentOrThisChat,
        ExpressionAttributeValues: { ':chat': chat.chatId },
      },
    };
    // The pointer names another chat: the pair made a new one since the mark (a retried delete;
    // createChat replaces a marked chat), which keeps it. Deleted without the pointer then.
    const pointerTaken = await ifConditionFails(
      table.transact([...actions, pointer]).then(() => false),
      (failure) => {
        const [owner, meta, pair] = failure.reasons;
        if (pair?.conditionFailed && !owner?.conditionFailed && !meta?.conditionFailed) return true;
        throw failure.error;
      },
    );
    if (!pointerTaken) return members;
  }
  await table.transact(actions);
  return members;
}

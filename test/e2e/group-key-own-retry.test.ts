/**
 * A group key's write that landed but whose answer was lost is sent again by the SDK, and DynamoDB
 * refuses the copy (the key exists): the refusal names this call's own chatId, so the write is this
 * call's own. The one transaction made the group; a claim still pending at this call's `claimedAt`
 * is completed by this call. (The data layer against DynamoDB Local: the retry is played by calling
 * `create` again with the same arguments, or after putting the claim as the first copy would.)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { GROUP_KEY } from '../../lambdas/data/items.ts';
import { deps } from '../../lambdas/domain/deps.ts';
import { groupMembers } from '../../lambdas/domain/group-keys.ts';
import { newChat } from '../../lambdas/domain/new-chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

describe('a group key write sent again after its answer was lost', () => {
  it('is the call’s own when the group fits in one transaction', async () => {
    const ref = { userId: uniqueId('own'), clientChatId: uniqueId('k') };
    const chat = newChat(new Date(), 'group', 'Once', ref.userId, 2);
    const members = groupMembers(chat, [uniqueId('peer')]);
    const { groupKeys } = deps().store;
    const claimedAt = Date.now();
    await expect(groupKeys.create(ref, chat, members, claimedAt)).resolves.toEqual({ status: 'created' });
    await expect(groupKeys.create(ref, chat, members, claimedAt)).resolves.toEqual({ status: 'created' });
    // Another chat under the same key is someone else's: taken.
    const other = newChat(new Date(), 'group', 'Other', ref.userId, 2);
    await expect(groupKeys.create(ref, other, groupMembers(other, []), claimedAt)).resolves.toMatchObject({
      status: 'taken',
      key: { chatId: chat.chatId },
    });
  });

  it('completes its own pending claim of a big group', async () => {
    const ref = { userId: uniqueId('own'), clientChatId: uniqueId('k') };
    const others = Array.from({ length: 110 }, (_, i) => uniqueId(`ob${i}`));
    const chat = newChat(new Date(), 'group', 'Big once', ref.userId, others.length + 1);
    const claimedAt = Date.now();
    // The claim as the first copy of the PutItem wrote it.
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
    const Item = GROUP_KEY.toItem({
      ...ref,
      chatId: chat.chatId,
      claimedAt,
      pending: true,
      createdAt: chat.createdAt,
      name: 'Big once',
      memberIds: new Set(others),
    });
    await doc.send(new PutCommand({ TableName: stack.tableName, Item }));
    doc.destroy();
    const { groupKeys, chats } = deps().store;
    await expect(groupKeys.create(ref, chat, groupMembers(chat, others), claimedAt)).resolves.toEqual({
      status: 'created',
    });
    const stored = await chats.getWithMembers(chat.chatId, { consistent: true });
    expect(stored.chat?.memberCount).toBe(111);
    expect(stored.members).toHaveLength(111);
    expect(await groupKeys.get(ref)).toEqual({ chatId: chat.chatId, claimedAt });
  });
});

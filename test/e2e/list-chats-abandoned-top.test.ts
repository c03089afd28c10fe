/**
 * listChats over a chat whose newest seq was allocated by a writer that never stored its message
 * (it died between the allocation and the put): the top is no message, so listChats reads back to the
 * newest one (a Query of the chat's slots), and once the head is quiet fills the abandoned seq with a
 * void so that it stops counting as unread. Deterministic: the abandoned allocation is staged on META.
 * (It also shows the IAM check, scripts/check-iam.ts, listChats' Query and void writes in use.)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatSummary } from '../../lambdas/contract/objects.ts';
import { closeAll, connectUsers, makeGroup, sendText, type UserSocket } from '../support/chat.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** A writer that allocated seq lastSeq + 1 ten minutes ago and died before its put. */
async function abandonAllocation(chatId: string): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  try {
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: `CHAT#${chatId}`, sk: 'META' },
        UpdateExpression: 'SET lastSeq = lastSeq + :one, lastVer = lastVer + :one, lastAllocAt = :old',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1, ':old': Date.now() - 600_000 },
      }),
    );
  } finally {
    doc.destroy();
  }
}

describe('listChats over an abandoned top seq', () => {
  it('shows the newest stored message, does not count the abandoned seq as unread, and voids it', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'top')) as [UserSocket, UserSocket];
    const { chatId } = await makeGroup(alice, [bob.userId]);
    const first = await sendText(alice, chatId, 'first');
    await abandonAllocation(chatId);

    const summary = ((await bob.ok('listChats')).chats as ChatSummary[]).find((c) => c.chatId === chatId);
    expect(summary?.lastMessage).toMatchObject({ messageId: first.messageId, text: 'first' });
    expect(summary?.unreadCount).toBe(1);
    const top = (await stack.items(`CHAT#${chatId}`)).find(
      (i) => i.sk === `MSG#${String(first.seq + 1).padStart(12, '0')}`,
    );
    expect(top).toBeDefined();
    expect(top?.text).toBeUndefined(); // a void, not a message
    await closeAll(stack, alice, bob);
  });
});

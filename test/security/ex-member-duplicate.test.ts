/**
 * A user removed from a group (or who left it) who sends again a clientMessageId they used while a
 * member: the send is a duplicate, which never reaches the allocation's memberVer condition, so
 * before the fix the stale head (the container's cache, or an eventually consistent read that lags
 * behind the removal) let them through: the ack carried the message as it is now (reactions,
 * edits, fresh attachment URLs), and a resend old enough posted `message.created` to the members
 * again. Now the duplicate path reads the membership consistently: NOT_FOUND, the same frame as
 * any send of theirs, nothing written and nothing posted.
 *
 * On DynamoDB Local through real sockets. The lag is made deterministic by answering the chat's
 * eventually consistent head reads from a snapshot taken before the removal (the in-process
 * handlers' cache usually holds that head too); consistent reads go to the table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChatRepository } from '../../lambdas/data/chats.ts';
import { ROUTE_TIMEOUT_SECONDS } from '../../lambdas/shared/config.ts';
import {
  connectUser,
  expectRefused,
  type Message,
  makeGroup,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => doc?.destroy());
afterEach(() => {
  vi.restoreAllMocks();
});

/** Moves a message's allocation time back past a function's timeout (its send has ended). */
async function age(message: Message) {
  const items = await stack.items(`CHAT#${message.chatId}`);
  const item = items.find((i) => i.messageId === message.messageId && String(i.sk).startsWith('MSG#'));
  if (!item) throw new Error(`message ${message.messageId} not found`);
  await doc.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: { pk: item.pk, sk: item.sk },
      UpdateExpression: 'SET allocAt = :at',
      ExpressionAttributeValues: { ':at': Number(item.allocAt) - ROUTE_TIMEOUT_SECONDS * 1000 },
    }),
  );
}

/** From now on, the chat's eventually consistent head reads answer the head as it is now. */
async function lagHead(chatId: string) {
  const snapshot = await table.store.chats.getWithMembers(chatId, { consistent: true });
  const read = ChatRepository.prototype.getWithMembers;
  vi.spyOn(ChatRepository.prototype, 'getWithMembers').mockImplementation(function (
    this: ChatRepository,
    id,
    options = {},
  ) {
    return id === chatId && !options.consistent ? Promise.resolve(snapshot) : read.call(this, id, options);
  });
}

const created = (socket: UserSocket, messageId: string) =>
  socket.events('message.created').filter((f) => (f.message as Message).messageId === messageId).length;

/** owner, bob and carol; bob's message (with a clientMessageId) stored and announced, then aged. */
async function bobSent() {
  const owner = await connectUser(stack, uniqueId('owner'));
  const bob = await connectUser(stack, uniqueId('bob'));
  const carol = await connectUser(stack, uniqueId('carol'));
  const chat = await makeGroup(owner, [bob.userId, carol.userId], 'Team');
  const send = { chatId: chat.chatId, text: 'before I go', clientMessageId: uniqueId('cm') };
  const message = (await bob.ok('sendMessage', send)).message as Message;
  await owner.ok('react', { chatId: chat.chatId, messageId: message.messageId, emoji: '👍' });
  await settle(stack, owner, bob, carol);
  expect(created(owner, message.messageId)).toBe(1);
  expect(created(carol, message.messageId)).toBe(1);
  await age(message);
  await lagHead(chat.chatId);
  return { owner, bob, carol, chat, send, message };
}

describe('an ex-member resending an old clientMessageId', () => {
  for (const how of ['removed', 'left'] as const) {
    it(`is refused as any send of theirs once ${how}: nothing answered, written or posted`, async () => {
      const { owner, bob, carol, chat, send, message } = await bobSent();
      await (how === 'removed' ? owner : bob).ok('removeMember', { chatId: chat.chatId, userId: bob.userId });
      await settle(stack, owner, bob, carol);

      // First (the head the handlers hold still lists them), the resend.
      const again = await expectRefused(stack, bob, 'sendMessage', send, 'NOT_FOUND');
      // Then a fresh send of theirs, for comparison: the same refusal.
      const fresh = await expectRefused(
        stack,
        bob,
        'sendMessage',
        { ...send, clientMessageId: uniqueId('cm') },
        'NOT_FOUND',
      );
      expect({ ...again, requestId: '' }).toEqual({ ...fresh, requestId: '' });
      expect(JSON.stringify(again)).not.toContain(message.messageId);

      await settle(stack, owner, bob, carol);
      expect(created(owner, message.messageId)).toBe(1);
      expect(created(carol, message.messageId)).toBe(1);
      expect(created(bob, message.messageId)).toBe(0);
    });
  }

  it('a member still is answered the duplicate and it is announced again (the control)', async () => {
    const { owner, bob, carol, send, message } = await bobSent();
    expect(await bob.ok('sendMessage', send)).toMatchObject({
      duplicate: true,
      message: { messageId: message.messageId, reactions: [expect.objectContaining({ emoji: '👍' })] },
    });
    await settle(stack, owner, bob, carol);
    expect(created(owner, message.messageId)).toBe(2);
    expect(created(carol, message.messageId)).toBe(2);
  });
});

/**
 * A send whose invocation died between storing its message and posting it (a runtime crash: the
 * time budgets keep a timeout from doing this). The client's retry with the same clientMessageId
 * finds the message stored and is answered `duplicate: true`; once the first invocation has certainly
 * ended (a function's timeout after the allocation, `ROUTE_TIMEOUT_SECONDS`), the retry also posts
 * `message.created` to the members' open sockets again, so that each gets the message at least
 * once. A retry racing a send still running posts nothing (the 12-way race stays quiet), and so do
 * the retries after the first that posted (however many, racing or not) and any retry
 * `REANNOUNCE_WITHIN_MS` after the allocation: the message is in every socket's catch-up by then.
 * The members posted to are the ones the send path holds (no consistent read of the member list).
 *
 * The crash is made by storing a send while the member is offline (no socket to post to), then
 * connecting them and moving the message's allocation time back past the timeout.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChatRepository } from '../../lambdas/data/chats.ts';
import { REANNOUNCE_WITHIN_MS } from '../../lambdas/domain/announce.ts';
import { ROUTE_TIMEOUT_SECONDS } from '../../lambdas/shared/config.ts';
import { connectUser, type Message, makeGroup, settle, type UserSocket } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => doc?.destroy());

/** Moves a message's allocation time back by `ms`, as if the send that stored it were that old. */
async function age(message: Message, ms: number) {
  const items = await stack.items(`CHAT#${message.chatId}`);
  const item = items.find((i) => i.messageId === message.messageId && String(i.sk).startsWith('MSG#'));
  if (!item) throw new Error(`message ${message.messageId} not found`);
  await doc.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: { pk: item.pk, sk: item.sk },
      UpdateExpression: 'SET allocAt = :at',
      ExpressionAttributeValues: { ':at': Number(item.allocAt) - ms },
    }),
  );
}

const created = (socket: UserSocket, messageId: string) =>
  socket.events('message.created').filter((f) => (f.message as Message).messageId === messageId).length;

/** A group of the sender and bob; the sender's send stored while bob was offline, then bob online. */
async function storedWhileOffline(text: string) {
  const owner = await connectUser(stack, uniqueId('owner'));
  const ownerPhone = await connectUser(stack, owner.userId);
  const bobId = uniqueId('bob');
  const chat = await makeGroup(owner, [bobId]);
  const send = { chatId: chat.chatId, text, clientMessageId: uniqueId('cm') };
  const first = await owner.ok('sendMessage', send);
  const message = first.message as Message;
  const bob = await connectUser(stack, bobId);
  await settle(stack, owner, ownerPhone, bob);
  return { owner, ownerPhone, bob, send, message };
}

describe('a send whose invocation died before its posts', { timeout: 60_000 }, () => {
  it('is posted again by the retry once that invocation has ended, not while it may still run', async () => {
    const { owner, ownerPhone, bob, send, message } = await storedWhileOffline('lost in a crash');
    expect(created(ownerPhone, message.messageId)).toBe(1);
    expect(created(bob, message.messageId)).toBe(0);

    // A retry that may race the send itself: answered, nothing posted.
    expect(await owner.ok('sendMessage', send)).toMatchObject({
      duplicate: true,
      message: { messageId: message.messageId },
    });
    await settle(stack, owner, ownerPhone, bob);
    expect(created(bob, message.messageId)).toBe(0);

    // The same retry after the first invocation's timeout: posted to every other open socket.
    await age(message, ROUTE_TIMEOUT_SECONDS * 1000);
    expect(await owner.ok('sendMessage', send)).toMatchObject({
      duplicate: true,
      message: { messageId: message.messageId },
    });
    await settle(stack, owner, ownerPhone, bob);
    expect(created(bob, message.messageId)).toBe(1);
    expect(created(ownerPhone, message.messageId)).toBe(2); // clients drop a messageId they hold
    expect(created(owner, message.messageId)).toBe(0); // the retrying socket has its ack
    expect(bob.events('message.created').at(-1)?.message).toMatchObject({ text: 'lost in a crash' });
  });

  it('is posted again once however often it is resent, racing or not, reading no member list', async () => {
    const { owner, ownerPhone, bob, send, message } = await storedWhileOffline('resent and resent');
    await age(message, ROUTE_TIMEOUT_SECONDS * 1000);
    const listReads = vi.spyOn(ChatRepository.prototype, 'getWithMembers');
    try {
      const racing = await Promise.all([1, 2, 3].map(() => owner.ok('sendMessage', send)));
      for (let i = 0; i < 3; i++)
        expect(await owner.ok('sendMessage', send)).toMatchObject({ duplicate: true });
      expect(racing.map((ack) => ack.duplicate)).toEqual([true, true, true]);
      // The members the send path holds (cached, checked against META's memberVer): no list read.
      expect(listReads).not.toHaveBeenCalled();
    } finally {
      listReads.mockRestore();
    }
    await settle(stack, owner, ownerPhone, bob);
    expect(created(bob, message.messageId)).toBe(1);
    expect(created(ownerPhone, message.messageId)).toBe(2); // the send's own post, then once again
    expect(created(owner, message.messageId)).toBe(0);
  });

  it('is not posted again by a resend minutes after it was stored', async () => {
    const { owner, ownerPhone, bob, send, message } = await storedWhileOffline('long ago');
    await age(message, REANNOUNCE_WITHIN_MS);
    expect(await owner.ok('sendMessage', send)).toMatchObject({
      duplicate: true,
      message: { messageId: message.messageId, text: 'long ago' },
    });
    await settle(stack, owner, ownerPhone, bob);
    expect(created(bob, message.messageId)).toBe(0);
    expect(created(ownerPhone, message.messageId)).toBe(1);
    // bob's catch-up has it.
    const page = await bob.ok('history', { chatId: message.chatId });
    expect((page.messages as Message[]).map((m) => m.messageId)).toContain(message.messageId);
  });

  it('is not posted again once deleted', async () => {
    const { owner, bob, send, message } = await storedWhileOffline('deleted since');
    await owner.ok('deleteMessage', { chatId: message.chatId, messageId: message.messageId });
    await age(message, ROUTE_TIMEOUT_SECONDS * 1000);
    expect(await owner.ok('sendMessage', send)).toMatchObject({ duplicate: true });
    await settle(stack, owner, bob);
    expect(created(bob, message.messageId)).toBe(0);
    expect(bob.events('message.deleted')).toHaveLength(1);
  });
});

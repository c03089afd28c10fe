/**
 * Delivery receipts: `markDelivered` moves the caller's `lastDeliveredSeq` forward only, tells the
 * other members' sockets with `message.delivered` when it moved (and only then), and members show
 * it in `getChat`. Refused requests write nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anotherSocket,
  connectUser,
  eventsOf,
  expectRefused,
  getChat,
  makeGroup,
  memberOf,
  sendText,
  settle,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('markDelivered', () => {
  it('moves forward only and tells the other members’ sockets when it moved', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const bob2 = await anotherSocket(stack, bob);
    const cat = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId, cat.userId], 'Receipts');
    for (const text of ['1', '2', '3']) await sendText(ann, chat.chatId, text);
    const fromBob = (f: Frame) => f.chatId === chat.chatId && f.userId === bob.userId;

    const ack = await bob.request('markDelivered', { chatId: chat.chatId, seq: 2 });
    expect(ack).toEqual({
      type: 'ack',
      action: 'markDelivered',
      requestId: expect.any(String),
      chatId: chat.chatId,
      lastDeliveredSeq: 2,
    });
    const delivered = {
      type: 'message.delivered',
      chatId: chat.chatId,
      userId: bob.userId,
      lastDeliveredSeq: 2,
    };
    expect(await ann.event('message.delivered', fromBob)).toEqual(delivered);
    expect(await cat.event('message.delivered', fromBob)).toEqual(delivered);
    expect(memberOf(await getChat(ann, chat.chatId), bob.userId)?.lastDeliveredSeq).toBe(2);

    // Not backwards, not sideways: the cursor as it is, and no event.
    expect(await bob2.ok('markDelivered', { chatId: chat.chatId, seq: 1 })).toMatchObject({
      lastDeliveredSeq: 2,
    });
    expect(await bob.ok('markDelivered', { chatId: chat.chatId, seq: 2 })).toMatchObject({
      lastDeliveredSeq: 2,
    });
    await bob.ok('markDelivered', { chatId: chat.chatId, seq: 3 });
    await settle(stack, ann, bob, bob2, cat);
    for (const socket of [ann, cat]) {
      expect(eventsOf(socket, 'message.delivered', fromBob).map((f) => f.lastDeliveredSeq)).toEqual([2, 3]);
    }
    // The caller's own sockets are not told (their own receipts).
    for (const socket of [bob, bob2]) expect(eventsOf(socket, 'message.delivered', fromBob)).toEqual([]);
    const members = (await getChat(cat, chat.chatId)).members;
    expect(members.map((m) => [m.userId, m.lastDeliveredSeq]).sort()).toEqual(
      [
        [ann.userId, 0],
        [bob.userId, 3],
        [cat.userId, 0],
      ].sort(),
    );
  });

  it('keeps the highest when receipts race from several sockets', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const bob2 = await anotherSocket(stack, bob);
    const chat = await makeGroup(ann, [bob.userId], 'Race');
    for (const text of ['1', '2', '3', '4']) await sendText(ann, chat.chatId, text);
    const acks = await Promise.all(
      [4, 1, 3, 2].map((seq, i) =>
        (i % 2 ? bob2 : bob).request('markDelivered', { chatId: chat.chatId, seq }),
      ),
    );
    expect(acks.filter((f) => f.type !== 'ack')).toEqual([]);
    expect(memberOf(await getChat(ann, chat.chatId), bob.userId)?.lastDeliveredSeq).toBe(4);
    await settle(stack, ann);
    const seen = eventsOf(ann, 'message.delivered', (f) => f.userId === bob.userId).map(
      (f) => f.lastDeliveredSeq,
    );
    expect(seen).toContain(4);
    expect(new Set(seen).size).toBe(seen.length); // each forward move announced once
  });

  it('refuses non-members and bad input, writing nothing', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const eve = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Private');
    await sendText(ann, chat.chatId, 'hi');
    await expectRefused(stack, eve, 'markDelivered', { chatId: chat.chatId, seq: 1 }, 'NOT_FOUND');
    await expectRefused(stack, bob, 'markDelivered', { chatId: chat.chatId, seq: -1 }, 'BAD_REQUEST', {
      message: /seq/,
    });
    await expectRefused(stack, bob, 'markDelivered', { chatId: chat.chatId, seq: 1.5 }, 'BAD_REQUEST');
    // Past the last message: stored, it would mark every later message delivered for good.
    await expectRefused(stack, bob, 'markDelivered', { chatId: chat.chatId, seq: 2 }, 'BAD_REQUEST', {
      message: /"seq" 2 is past the last message/,
    });
    await expectRefused(stack, eve, 'markDelivered', { chatId: chat.chatId, seq: 2 }, 'NOT_FOUND');
    expect(memberOf(await getChat(ann, chat.chatId), bob.userId)?.lastDeliveredSeq).toBe(0);
    await expectRefused(stack, bob, 'markDelivered', { chatId: chat.chatId }, 'BAD_REQUEST', {
      message: /seq/,
    });
    await settle(stack, ann);
    expect(eventsOf(ann, 'message.delivered')).toEqual([]);
  });
});

/** Sending end to end: sendMessage, and clientMessageId deduplication (incl. the parallel race). */
import { describe, expect, it } from 'vitest';
import {
  aboutMessage,
  anotherSocket,
  connectUser,
  eventsOf,
  expectMessageShape,
  getChat,
  history,
  ISO_TIME,
  type Message,
  makeGroup,
  memberOf,
  sendText,
  settle,
  summaryOf,
  type UserSocket,
} from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

describe('sendMessage', () => {
  it('stores a message with the next seq and acks it with duplicate:false', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const chat = await makeGroup(a, [b.userId], 'Talk');

    const ack = await a.request('sendMessage', { chatId: chat.chatId, text: 'Hello, Bob' });
    expect(ack).toEqual({
      type: 'ack',
      action: 'sendMessage',
      requestId: expect.any(String),
      message: expect.any(Object),
      duplicate: false,
    });
    const first = ack.message as Message;
    expectMessageShape(first);
    expect(first).toEqual({
      chatId: chat.chatId,
      messageId: expect.any(String),
      seq: 1,
      ver: expect.any(Number),
      senderId: a.userId,
      text: 'Hello, Bob',
      replyTo: null,
      clientMessageId: null,
      createdAt: expect.stringMatching(ISO_TIME),
      editedAt: null,
      deleted: false,
      attachments: [],
      reactions: [],
    });
    const second = await sendText(b, chat.chatId, 'Hi Ann');
    expect(second).toMatchObject({ seq: 2, senderId: b.userId, text: 'Hi Ann' });
    expect(second.messageId).not.toBe(first.messageId);
    expect(Date.parse(second.createdAt)).toBeGreaterThanOrEqual(Date.parse(first.createdAt));

    // Sending moves the sender's own read cursor to the new message.
    const after = await getChat(a, chat.chatId);
    expect(after.lastSeq).toBe(2);
    expect(memberOf(after, a.userId)?.lastReadSeq).toBe(1);
    expect(memberOf(after, b.userId)?.lastReadSeq).toBe(2);
    expect((await history(a, chat.chatId)).messages).toEqual([first, second]);
  });

  it('gives parallel sends from several sockets distinct seqs with no gaps', async () => {
    const a1 = await connectUser(stack);
    const a2 = await anotherSocket(stack, a1);
    const b = await connectUser(stack);
    const chat = await makeGroup(a1, [b.userId], 'Parallel');
    const senders = [a1, a2, b];
    const acks = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (senders[i % 3] as UserSocket).request('sendMessage', { chatId: chat.chatId, text: `p${i}` }),
      ),
    );
    expect(acks.filter((f) => f.type !== 'ack')).toEqual([]);
    const seqs = acks.map((f) => (f.message as Message).seq).sort((x, y) => x - y);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    const page = await history(b, chat.chatId);
    expect(page.messages.map((m) => m.seq)).toEqual(seqs);
    expect(new Set(page.messages.map((m) => m.text)).size).toBe(6);
    expect((await getChat(b, chat.chatId)).lastSeq).toBe(6);
  });

  it('accepts 4000 characters counted in code points and stores the text exactly', async () => {
    const a = await connectUser(stack);
    const chat = await makeGroup(a, [], 'Long');
    const emoji = '😀'.repeat(4000); // 8000 UTF-16 units, 4000 code points
    const msg = await sendText(a, chat.chatId, emoji);
    expect(msg.text).toBe(emoji);
    const mixed = `${'é'.repeat(3990)} ok\n  end!`;
    expect((await sendText(a, chat.chatId, mixed)).text).toBe(mixed);
    expect((await history(a, chat.chatId)).messages.map((m) => m.text)).toEqual([emoji, mixed]);
  });

  it('links a reply to its message with replyTo', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const chat = await makeGroup(a, [b.userId], 'Replies');
    const question = await sendText(a, chat.chatId, 'Lunch?');
    const answer = await sendText(b, chat.chatId, 'Yes!', { replyTo: question.messageId });
    expect(answer).toMatchObject({ replyTo: question.messageId, seq: 2 });
    const created = await a.event('message.created', aboutMessage(answer.messageId));
    expect((created.message as Message).replyTo).toBe(question.messageId);
    expect((await history(b, chat.chatId)).messages[1]?.replyTo).toBe(question.messageId);
  });
});

describe('clientMessageId deduplication', () => {
  it('returns the original message with duplicate:true for a repeated clientMessageId, storing nothing', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const chat = await makeGroup(a, [b.userId], 'Dedupe');
    const cmid = uniqueId('cmid');
    const original = await a.ok('sendMessage', { chatId: chat.chatId, text: 'once', clientMessageId: cmid });
    expect(original.duplicate).toBe(false);
    const message = original.message as Message;
    expect(message.clientMessageId).toBe(cmid);
    await b.event('message.created', aboutMessage(message.messageId));
    const before = await stack.items(`CHAT#${chat.chatId}`);

    const again = await a.request('sendMessage', {
      chatId: chat.chatId,
      text: 'twice?',
      clientMessageId: cmid,
    });
    expect(again).toEqual({
      type: 'ack',
      action: 'sendMessage',
      requestId: expect.any(String),
      message,
      duplicate: true,
    });
    await settle(stack, a, b);
    expect(await stack.items(`CHAT#${chat.chatId}`)).toEqual(before);
    expect(eventsOf(b, 'message.created', (f) => (f.message as Message).chatId === chat.chatId)).toHaveLength(
      1,
    );

    // Dedupe is per sender and per chat.
    const fromB = await b.ok('sendMessage', {
      chatId: chat.chatId,
      text: 'same id, other sender',
      clientMessageId: cmid,
    });
    expect(fromB).toMatchObject({ duplicate: false, message: { seq: 2, senderId: b.userId } });
    const otherChat = await makeGroup(a, [], 'Elsewhere');
    const elsewhere = await a.ok('sendMessage', {
      chatId: otherChat.chatId,
      text: 'same id',
      clientMessageId: cmid,
    });
    expect(elsewhere).toMatchObject({ duplicate: false, message: { seq: 1, chatId: otherChat.chatId } });
  });

  it('without clientMessageId there is no dedupe', async () => {
    const a = await connectUser(stack);
    const chat = await makeGroup(a, [], 'No dedupe');
    const one = await sendText(a, chat.chatId, 'same');
    const two = await sendText(a, chat.chatId, 'same');
    expect([one.seq, two.seq]).toEqual([1, 2]);
    expect(one.messageId).not.toBe(two.messageId);
  });

  it('stores exactly one message when 20 identical sends race from 3 sockets of the sender', async () => {
    const a1 = await connectUser(stack);
    const a2 = await anotherSocket(stack, a1);
    const a3 = await anotherSocket(stack, a1);
    const b1 = await connectUser(stack);
    const b2 = await anotherSocket(stack, b1);
    const chat = await makeGroup(a1, [b1.userId], 'Race');
    await sendText(a1, chat.chatId, 'warm-up'); // seq 1; the sender has read it
    const lastSeqBefore = (await getChat(a1, chat.chatId)).lastSeq;
    expect(lastSeqBefore).toBe(1);
    await b1.ok('readMessage', {
      chatId: chat.chatId,
      messageId: (await history(b1, chat.chatId)).messages[0]?.messageId,
    });

    const senders = [a1, a2, a3];
    const cmid = uniqueId('race');
    const frame = { chatId: chat.chatId, text: 'exactly once', clientMessageId: cmid };
    const acks = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (senders[i % 3] as UserSocket).request('sendMessage', frame)),
    );
    const errors = acks.filter((f) => f.type !== 'ack');
    expect(errors).toEqual([]);
    const ids = new Set(acks.map((f) => (f.message as Message).messageId));
    expect(ids.size).toBe(1);
    const [messageId] = [...ids] as [string];
    expect(acks.filter((f) => f.duplicate === false)).toHaveLength(1);
    expect(acks.filter((f) => f.duplicate === true)).toHaveLength(19);
    for (const ack of acks) {
      expect(ack.message).toMatchObject({
        seq: lastSeqBefore + 1,
        text: 'exactly once',
        clientMessageId: cmid,
      });
    }

    await settle(stack, a1, a2, a3, b1, b2);
    // One stored message, seq advanced by exactly one, no phantom unread.
    const items = await stack.items(`CHAT#${chat.chatId}`);
    expect(items.filter((i) => String(i.sk).startsWith('MSG#'))).toHaveLength(2);
    const page = await history(b1, chat.chatId);
    expect(page.messages.map((m) => m.messageId).slice(1)).toEqual([messageId]);
    expect((await getChat(b1, chat.chatId)).lastSeq).toBe(lastSeqBefore + 1);
    expect(await summaryOf(b1, chat.chatId)).toMatchObject({
      lastSeq: lastSeqBefore + 1,
      lastReadSeq: 1,
      unreadCount: 1,
    });
    expect(await summaryOf(a1, chat.chatId)).toMatchObject({
      unreadCount: 0,
      lastReadSeq: lastSeqBefore + 1,
    });

    // Exactly one message.created per socket that is not the winning sender's.
    const winnerIndex = acks.findIndex((f) => f.duplicate === false);
    const winner = senders[winnerIndex % 3] as UserSocket;
    for (const socket of [a1, a2, a3, b1, b2]) {
      expect(eventsOf(socket, 'message.created', aboutMessage(messageId))).toHaveLength(
        socket === winner ? 0 : 1,
      );
    }
  });
});

/** Real-time delivery end to end: who gets which event, typing, stale sockets, catch-up. */
import { describe, expect, it } from 'vitest';
import {
  anotherSocket,
  closeAll,
  connectUser,
  eventsOf,
  history,
  listChats,
  type Message,
  makeDirect,
  makeGroup,
  sendText,
  settle,
  storedConnectionIds,
} from '../support/chat.ts';
import { eventually, type Frame } from '../support/client.ts';
import { vanishSocket } from '../support/ghost.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const aboutMessage = (messageId: string) => (f: Frame) =>
  (f.message as Message | undefined)?.messageId === messageId;

describe('message.created', () => {
  it('goes to every socket of every member except the sending socket (the sender’s other sockets get it)', async () => {
    const a1 = await connectUser(stack);
    const a2 = await anotherSocket(stack, a1);
    const a3 = await anotherSocket(stack, a1);
    const b1 = await connectUser(stack);
    const b2 = await anotherSocket(stack, b1);
    const outsider = await connectUser(stack);
    const chat = await makeGroup(a1, [b1.userId], 'Fan-out');

    const message = await sendText(a2, chat.chatId, 'to everyone but me');
    for (const socket of [a1, a3, b1, b2]) {
      expect(await socket.event('message.created', aboutMessage(message.messageId))).toEqual({
        type: 'message.created',
        message,
      });
    }
    await settle(stack, a1, a2, a3, b1, b2, outsider);
    expect(eventsOf(a2, 'message.created', aboutMessage(message.messageId))).toHaveLength(0);
    expect(eventsOf(outsider, 'message.created', aboutMessage(message.messageId))).toHaveLength(0);
    for (const socket of [a1, a3, b1, b2]) {
      expect(eventsOf(socket, 'message.created', aboutMessage(message.messageId))).toHaveLength(1);
    }
  });

  it('reaches a member on a direct chat, and nobody else', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const c = await connectUser(stack);
    const direct = await makeDirect(a, b.userId);
    const message = await sendText(b, direct.chatId, 'psst');
    expect(await a.event('message.created', aboutMessage(message.messageId))).toEqual({
      type: 'message.created',
      message,
    });
    await settle(stack, a, b, c);
    expect(eventsOf(c, 'message.created', aboutMessage(message.messageId))).toHaveLength(0);
    expect(eventsOf(b, 'message.created', aboutMessage(message.messageId))).toHaveLength(0);
  });
});

describe('typing', () => {
  it('goes to the other members only, never to the typer’s sockets, and writes nothing', async () => {
    const a1 = await connectUser(stack);
    const a2 = await anotherSocket(stack, a1);
    const b1 = await connectUser(stack);
    const b2 = await anotherSocket(stack, b1);
    const c = await connectUser(stack);
    const chat = await makeGroup(a1, [b1.userId, c.userId], 'Typing');
    const before = await stack.items(`CHAT#${chat.chatId}`);

    const ack = await a1.request('typing', { chatId: chat.chatId });
    expect(ack).toEqual({
      type: 'ack',
      action: 'typing',
      requestId: expect.any(String),
      chatId: chat.chatId,
      isTyping: true,
    });
    const typing = { type: 'typing', chatId: chat.chatId, userId: a1.userId, isTyping: true };
    for (const socket of [b1, b2, c]) expect(await socket.event('typing')).toEqual(typing);

    const stop = await a1.request('typing', { chatId: chat.chatId, isTyping: false });
    expect(stop).toMatchObject({ type: 'ack', action: 'typing', chatId: chat.chatId, isTyping: false });
    for (const socket of [b1, b2, c]) {
      expect(await socket.event('typing', (f) => f.isTyping === false)).toEqual({
        ...typing,
        isTyping: false,
      });
    }
    await settle(stack, a1, a2, b1, b2, c);
    expect(eventsOf(a1, 'typing')).toHaveLength(0);
    expect(eventsOf(a2, 'typing')).toHaveLength(0);
    expect(await stack.items(`CHAT#${chat.chatId}`)).toEqual(before);
  });

  it('sends no ack without a requestId (the event still goes out), but still reports errors', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const chat = await makeGroup(a, [b.userId], 'Quiet typing');
    const framesBefore = a.frames.length;
    a.send({ action: 'typing', chatId: chat.chatId });
    expect(await b.event('typing', (f) => f.chatId === chat.chatId)).toEqual({
      type: 'typing',
      chatId: chat.chatId,
      userId: a.userId,
      isTyping: true,
    });
    await settle(stack, a, b);
    const newFrames = a.frames.slice(framesBefore).filter((f) => f.type !== 'pong');
    expect(newFrames).toEqual([]);

    // Errors are always sent, with requestId null.
    a.send({ action: 'typing', chatId: uniqueId('nochat') });
    const error = await a.waitFor((f) => f.type === 'error' && f.action === 'typing');
    expect(error).toEqual({
      type: 'error',
      action: 'typing',
      requestId: null,
      code: 'NOT_FOUND',
      message: expect.any(String),
    });
  });
});

describe('message.read, message.updated, message.deleted', () => {
  it('go to every socket of every member, the acting one included, and to nobody else', async () => {
    const a1 = await connectUser(stack);
    const a2 = await anotherSocket(stack, a1);
    const b = await connectUser(stack);
    const outsider = await connectUser(stack);
    const chat = await makeGroup(a1, [b.userId], 'Receipts');
    const m = await sendText(b, chat.chatId, 'read me');

    await a1.ok('readMessage', { chatId: chat.chatId, messageId: m.messageId });
    const read = { type: 'message.read', chatId: chat.chatId, userId: a1.userId, lastReadSeq: 1 };
    for (const socket of [a1, a2, b]) {
      expect(await socket.event('message.read', (f) => f.chatId === chat.chatId)).toEqual(read);
    }
    const edited = (
      await b.ok('editMessage', { chatId: chat.chatId, messageId: m.messageId, text: 'read me!' })
    ).message as Message;
    for (const socket of [a1, a2, b]) {
      expect(await socket.event('message.updated', aboutMessage(m.messageId))).toEqual({
        type: 'message.updated',
        message: edited,
      });
    }
    await b.ok('deleteMessage', { chatId: chat.chatId, messageId: m.messageId });
    for (const socket of [a1, a2, b]) {
      expect(await socket.event('message.deleted', (f) => f.messageId === m.messageId)).toEqual({
        type: 'message.deleted',
        chatId: chat.chatId,
        messageId: m.messageId,
        seq: 1,
        ver: expect.any(Number),
      });
    }
    await settle(stack, outsider);
    const leaked = outsider.frames.filter((f) => f.chatId === chat.chatId || aboutMessage(m.messageId)(f));
    expect(leaked).toEqual([]);
  });
});

describe('stale connections', () => {
  it('removes a vanished socket on the next fan-out to its user; the other sockets still get the event', async () => {
    const a = await connectUser(stack);
    const b1 = await connectUser(stack);
    const b2 = await anotherSocket(stack, b1);
    const chat = await makeDirect(a, b1.userId);
    expect((await storedConnectionIds(stack, b1.userId)).sort()).toEqual(
      [b1.connectionId, b2.connectionId].sort(),
    );

    await vanishSocket(stack, b1);
    expect(stack.gateway.connectionIds).not.toContain(b1.connectionId);
    expect(await storedConnectionIds(stack, b1.userId)).toContain(b1.connectionId); // no $disconnect ran

    const ack = await a.request('sendMessage', { chatId: chat.chatId, text: 'are you there?' });
    expect(ack).toMatchObject({ type: 'ack', duplicate: false });
    const message = ack.message as Message;
    expect(await b2.event('message.created', aboutMessage(message.messageId))).toEqual({
      type: 'message.created',
      message,
    });
    await eventually(async () => !(await storedConnectionIds(stack, b1.userId)).includes(b1.connectionId));
    expect(await storedConnectionIds(stack, b1.userId)).toEqual([b2.connectionId]);

    // Delivery goes on normally afterwards.
    const next = await sendText(a, chat.chatId, 'again');
    expect(await b2.event('message.created', aboutMessage(next.messageId))).toBeTruthy();
  });
});

describe('catch-up after reconnect', () => {
  it('gets exactly the missed messages with listChats + history after the last seq held', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const chat = await makeGroup(a, [b.userId], 'Offline');
    const seen: Message[] = [];
    for (const text of ['one', 'two', 'three']) {
      const m = await sendText(a, chat.chatId, text);
      seen.push((await b.event('message.created', aboutMessage(m.messageId))).message as Message);
    }
    await b.ok('readMessage', { chatId: chat.chatId, messageId: seen[2]?.messageId });
    const lastHeld = (seen[2] as Message).seq;
    await closeAll(stack, b);

    const missed: Message[] = [];
    for (const text of ['four', 'five', 'six', 'seven']) missed.push(await sendText(a, chat.chatId, text));
    await a.ok('editMessage', {
      chatId: chat.chatId,
      messageId: missed[0]?.messageId,
      text: 'four (edited)',
    });

    const back = await connectUser(stack, b.userId);
    const summary = (await listChats(back)).find((c) => c.chatId === chat.chatId);
    expect(summary).toMatchObject({ lastSeq: 7, lastReadSeq: 3, unreadCount: 4 });
    expect(summary?.lastMessage).toEqual(missed[3]);

    const page = await history(back, chat.chatId, { after: lastHeld, limit: 3 });
    expect(page.hasMore).toBe(true);
    const rest = await history(back, chat.chatId, {
      after: page.messages[page.messages.length - 1]?.seq ?? 0,
    });
    expect(rest.hasMore).toBe(false);
    const caughtUp = [...page.messages, ...rest.messages];
    expect(caughtUp.map((m) => m.messageId)).toEqual(missed.map((m) => m.messageId));
    expect(caughtUp.map((m) => m.text)).toEqual(['four (edited)', 'five', 'six', 'seven']);
    // Nothing was replayed onto the new socket.
    await settle(stack, back);
    expect(eventsOf(back, 'message.created')).toEqual([]);
  });
});

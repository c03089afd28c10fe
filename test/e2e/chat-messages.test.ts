/** Messages end to end: history paging, edit, delete, read cursors and unread counts. */
import { beforeAll, describe, expect, it } from 'vitest';
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
import type { Frame } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

/** A group of `owner` and `other` with `count` messages from the owner (seq 1..count). */
async function chatWithMessages(count: number): Promise<{
  owner: UserSocket;
  other: UserSocket;
  chatId: string;
  messages: Message[];
}> {
  const owner = await connectUser(stack);
  const other = await connectUser(stack);
  const chat = await makeGroup(owner, [other.userId], 'Paging');
  const messages: Message[] = [];
  for (let i = 1; i <= count; i++) messages.push(await sendText(owner, chat.chatId, `message ${i}`));
  return { owner, other, chatId: chat.chatId, messages };
}

describe('history', () => {
  let fixture: Awaited<ReturnType<typeof chatWithMessages>>;
  beforeAll(async () => {
    fixture = await chatWithMessages(7);
  });
  const seqs = (page: { messages: Message[] }) => page.messages.map((m) => m.seq);

  it('returns the newest `limit` messages in ascending seq when neither before nor after is given', async () => {
    const ack = await fixture.other.request('history', { chatId: fixture.chatId, limit: 3 });
    expect(ack).toEqual({
      type: 'ack',
      action: 'history',
      requestId: expect.any(String),
      messages: fixture.messages.slice(4),
      hasMore: true,
    });
    expect(await history(fixture.other, fixture.chatId)).toEqual({
      messages: fixture.messages,
      hasMore: false,
    });
    expect(seqs(await history(fixture.other, fixture.chatId, { limit: 7 }))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await history(fixture.other, fixture.chatId, { limit: 7 })).hasMore).toBe(false);
    expect((await history(fixture.other, fixture.chatId, { limit: 100 })).hasMore).toBe(false);
  });

  it('pages backwards with before', async () => {
    const { other, chatId } = fixture;
    let page = await history(other, chatId, { before: 5, limit: 3 });
    expect({ seqs: seqs(page), hasMore: page.hasMore }).toEqual({ seqs: [2, 3, 4], hasMore: true });
    page = await history(other, chatId, { before: 2, limit: 3 });
    expect({ seqs: seqs(page), hasMore: page.hasMore }).toEqual({ seqs: [1], hasMore: false });
    page = await history(other, chatId, { before: 4, limit: 3 });
    expect({ seqs: seqs(page), hasMore: page.hasMore }).toEqual({ seqs: [1, 2, 3], hasMore: false });
    page = await history(other, chatId, { before: 1 });
    expect(page).toEqual({ messages: [], hasMore: false });
    page = await history(other, chatId, { before: 1000, limit: 2 });
    expect({ seqs: seqs(page), hasMore: page.hasMore }).toEqual({ seqs: [6, 7], hasMore: true });
  });

  it('pages forwards with after, oldest first', async () => {
    const { other, chatId } = fixture;
    let page = await history(other, chatId, { after: 1, limit: 3 });
    expect({ seqs: seqs(page), hasMore: page.hasMore }).toEqual({ seqs: [2, 3, 4], hasMore: true });
    page = await history(other, chatId, { after: 4, limit: 3 });
    expect({ seqs: seqs(page), hasMore: page.hasMore }).toEqual({ seqs: [5, 6, 7], hasMore: false });
    page = await history(other, chatId, { after: 5 });
    expect({ seqs: seqs(page), hasMore: page.hasMore }).toEqual({ seqs: [6, 7], hasMore: false });
    expect(await history(other, chatId, { after: 7 })).toEqual({ messages: [], hasMore: false });

    expect(await history(other, chatId, { after: 99 })).toEqual({ messages: [], hasMore: false });
    expect(page.messages).toEqual(fixture.messages.slice(5));
    // after: 0 (a client holding nothing) starts at the oldest message.
    page = await history(other, chatId, { after: 0, limit: 2 });
    expect({ seqs: seqs(page), hasMore: page.hasMore }).toEqual({ seqs: [1, 2], hasMore: true });
  });

  it('walks the whole chat both ways one page at a time without gaps or repeats', async () => {
    const { other, chatId } = fixture;
    const back: number[] = [];
    let page = await history(other, chatId, { limit: 2 });
    back.unshift(...seqs(page));
    while (page.hasMore) {
      page = await history(other, chatId, { before: back[0] as number, limit: 2 });
      back.unshift(...seqs(page));
    }
    expect(back).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const forward: number[] = [];
    page = await history(other, chatId, { before: 3, limit: 2 });
    forward.push(...seqs(page));
    page = { messages: [], hasMore: true };
    while (page.hasMore) {
      page = await history(other, chatId, { after: forward[forward.length - 1] as number, limit: 2 });
      forward.push(...seqs(page));
    }
    expect(forward).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('returns 50 messages by default', async () => {
    const a = await connectUser(stack);
    const chat = await makeGroup(a, [], 'Busy');
    for (let i = 1; i <= 52; i++) await sendText(a, chat.chatId, `m${i}`);
    const page = await history(a, chat.chatId);
    expect(page.hasMore).toBe(true);
    expect(seqs(page)).toEqual(Array.from({ length: 50 }, (_, i) => i + 3));
    const rest = await history(a, chat.chatId, { before: 3 });
    expect({ seqs: seqs(rest), hasMore: rest.hasMore }).toEqual({ seqs: [1, 2], hasMore: false });
  });

  it('includes deleted messages with deleted:true and empty text', async () => {
    const { owner, other, chatId, messages } = await chatWithMessages(3);
    const victim = messages[1] as Message;
    await owner.ok('deleteMessage', { chatId, messageId: victim.messageId });
    const page = await history(other, chatId);
    expect(page.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    // The deletion is a change under a newer version.
    expect(page.messages[1]).toEqual({ ...victim, text: '', deleted: true, ver: expect.any(Number) });
    expect(page.messages[1]?.ver).toBeGreaterThan(victim.ver);
  });
});

describe('editMessage', () => {
  it('changes the text, sets editedAt and sends message.updated to every member’s sockets', async () => {
    const a1 = await connectUser(stack);
    const a2 = await anotherSocket(stack, a1);
    const b = await connectUser(stack);
    const chat = await makeGroup(a1, [b.userId], 'Edits');
    const original = await sendText(a1, chat.chatId, 'teh typo');

    const ack = await a1.request('editMessage', {
      chatId: chat.chatId,
      messageId: original.messageId,
      text: 'the typo',
    });
    expect(ack).toEqual({
      type: 'ack',
      action: 'editMessage',
      requestId: expect.any(String),
      message: expect.any(Object),
    });
    const edited = ack.message as Message;
    expectMessageShape(edited);
    expect(edited).toEqual({
      ...original,
      text: 'the typo',
      editedAt: expect.stringMatching(ISO_TIME),
      ver: expect.any(Number),
    });
    expect(edited.ver).toBeGreaterThan(original.ver);
    expect(Date.parse(edited.editedAt as string)).toBeGreaterThanOrEqual(Date.parse(original.createdAt));

    for (const socket of [a1, a2, b]) {
      expect(await socket.event('message.updated', aboutMessage(original.messageId))).toEqual({
        type: 'message.updated',
        message: edited,
      });
    }
    expect((await history(b, chat.chatId)).messages).toEqual([edited]);
    expect((await getChat(b, chat.chatId)).lastSeq).toBe(1);

    // A second edit updates again.
    const again = (
      await a2.ok('editMessage', { chatId: chat.chatId, messageId: original.messageId, text: 'v3' })
    ).message as Message;
    expect(again).toMatchObject({ text: 'v3', seq: 1, messageId: original.messageId });
  });
});

describe('deleteMessage', () => {
  it('blanks the message, keeps its seq and id, and sends message.deleted to every member’s sockets', async () => {
    const a1 = await connectUser(stack);
    const a2 = await anotherSocket(stack, a1);
    const b = await connectUser(stack);
    const chat = await makeGroup(a1, [b.userId], 'Deletes');
    await sendText(a1, chat.chatId, 'keep');
    const victim = await sendText(a1, chat.chatId, 'oops');

    const ack = await a1.request('deleteMessage', { chatId: chat.chatId, messageId: victim.messageId });
    expect(ack).toEqual({
      type: 'ack',
      action: 'deleteMessage',
      requestId: expect.any(String),
      chatId: chat.chatId,
      messageId: victim.messageId,
    });
    const deleted = {
      type: 'message.deleted',
      chatId: chat.chatId,
      messageId: victim.messageId,
      seq: 2,
      ver: expect.any(Number),
    };
    for (const socket of [a1, a2, b]) {
      expect(await socket.event('message.deleted', aboutMessage(victim.messageId))).toEqual(deleted);
    }
    const page = await history(b, chat.chatId);
    expect(page.messages[1]).toEqual({ ...victim, text: '', deleted: true, ver: expect.any(Number) });
    expect(page.messages[1]?.ver).toBeGreaterThan(victim.ver);
    expect(page.messages[0]?.text).toBe('keep');

    // Deleting again acks again and sends no new event.
    const again = await a2.request('deleteMessage', { chatId: chat.chatId, messageId: victim.messageId });
    expect(again).toMatchObject({ type: 'ack', chatId: chat.chatId, messageId: victim.messageId });
    await settle(stack, a1, a2, b);
    for (const socket of [a1, a2, b]) {
      expect(eventsOf(socket, 'message.deleted', aboutMessage(victim.messageId))).toHaveLength(1);
    }
    // The next message still gets the next seq.
    expect((await sendText(b, chat.chatId, 'next')).seq).toBe(3);
  });
});

describe('readMessage and unread counts', () => {
  it('moves the read cursor forward only, with message.read only when it moved', async () => {
    const { owner, other, chatId, messages } = await chatWithMessages(5);
    const other2 = await anotherSocket(stack, other);
    const isRead = (f: Frame) => f.chatId === chatId && f.userId === other.userId;

    expect(await summaryOf(other, chatId)).toMatchObject({ lastSeq: 5, lastReadSeq: 0, unreadCount: 5 });
    expect(await summaryOf(owner, chatId)).toMatchObject({ lastSeq: 5, lastReadSeq: 5, unreadCount: 0 });

    const ack = await other.request('readMessage', { chatId, messageId: messages[2]?.messageId });
    expect(ack).toEqual({
      type: 'ack',
      action: 'readMessage',
      requestId: expect.any(String),
      chatId,
      lastReadSeq: 3,
    });
    const read3 = { type: 'message.read', chatId, userId: other.userId, lastReadSeq: 3 };
    for (const socket of [owner, other, other2])
      expect(await socket.event('message.read', isRead)).toEqual(read3);
    expect(await summaryOf(other, chatId)).toMatchObject({ lastReadSeq: 3, unreadCount: 2 });

    // Reading an earlier message does not move the cursor back, and sends nothing.
    const back = await other2.ok('readMessage', { chatId, messageId: messages[0]?.messageId });
    expect(back).toMatchObject({ chatId, lastReadSeq: 3 });
    const same = await other.ok('readMessage', { chatId, messageId: messages[2]?.messageId });
    expect(same).toMatchObject({ lastReadSeq: 3 });
    await settle(stack, owner, other, other2);
    for (const socket of [owner, other, other2])
      expect(eventsOf(socket, 'message.read', isRead)).toHaveLength(1);
    expect(memberOf(await getChat(owner, chatId), other.userId)?.lastReadSeq).toBe(3);

    // Reading the last one clears the unread count.
    await other.ok('readMessage', { chatId, messageId: messages[4]?.messageId });
    for (const socket of [owner, other, other2]) {
      expect(await socket.event('message.read', (f) => isRead(f) && f.lastReadSeq === 5)).toEqual({
        ...read3,
        lastReadSeq: 5,
      });
    }
    expect(await summaryOf(other, chatId)).toMatchObject({ lastReadSeq: 5, unreadCount: 0 });

    // New messages count as unread again; the reader's own message marks everything read.
    await sendText(owner, chatId, 'six');
    await sendText(owner, chatId, 'seven');
    expect(await summaryOf(other, chatId)).toMatchObject({ lastSeq: 7, lastReadSeq: 5, unreadCount: 2 });
    const reply = await sendText(other, chatId, 'eight');
    expect(reply.seq).toBe(8);
    expect(await summaryOf(other, chatId)).toMatchObject({ lastSeq: 8, lastReadSeq: 8, unreadCount: 0 });
    expect(await summaryOf(owner, chatId)).toMatchObject({ lastSeq: 8, lastReadSeq: 7, unreadCount: 1 });
  });

  it('keeps the highest cursor when reads race from several sockets', async () => {
    const { other, chatId, messages } = await chatWithMessages(4);
    const other2 = await anotherSocket(stack, other);
    const acks = await Promise.all(
      [3, 1, 2, 0].map((i, n) =>
        (n % 2 ? other2 : other).request('readMessage', { chatId, messageId: messages[i]?.messageId }),
      ),
    );
    expect(acks.filter((f) => f.type !== 'ack')).toEqual([]);
    expect(await summaryOf(other, chatId)).toMatchObject({ lastReadSeq: 4, unreadCount: 0 });
    await settle(stack, other, other2);
    const cursors = eventsOf(other, 'message.read', (f) => f.chatId === chatId).map(
      (f) => f.lastReadSeq as number,
    );
    expect(cursors).toContain(4);
    expect(new Set(cursors).size).toBe(cursors.length); // each forward move announced once
  });

  it('counts unread per member in a group of three', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const c = await connectUser(stack);
    const chat = await makeGroup(a, [b.userId, c.userId], 'Three');
    const sent: Message[] = [];
    for (const text of ['1', '2', '3', '4']) sent.push(await sendText(a, chat.chatId, text));
    await b.ok('readMessage', { chatId: chat.chatId, messageId: sent[1]?.messageId });
    expect(await summaryOf(a, chat.chatId)).toMatchObject({ unreadCount: 0, lastReadSeq: 4 });
    expect(await summaryOf(b, chat.chatId)).toMatchObject({ unreadCount: 2, lastReadSeq: 2 });
    expect(await summaryOf(c, chat.chatId)).toMatchObject({ unreadCount: 4, lastReadSeq: 0 });
    // Deleting and editing do not change counts.
    await a.ok('deleteMessage', { chatId: chat.chatId, messageId: sent[3]?.messageId });
    await a.ok('editMessage', { chatId: chat.chatId, messageId: sent[2]?.messageId, text: 'three' });
    expect(await summaryOf(c, chat.chatId)).toMatchObject({ unreadCount: 4, lastSeq: 4 });
    // An invited member starts with everything unread.
    const d = uniqueId('dee');
    await a.ok('invite', { chatId: chat.chatId, userIds: [d] });
    const dSocket = await connectUser(stack, d);
    const summary = await summaryOf(dSocket, chat.chatId);
    expect(summary).toMatchObject({ lastSeq: 4, memberCount: 4 });
    expect((summary?.unreadCount ?? -1) + (summary?.lastReadSeq ?? -1)).toBe(4);
  });
});

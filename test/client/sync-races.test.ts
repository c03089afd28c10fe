/**
 * Events and acks that arrive out of order (the fan-out posts of different Lambdas race, and a big
 * group's events go through a queue): a reaction before the edit it follows, the ack of one's first
 * message in a new group before its chat.created, an event or ack for a chat just left or deleted.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../client/src/index.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { serveAll, server, started, texts, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

const reactions = [{ emoji: '🎉', count: 1, userIds: ['bob'] }];

/** Bob reacts to message `seq` on the server: the message as it is then, at a new version. */
function react(chatId: string, seq: number): Message {
  const chat = server.get(chatId);
  const i = chat.messages.findIndex((m) => m.seq === seq);
  const reacted = { ...(chat.messages[i] as Message), reactions, ver: ++chat.lastVer };
  chat.messages[i] = reacted;
  return reacted;
}

const reactedEvent = (m: Message) => ({
  type: 'message.reacted',
  chatId: m.chatId,
  messageId: m.messageId,
  seq: m.seq,
  ver: m.ver,
  userId: 'bob',
  emoji: '🎉',
  removed: false,
  reactions,
});

describe('a reaction event ahead of an edit', () => {
  it('keeps the edit whose event comes after the reaction, and a catch-up brings the message whole', async () => {
    server.chat('a');
    const { client } = await started();
    const socket = FakeSocket.last;
    socket.push({ type: 'message.created', message: server.add('a', 'hello') });
    const edited = server.edit('a', 1, 'hello!');
    const reacted = react('a', 1);
    socket.push(reactedEvent(reacted));
    // The reactions show at once, the reaction's version is not claimed: the edit still applies.
    expect(client.messages('a')[0]).toMatchObject({ text: 'hello', reactions, ver: edited.ver - 1 });
    socket.push({ type: 'message.updated', message: edited });
    expect(texts(client, 'a')).toEqual(['hello!']);
    await flush(2000);
    await serveAll();
    expect(server.requests('sync').map((r) => r.sinceVer)).toEqual([0, edited.ver]);
    expect(client.messages('a')).toEqual([reacted]);
    expect(client.chat('a')?.lastVer).toBe(reacted.ver);
  });

  it('an edit whose event is lost: the catch-up the reaction asked for brings it', async () => {
    server.chat('a');
    const { client } = await started();
    const socket = FakeSocket.last;
    socket.push({ type: 'message.created', message: server.add('a', 'hello') });
    server.edit('a', 1, 'hello!');
    const reacted = react('a', 1);
    socket.push(reactedEvent(reacted));
    await flush(2000);
    await serveAll();
    expect(client.messages('a')).toEqual([reacted]);
    expect(texts(client, 'a')).toEqual(['hello!']);
  });

  it('a reaction right after the version held is taken whole: no catch-up', async () => {
    server.chat('a');
    const { client } = await started();
    const socket = FakeSocket.last;
    socket.push({ type: 'message.created', message: server.add('a', 'hello') });
    const reacted = react('a', 1);
    socket.push(reactedEvent(reacted));
    expect(client.messages('a')).toEqual([reacted]);
    await flush(10_000);
    await serveAll();
    expect(server.requests('sync')).toHaveLength(1);
  });
});

describe("one's first message in a new group, acked before its chat.created", () => {
  it('is held from the ack, and stays when chat.created (lastSeq 0) comes after', async () => {
    const { client } = await started();
    const socket = FakeSocket.last;
    const group = server.chat('g', ['bob', 'carol']);
    const created = server.view(group); // as createChat saw it: no message yet
    const sent = client.sendMessage('g', 'welcome');
    await serveAll();
    const m = await sent;
    expect(texts(client, 'g')).toEqual(['welcome']);
    socket.push({ type: 'chat.created', chat: created });
    expect(client.chat('g')).toMatchObject({ kind: 'group', name: 'g', lastSeq: 1, lastVer: m.ver });
    await flush(10_000);
    await serveAll();
    expect(texts(client, 'g')).toEqual(['welcome']);
    expect(server.requests('sync').filter((r) => r.chatId === 'g')).toEqual([]);
  });

  it('without its chat.created, the chat is caught up after gapMs', async () => {
    const { client } = await started();
    server.chat('g', ['bob', 'carol']);
    const sent = client.sendMessage('g', 'welcome');
    await serveAll();
    await sent;
    await flush(2000);
    await serveAll();
    expect(server.requests('getChat').map((r) => r.chatId)).toEqual(['g']);
    expect(client.chat('g')).toMatchObject({ kind: 'group', name: 'g', memberCount: 3 });
    expect(texts(client, 'g')).toEqual(['welcome']);
  });
});

describe('an event or ack for a chat just left or deleted', () => {
  /** The client with chat `a` held, and every `chat` event it tells from now on. */
  async function holdingA() {
    server.chat('a', ['bob', 'carol']);
    const h = await started();
    const told: string[] = [];
    h.client.on('chat', ({ chatId, chat }) => told.push(`${chatId} ${chat ? 'changed' : 'gone'}`));
    return { ...h, socket: FakeSocket.last, told };
  }

  it('chat.deleted, then late events: the chat does not come back as a nameless stub', async () => {
    const { client, socket, told } = await holdingA();
    const late = server.add('a', 'sent before the delete');
    socket.push({ type: 'chat.deleted', chatId: 'a' });
    server.chats.delete('a');
    socket.push({ type: 'message.created', message: late });
    socket.push({ type: 'member.left', chatId: 'a', userId: 'carol', ver: late.ver + 1 });
    await flush(10_000);
    await serveAll();
    expect(client.chat('a')).toBeUndefined();
    expect(told).toEqual(['a gone']);
    expect(server.requests('getChat')).toEqual([]);
  });

  it('member.left of oneself, then the ack of a send made before: the chat stays gone; the send resolves', async () => {
    const { client, socket, told } = await holdingA();
    const sent = client.sendMessage('a', 'bye');
    await flush();
    socket.push({ type: 'member.left', chatId: 'a', userId: 'me' });
    server.serve(socket);
    await expect(sent).resolves.toMatchObject({ text: 'bye' });
    await flush(10_000);
    expect(client.chat('a')).toBeUndefined();
    expect(told).toEqual(['a gone']);
  });

  it('your own leave or delete: the chat is gone at its ack, and its late events do not bring it back', async () => {
    server.chat('b', ['bob', 'carol']);
    server.chat('c', ['bob', 'carol']);
    const { client, socket, told } = await holdingA();
    const left = client.request('removeMember', { chatId: 'a', userId: 'me' });
    const deleted = client.request('deleteChat', { chatId: 'b' });
    // Bob's removal is not yours: the chat stays.
    const removed = client.request('removeMember', { chatId: 'c', userId: 'bob' });
    await flush();
    for (const r of socket.requests('removeMember')) socket.ack(r, { chatId: r.chatId, userId: r.userId });
    socket.ack(socket.requests('deleteChat')[0] as never, { chatId: 'b' });
    await Promise.all([left, deleted, removed]);
    expect(client.chat('a')).toBeUndefined();
    expect(client.chat('b')).toBeUndefined();
    expect(told).toEqual(['a gone', 'b gone']);
    socket.push({ type: 'message.created', message: server.add('a', 'late') });
    socket.push({ type: 'message.created', message: server.add('b', 'late') });
    await flush(10_000);
    expect(client.chats().map((c) => c.chatId)).toEqual(['c']);
  });

  /**
   * You leave (version v); another member invites you back (v + 1) before the leave's ack reaches you;
   * its events come in `order`, then the ack. The chat stays, and its events apply.
   */
  async function leaveRacingRejoin(order: 'left first' | 'joined first') {
    const { client, socket, told } = await holdingA();
    const left = client.request('removeMember', { chatId: 'a', userId: 'me' });
    await flush();
    const chat = server.get('a');
    const leftVer = ++chat.lastVer;
    chat.lastVer++;
    const events = [
      { type: 'member.left', chatId: 'a', userId: 'me', ver: leftVer },
      { type: 'chat.joined', chat: server.view(chat) },
    ];
    for (const event of order === 'left first' ? events : events.reverse()) socket.push(event);
    const request = socket.requests('removeMember')[0] as Sent;
    server.answered.add(request.requestId);
    socket.ack(request, { chatId: 'a', userId: 'me' });
    await left;
    await serveAll();
    socket.push({ type: 'message.created', message: server.add('a', 'welcome back') });
    await flush(10_000);
    await serveAll();
    expect(client.chat('a')).toMatchObject({ name: 'a' });
    expect(texts(client, 'a')).toEqual(['welcome back']);
    return told;
  }

  it('your own leave, then member.left and chat.joined (invited back) before its ack: the chat stays', async () => {
    // Gone at its member.left, back at its chat.joined, and not gone again at the ack.
    expect((await leaveRacingRejoin('left first')).filter((t) => t === 'a gone')).toHaveLength(1);
  });

  it('your own leave, then chat.joined (invited back) before its member.left and its ack: the chat stays', async () => {
    // Never gone: the late member.left is older than the chat held (ignored), and so is the ack.
    expect((await leaveRacingRejoin('joined first')).filter((t) => t === 'a gone')).toHaveLength(0);
  });

  it('joined again: the chat is back, and its events apply', async () => {
    const { client, socket } = await holdingA();
    const chat = server.get('a');
    socket.push({ type: 'member.left', chatId: 'a', userId: 'me', ver: ++chat.lastVer });
    expect(client.chat('a')).toBeUndefined();
    // The invite that brings you back takes the next version.
    chat.lastVer++;
    socket.push({ type: 'chat.joined', chat: server.view(chat) });
    await serveAll();
    socket.push({ type: 'message.created', message: server.add('a', 'welcome back') });
    expect(client.chat('a')).toMatchObject({ name: 'a' });
    expect(texts(client, 'a')).toEqual(['welcome back']);
  });

  it('joined again, then a late repeat of your own member.left (at least once delivery): the chat stays', async () => {
    const { client, socket } = await holdingA();
    // Your leave took version v, the invite that brought you back v + 1.
    const chat = server.get('a');
    const leftVer = ++chat.lastVer;
    chat.lastVer++;
    socket.push({ type: 'member.left', chatId: 'a', userId: 'me', ver: leftVer });
    socket.push({ type: 'chat.joined', chat: server.view(chat) });
    await serveAll();
    expect(client.chat('a')).toMatchObject({ name: 'a' });
    socket.push({ type: 'member.left', chatId: 'a', userId: 'me', ver: leftVer });
    socket.push({ type: 'message.created', message: server.add('a', 'welcome back') });
    await flush(10_000);
    await serveAll();
    expect(client.chat('a')).toMatchObject({ name: 'a' });
    expect(texts(client, 'a')).toEqual(['welcome back']);
  });
});

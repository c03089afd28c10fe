/**
 * A chat you left stays gone when the server's word from before the leave comes late: a `listChats`
 * answer read before it (the request went out before the leave's ack or `member.left`, the answer
 * lands after), or a repeat of the `chat.joined` that first added you (events are at least once).
 * Being added again (a newer `chat.joined`) still brings it back.
 */
import { describe, expect, it } from 'vitest';
import type { ChatClient } from '../../client/src/index.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { serveAll, server, started, texts, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

/** The client, told of every `chat` event from now on, with chat `a` held as `via` brought it. */
async function holdingA(via: 'listChats' | 'chat.joined') {
  if (via === 'listChats') server.chat('a', ['bob', 'carol']);
  const h = await started();
  const socket = FakeSocket.last;
  const told: string[] = [];
  h.client.on('chat', ({ chatId, chat }) => told.push(`${chatId} ${chat ? 'changed' : 'gone'}`));
  let joined: Record<string, unknown> | undefined;
  if (via === 'chat.joined') {
    // Bob's group; you are invited at version 2 (the chat.joined's lastVer).
    const chat = server.chat('a', ['bob', 'carol']);
    chat.lastVer++;
    joined = { type: 'chat.joined', chat: server.view(chat) };
    socket.push(joined);
    await serveAll();
    told.length = 0;
  }
  expect(h.client.chat('a')).toMatchObject({ name: 'a' });
  return { ...h, socket, told, joined };
}

/**
 * You leave `a` (version lastVer + 1): from this client (known at its ack), or from another device
 * (known from `member.left`). The server answers NOT_FOUND for the chat from then on.
 */
async function leave(client: ChatClient, socket: FakeSocket, how: 'ack' | 'member.left') {
  const chat = server.get('a');
  const ver = ++chat.lastVer;
  server.chats.delete('a');
  if (how === 'member.left') socket.push({ type: 'member.left', chatId: 'a', userId: 'me', ver });
  else {
    const left = client.request('removeMember', { chatId: 'a', userId: 'me' });
    await flush();
    const r = socket.requests('removeMember').at(-1) as Sent;
    server.answered.add(r.requestId);
    socket.ack(r, { chatId: 'a', userId: 'me' });
    await left;
  }
  return chat;
}

describe('a listChats answer read before your leave, landing after it', () => {
  for (const how of ['ack', 'member.left'] as const) {
    it(`does not bring the chat back (the leave known from its ${how})`, async () => {
      const { client, socket, told } = await holdingA('listChats');
      const asked = server.log.length;
      const listing = client.syncNow();
      await flush();
      const list = socket.requests('listChats').at(-1) as Sent;
      const before = server.answer(list);
      server.answered.add(list.requestId);
      await leave(client, socket, how);
      expect(client.chat('a')).toBeUndefined();
      socket.ack(list, before);
      expect(client.chat('a')).toBeUndefined();
      await serveAll();
      await listing;
      await flush(10_000);
      expect(client.chat('a')).toBeUndefined();
      expect(told).toEqual(['a gone']);
      expect(server.log.slice(asked).filter((r) => r.chatId === 'a')).toEqual([]);
    });
  }

  it('one read after being added again lists it: the chat is back', async () => {
    const { client, socket } = await holdingA('listChats');
    const chat = await leave(client, socket, 'ack');
    // Invited back (a newer version); its chat.joined is lost: the next listChats brings the chat.
    chat.lastVer++;
    server.chats.set('a', chat);
    const listing = client.syncNow();
    await serveAll();
    await listing;
    expect(client.chat('a')).toMatchObject({ name: 'a', lastVer: chat.lastVer });
  });
});

describe('a late repeat of the chat.joined that added you, after you left', () => {
  for (const how of ['ack', 'member.left'] as const) {
    it(`does not bring the chat back; being added again does (the leave known from its ${how})`, async () => {
      const { client, socket, told, joined } = await holdingA('chat.joined');
      const chat = await leave(client, socket, how);
      socket.push(joined as Record<string, unknown>);
      expect(client.chat('a')).toBeUndefined();
      await flush(10_000);
      expect(client.chat('a')).toBeUndefined();
      expect(told).toEqual(['a gone']);
      // Invited back: a newer version.
      chat.lastVer++;
      server.chats.set('a', chat);
      socket.push({ type: 'chat.joined', chat: server.view(chat) });
      await serveAll();
      socket.push({ type: 'message.created', message: server.add('a', 'welcome back') });
      expect(client.chat('a')).toMatchObject({ name: 'a' });
      expect(texts(client, 'a')).toEqual(['welcome back']);
    });
  }

  it('against a server without versions, being added again brings the chat back', async () => {
    server.syncSupported = false;
    const { client, socket } = await holdingA('listChats');
    socket.push({ type: 'member.left', chatId: 'a', userId: 'me' });
    expect(client.chat('a')).toBeUndefined();
    socket.push({ type: 'chat.joined', chat: server.view(server.get('a')) });
    await serveAll();
    expect(client.chat('a')).toMatchObject({ name: 'a', lastVer: 0 });
  });
});

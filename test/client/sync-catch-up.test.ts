/**
 * Catch-up after connecting on a fake socket and a fake server: listChats paging, sync paging
 * from the stored cursor, reset, resuming from a store, and the v1 fallback (history).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../client/src/index.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { fakeClient, flush } from './support/harness.ts';
import { serveAll, server, started, texts, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

describe('catching up after connecting', () => {
  it('pages listChats, then syncs each chat from version 0 until hasMore is false', async () => {
    server.listPage = 2;
    for (const id of ['a', 'b', 'c']) server.chat(id);
    for (let i = 1; i <= 150; i++) server.add('a', `a${i}`);
    server.add('b', 'b1');
    const { client, changes } = await started();
    expect(server.requests('listChats').map((r) => r.cursor ?? null)).toEqual([null, '2']);
    expect(server.requests('sync').map((r) => [r.chatId, r.sinceVer])).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 0],
      ['a', 101],
    ]);
    expect(texts(client, 'a')).toEqual(Array.from({ length: 150 }, (_, i) => `a${i + 1}`));
    expect(texts(client, 'b')).toEqual(['b1']);
    expect(
      client
        .chats()
        .map((c) => c.chatId)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(client.chat('a')?.members?.map((m) => m.userId)).toEqual(['me', 'bob']);
    // Delivered to the app per chat in order, each message once.
    const a = changes.filter((c) => c.chatId === 'a').flatMap((c) => c.messages.map((m) => m.seq));
    expect(a).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
  });

  it('after a reconnect syncs only the chats that moved, from their cursor, and drops chats no longer listed', async () => {
    for (const id of ['a', 'b', 'gone']) server.chat(id);
    server.add('a', 'a1');
    server.add('b', 'b1');
    const { client } = await started();
    const removed: string[] = [];
    client.on('chat', (c) => {
      if (c.chat === null) removed.push(c.chatId);
    });
    FakeSocket.last.serverClose(1001);
    server.add('a', 'a2 (while away)');
    server.edit('a', 1, 'a1 edited while away');
    server.remove('b', 1);
    server.chats.delete('gone');
    const before = server.requests('sync').length;
    await flush(60_000);
    FakeSocket.last.open();
    await serveAll();
    expect(
      server
        .requests('sync')
        .slice(before)
        .map((r) => [r.chatId, r.sinceVer]),
    ).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
    expect(texts(client, 'a')).toEqual(['a1 edited while away', 'a2 (while away)']);
    expect(client.messages('b')[0]).toMatchObject({ deleted: true, text: '' });
    expect(removed).toEqual(['gone']);
    expect(client.chat('gone')).toBeUndefined();
  });

  it('keeps a chat that listChats missed but getChat still finds, and catches it up', async () => {
    server.chat('a');
    const { client } = await started();
    FakeSocket.last.serverClose(1001);
    server.add('a', 'while away');
    server.unlisted.add('a');
    await flush(60_000);
    FakeSocket.last.open();
    await serveAll();
    expect(server.requests('getChat').map((r) => r.chatId)).toEqual(['a']);
    expect(texts(client, 'a')).toEqual(['while away']);
  });

  it('reloads a chat with history when sync answers reset, then syncs on from the reset lastVer', async () => {
    server.chat('a');
    server.add('a', 'one');
    const { client } = await started();
    FakeSocket.last.serverClose(1006);
    server.add('a', 'two');
    server.resetNext = true;
    await flush(60_000);
    FakeSocket.last.open();
    await serveAll();
    expect(client.stats.resets).toBe(1);
    expect(server.requests('history').map((r) => r.after)).toEqual([0]);
    expect(server.requests('sync').at(-1)?.sinceVer).toBe(server.get('a').lastVer);
    expect(texts(client, 'a')).toEqual(['one', 'two']);
  });

  it('keeps the unread count through a reset: messages counted as they came are not counted again', async () => {
    server.chat('a');
    server.add('a', 'one');
    const { client } = await started();
    expect(client.chat('a')?.unreadCount).toBe(1);
    FakeSocket.last.push({ type: 'message.created', message: server.add('a', 'two') });
    FakeSocket.last.push({ type: 'message.created', message: server.add('a', 'three') });
    await serveAll();
    expect(client.chat('a')?.unreadCount).toBe(3);
    server.resetNext = true;
    const caughtUp = client.syncNow('a');
    await serveAll();
    await caughtUp;
    expect(client.stats.resets).toBe(1);
    expect(texts(client, 'a')).toEqual(['one', 'two', 'three']);
    expect(client.chat('a')?.unreadCount).toBe(3);
  });

  it('resumes from a store after a restart without a full reload', async () => {
    const store = new MemoryStore();
    server.chat('a');
    for (let i = 1; i <= 5; i++) server.add('a', `m${i}`);
    const first = await started({ store });
    first.client.close();
    await flush();
    server.add('a', 'm6');
    FakeSocket.reset();
    const before = server.requests('sync').length;
    const second = await started({ store });
    expect(texts(second.client, 'a')).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(
      server
        .requests('sync')
        .slice(before)
        .map((r) => r.sinceVer),
    ).toEqual([6]);
    expect(second.changes.flatMap((c) => c.messages.map((m) => m.text))).toEqual(['m6']);
  });
});

describe('servers without sync (v1)', () => {
  it('catches up with history after the last seq held, and stops calling markDelivered', async () => {
    server.syncSupported = false;
    server.deliveredSupported = false;
    server.chat('a');
    server.add('a', 'one');
    const { client } = await started();
    expect(texts(client, 'a')).toEqual(['one']);
    FakeSocket.last.push({ type: 'message.created', message: server.add('a', 'two') });
    await serveAll(3);
    await flush(5000);
    await serveAll(3);
    expect(server.requests('markDelivered')).toHaveLength(1);
    FakeSocket.last.serverClose(1001);
    server.add('a', 'three');
    await flush(60_000);
    FakeSocket.last.open();
    await serveAll();
    expect(server.requests('history').map((r) => r.after)).toEqual([0, 2]);
    expect(texts(client, 'a')).toEqual(['one', 'two', 'three']);
    // A seq hole (a lost event) is filled from history too.
    server.add('a', 'four (lost)');
    FakeSocket.last.push({ type: 'message.created', message: server.add('a', 'five') });
    await flush(2000);
    await serveAll();
    expect(texts(client, 'a')).toEqual(['one', 'two', 'three', 'four (lost)', 'five']);
  });
});

describe('the order of chats while they catch up', () => {
  const sentAt = (chatId: string, text: string, second: number) =>
    Object.assign(server.add(chatId, text), { createdAt: `2026-12-01T18:00:0${second}.000Z` });
  const serveBut = async (hold: (r: { action: string; chatId?: unknown }) => boolean) => {
    for (let i = 0; i < 5; i++) {
      await flush();
      server.serve(FakeSocket.last, hold);
    }
  };

  it('is the listed order (newest message first) from listChats on, whichever chat syncs first', async () => {
    for (const id of ['a', 'b', 'c']) server.chat(id);
    sentAt('a', 'oldest', 1);
    sentAt('b', 'newest', 3);
    sentAt('c', 'middle', 2);
    const { client } = fakeClient({ gapMs: 2000, deliveredIntervalMs: 3000 });
    const order = () => client.chats().map((c) => c.chatId);
    await flush();
    FakeSocket.last.open();
    await serveBut((r) => r.action === 'sync');
    expect(texts(client, 'b')).toEqual([]);
    // Listed, nothing held yet: the rows already stand where they will stay.
    expect(order()).toEqual(['b', 'c', 'a']);
    // The oldest chat's messages arrive first: its row does not jump to the top.
    await serveBut((r) => r.action === 'sync' && r.chatId !== 'a');
    expect(texts(client, 'a')).toEqual(['oldest']);
    expect(order()).toEqual(['b', 'c', 'a']);
    await serveAll();
    expect(order()).toEqual(['b', 'c', 'a']);
    // A newer message, live, moves its chat first.
    FakeSocket.last.push({ type: 'message.created', message: sentAt('a', 'now', 4) });
    await serveAll();
    expect(order()).toEqual(['a', 'b', 'c']);
  });
});

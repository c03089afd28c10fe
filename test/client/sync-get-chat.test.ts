/**
 * A `getChat` the app asks for (`client.request`) updates the chat held, as a Chat from an event:
 * its members and their cursors (the only way to learn them in a group of more members than listed,
 * which is not refreshed after a reconnect: sync-receipts.test.ts), within the replica's rules: not
 * a chat not held or gone, and not an answer older than a member list taken since it was asked;
 * nor by a client that keeps no copy (`sync: false`).
 */
import { describe, expect, it } from 'vitest';
import { type ChatClient, MemoryStore } from '../../client/src/index.ts';
import { member } from './support/fake-server.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { serveAll, server, started, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

/** Asks getChat of `chatId` and leaves it unanswered: the server's fake marks it answered. */
async function asked(client: ChatClient, chatId: string) {
  const reply = client.request('getChat', { chatId });
  await flush();
  const r = FakeSocket.last.requests('getChat').at(-1) as Sent;
  server.answered.add(r.requestId);
  return { reply, answer: (fields: Record<string, unknown>) => FakeSocket.last.ack(r, fields) };
}

const cursors = (client: ChatClient, chatId: string) =>
  Object.fromEntries((client.chat(chatId)?.members ?? []).map((m) => [m.userId, m.lastReadSeq]));

describe('a getChat answer', () => {
  it("updates the chat held: members and cursors in a big group (others' reads are not told there)", async () => {
    const big = server.chat(
      'g',
      Array.from({ length: 499 }, (_, i) => `u${i}`),
    );
    const { client } = await started();
    const sent = client.sendMessage('g', 'did everyone read this?');
    await serveAll();
    await sent;
    expect(cursors(client, 'g').u0).toBe(0);
    // u0 and u1 read it; no message.read comes (a group of 500).
    for (const m of big.members.slice(1, 3)) m.lastReadSeq = 1;
    const told: string[] = [];
    client.on('chat', ({ chatId }) => told.push(chatId));
    const request = client.request('getChat', { chatId: 'g' });
    await serveAll();
    await request;
    expect(cursors(client, 'g')).toMatchObject({ u0: 1, u1: 1, u2: 0 });
    expect(client.chat('g')).toMatchObject({ memberCount: 500 });
    expect(told).toContain('g');
  });

  it('older than a member list taken since it was asked: not taken', async () => {
    const chat = server.chat('a', ['bob', 'carol']);
    const { client } = await started();
    const before = server.view(chat);
    const { reply, answer } = await asked(client, 'a');
    chat.members.push(member('dave'));
    chat.memberVer = ++chat.lastVer;
    FakeSocket.last.push({ type: 'member.joined', chatId: 'a', userIds: ['dave'], ver: chat.memberVer });
    await serveAll();
    expect(client.chat('a')).toMatchObject({ memberCount: 4 });
    // The answer read before dave joined lands now.
    answer({ chat: before });
    await reply;
    await flush();
    expect(client.chat('a')?.members?.map((m) => m.userId)).toEqual(['me', 'bob', 'carol', 'dave']);
    expect(client.chat('a')).toMatchObject({ memberCount: 4 });
  });

  it('of a chat left meanwhile, or never held: no chat is brought in', async () => {
    const chat = server.chat('a', ['bob', 'carol']);
    const { client } = await started();
    const { reply, answer } = await asked(client, 'a');
    server.chats.delete('a');
    FakeSocket.last.push({ type: 'member.left', chatId: 'a', userId: 'me', ver: ++chat.lastVer });
    expect(client.chat('a')).toBeUndefined();
    answer({ chat: server.view(chat) });
    await reply;
    // A chat the client does not hold (not listed yet): listChats or its events bring it.
    const other = server.chat('b', ['bob', 'carol']);
    const second = await asked(client, 'b');
    second.answer({ chat: server.view(other) });
    await second.reply;
    await flush();
    expect(client.chats().map((c) => c.chatId)).toEqual([]);
  });

  it('is left alone by a client without sync, also for a chat its store holds', async () => {
    const chat = server.chat('a', ['bob', 'carol']);
    const store = new MemoryStore();
    const first = await started({ store });
    await first.client.close();
    (chat.members[1] as { lastReadSeq: number }).lastReadSeq = 1;
    server.add('a', 'while away');
    const { client } = await started({ store, sync: false });
    const request = client.request('getChat', { chatId: 'a' });
    await serveAll();
    expect((await request).chat.lastSeq).toBe(1);
    await flush(10_000);
    await serveAll();
    expect(cursors(client, 'a')).toEqual({ me: 0, bob: 0, carol: 0 });
    expect(client.chat('a')).toMatchObject({ lastSeq: 0 });
    expect(FakeSocket.last.requests().map((r) => r.action)).toEqual(['getChat']);
  });

  it('taken after the member list held, but read from a lagging copy (behind its version), changes nothing', async () => {
    const ids = (client: ChatClient) => client.chat('a')?.members?.map((m) => m.userId);
    const chat = server.chat('a', ['bob', 'carol']);
    const { client } = await started();
    const sent = client.sendMessage('a', 'hi');
    await serveAll();
    await sent;
    // What a lagging copy still answers: before dave joined.
    const lagging = server.view(chat);
    chat.members.push(member('dave'));
    chat.memberVer = ++chat.lastVer;
    FakeSocket.last.push({ type: 'member.joined', chatId: 'a', userIds: ['dave'], ver: chat.memberVer });
    await serveAll();
    expect(ids(client)).toEqual(['me', 'bob', 'carol', 'dave']);
    for (const userId of ['bob', 'carol']) {
      FakeSocket.last.push({ type: 'message.read', chatId: 'a', userId, lastReadSeq: 1 } as never);
    }
    await flush();
    const { reply, answer } = await asked(client, 'a');
    answer({ chat: lagging });
    await reply;
    await flush();
    // Dave stays listed (and unread by him: the ticks cannot claim everyone read it).
    expect(ids(client)).toEqual(['me', 'bob', 'carol', 'dave']);
    expect(client.chat('a')?.memberCount).toBe(4);
    expect(cursors(client, 'a')).toMatchObject({ bob: 1, carol: 1, dave: 0 });

    // A leave: a lagging answer still naming bob does not bring him back.
    const named = server.view(chat);
    chat.members.splice(1, 1);
    chat.memberVer = ++chat.lastVer;
    FakeSocket.last.push({ type: 'member.left', chatId: 'a', userId: 'bob', ver: chat.memberVer });
    await serveAll();
    expect(ids(client)).toEqual(['me', 'carol', 'dave']);
    const again = await asked(client, 'a');
    again.answer({ chat: named });
    await again.reply;
    await flush();
    expect(ids(client)).toEqual(['me', 'carol', 'dave']);
    expect(client.chat('a')?.memberCount).toBe(3);
  });
});

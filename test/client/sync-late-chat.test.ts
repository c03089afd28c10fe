/**
 * A late repeat of a `chat.joined` or `chat.created` of a chat held (events are at least once, and a
 * redelivery can come 10-60 s late): its Chat is older than the chat held, so like a lagging `getChat`
 * answer it is not taken. The member list held stays (no one who left comes back, no one who joined
 * goes), the ticks after a reconnect are refreshed as for any chat, and the repeat does not count as
 * being invited back (a leave asked for afterwards removes the chat at its ack). A newer Chat, and
 * one of a chat only known from an event so far, are taken as before (sync-races.test.ts).
 * Being invited back is told by your own `joinedAt`: a Chat (even one behind the version held, as
 * the `chat.joined` of the invitation is when a message written after it came first) or a sync
 * answer that lists you with a later one than held keeps the chat at the late ack of your leave.
 */
import { describe, expect, it } from 'vitest';
import type { Chat, ChatClient } from '../../client/src/index.ts';
import { member, TIME } from './support/fake-server.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { serveAll, server, started, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

const ids = (client: ChatClient) => client.chat('g')?.members?.map((m) => m.userId);

/** A group held with bob and carol, and the Chat its first `type` event carried. */
async function holding(type: 'chat.joined' | 'chat.created') {
  const chat = server.chat('g', ['bob', 'carol']);
  const first: Chat = server.view(chat);
  const { client } = await started();
  return { client, chat, repeat: () => FakeSocket.last.push({ type, chat: first }) };
}

/** The repeat lands, and whatever catch-up it could cause has run. */
async function late(repeat: () => void) {
  repeat();
  await serveAll();
  await flush(60_000);
  await serveAll();
}

describe('a late repeat of the chat.joined or chat.created of a chat held', () => {
  for (const type of ['chat.joined', 'chat.created'] as const) {
    it(`${type}: keeps a member who joined since, and one who left stays gone`, async () => {
      const { client, chat, repeat } = await holding(type);
      chat.members.push(member('dave'));
      chat.memberVer = ++chat.lastVer;
      FakeSocket.last.push({ type: 'member.joined', chatId: 'g', userIds: ['dave'], ver: chat.memberVer });
      await serveAll();
      chat.members = chat.members.filter((m) => m.userId !== 'carol');
      chat.memberVer = ++chat.lastVer;
      FakeSocket.last.push({ type: 'member.left', chatId: 'g', userId: 'carol', ver: chat.memberVer });
      await serveAll();
      expect(ids(client)).toEqual(['me', 'bob', 'dave']);
      await late(repeat);
      expect(ids(client)).toEqual(['me', 'bob', 'dave']);
      expect(client.chat('g')).toMatchObject({ memberCount: 3, name: 'g' });
    });
  }

  it('the ticks of a message not read by everyone are refreshed after a reconnect', async () => {
    const { client, chat, repeat } = await holding('chat.joined');
    chat.members.push(member('dave'));
    chat.memberVer = ++chat.lastVer;
    FakeSocket.last.push({ type: 'member.joined', chatId: 'g', userIds: ['dave'], ver: chat.memberVer });
    await serveAll();
    await late(repeat);
    const sent = client.sendMessage('g', 'hello all');
    await serveAll();
    await sent;
    for (const userId of ['bob', 'carol']) {
      FakeSocket.last.push({ type: 'message.read', chatId: 'g', userId, lastReadSeq: 1 });
    }
    await flush();
    // Dave read it while the socket was down: only a getChat tells.
    (chat.members[3] as { lastReadSeq: number }).lastReadSeq = 1;
    const asked = server.requests('getChat').length;
    FakeSocket.last.serverClose(1006);
    await flush(60_000);
    FakeSocket.last.open();
    await serveAll();
    expect(server.requests('getChat').length - asked).toBe(1);
    expect(client.chat('g')?.members?.map((m) => [m.userId, m.lastReadSeq])).toEqual([
      ['me', 1],
      ['bob', 1],
      ['carol', 1],
      ['dave', 1],
    ]);
  });

  it('is not an invitation back: a leave whose ack comes after it removes the chat', async () => {
    const { client, repeat } = await holding('chat.joined');
    FakeSocket.last.push({ type: 'message.created', message: server.add('g', 'newer than the repeat') });
    const left = client.request('removeMember', { chatId: 'g', userId: 'me' });
    await flush();
    repeat();
    const request = FakeSocket.last.requests('removeMember')[0] as Sent;
    server.answered.add(request.requestId);
    FakeSocket.last.ack(request, { chatId: 'g', userId: 'me' });
    await left;
    expect(client.chat('g')).toBeUndefined();
  });

  it('a newer chat.joined of a chat held is taken: its members', async () => {
    const { client, chat } = await holding('chat.joined');
    chat.members.push(member('dave'));
    chat.memberVer = ++chat.lastVer;
    FakeSocket.last.push({ type: 'chat.joined', chat: server.view(chat) });
    await serveAll();
    expect(ids(client)).toEqual(['me', 'bob', 'carol', 'dave']);
  });
});

describe('invited back while your leave is in flight', () => {
  /**
   * A group held; you ask to leave and the server takes it, then bob adds you again (a later
   * joinedAt) and writes. The message arrives first; the `chat.joined` of the invitation, the ack.
   */
  async function leftAndBack() {
    const chat = server.chat('g', ['bob', 'carol']);
    chat.ownerId = 'bob';
    const { client } = await started();
    const left = client.request('removeMember', { chatId: 'g', userId: 'me' });
    await flush();
    const request = FakeSocket.last.requests('removeMember')[0] as Sent;
    server.answered.add(request.requestId);
    chat.members = chat.members.filter((m) => m.userId !== 'me');
    chat.memberVer = ++chat.lastVer;
    chat.members.push({ ...member('me'), joinedAt: new Date(Date.parse(TIME) + 60_000).toISOString() });
    chat.memberVer = ++chat.lastVer;
    const joined: Chat = server.view(chat);
    FakeSocket.last.push({ type: 'message.created', message: server.add('g', 'after the invite') });
    await flush();
    return {
      client,
      joined: () => FakeSocket.last.push({ type: 'chat.joined', chat: joined }),
      ack: async () => {
        FakeSocket.last.ack(request, { chatId: 'g', userId: 'me' });
        await left;
        await serveAll();
      },
    };
  }

  it('the chat.joined after a newer message (behind the chat held) keeps the chat at the ack', async () => {
    const { client, joined, ack } = await leftAndBack();
    joined();
    await flush();
    await ack();
    expect(client.chat('g')).toMatchObject({ name: 'g', memberCount: 3 });
    expect(client.messages('g').map((m) => m.text)).toEqual(['after the invite']);
  });

  it('a catch-up that lists you again (the hole below the message) keeps it too', async () => {
    const { client, joined, ack } = await leftAndBack();
    await flush(2_000);
    await serveAll();
    expect(server.requests('sync').length).toBeGreaterThan(0);
    joined();
    await flush();
    await ack();
    expect(ids(client)).toEqual(['bob', 'carol', 'me']);
  });
});

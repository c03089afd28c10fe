/**
 * Catch-up and live events on a fake socket and a fake server: listChats paging, sync paging from
 * the stored cursor, reset, idempotent application by version, holes, markDelivered batching,
 * the v1 fallback (history) and resuming from a store.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChatClient, MemoryStore, type Message } from '../../client/src/index.ts';
import { MEMBERS_LISTED_MAX } from '../../client/src/replica.ts';
import { LIMITS } from '../../lambdas/contract/limits.ts';
import { FakeServer, LISTED, member } from './support/fake-server.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { fakeClient, flush } from './support/harness.ts';

let server: FakeServer;

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
  server = new FakeServer();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Serves every request until the client has nothing more to ask. */
async function serveAll(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await flush();
    server.serve(FakeSocket.last);
  }
  await flush();
}

async function started(options: Parameters<typeof fakeClient>[0] = {}) {
  const h = fakeClient({ gapMs: 2000, deliveredIntervalMs: 3000, ...options });
  const changes: { chatId: string; messages: readonly Message[] }[] = [];
  h.client.on('messages', (c) => changes.push(c));
  await flush();
  FakeSocket.last.open();
  await serveAll();
  return { ...h, changes };
}

const texts = (client: ChatClient, chatId: string) => client.messages(chatId).map((m) => m.text);

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

describe('live events', () => {
  it('applies events idempotently by version: duplicates and stale copies change nothing', async () => {
    server.chat('a');
    const { client, changes } = await started();
    const m1 = server.add('a', 'hello');
    const socket = FakeSocket.last;
    socket.push({ type: 'message.created', message: m1 });
    socket.push({ type: 'message.created', message: m1 });
    const edited = server.edit('a', 1, 'hello!');
    socket.push({ type: 'message.updated', message: edited });
    socket.push({ type: 'message.created', message: m1 });
    socket.push({ type: 'message.updated', message: edited });
    expect(texts(client, 'a')).toEqual(['hello!']);
    expect(changes.flatMap((c) => c.messages.map((m) => `${m.text}@${m.ver}`))).toEqual([
      'hello@2',
      'hello!@3',
    ]);
    expect(client.stats.duplicatesSuppressed).toBe(3);
    const deleted = server.remove('a', 1);
    socket.push({ type: 'message.deleted', chatId: 'a', messageId: m1.messageId, seq: 1, ver: deleted.ver });
    socket.push({ type: 'message.updated', message: edited });
    expect(client.messages('a')[0]).toMatchObject({ deleted: true, text: '', ver: deleted.ver });
    await flush(10_000);
    expect(socket.requests('sync')).toHaveLength(1);
  });

  it('a deletion clears reactions, and a late message.reacted does not bring them back', async () => {
    server.chat('a');
    const { client } = await started();
    const m1 = server.add('a', 'hello');
    const socket = FakeSocket.last;
    socket.push({ type: 'message.created', message: m1 });
    const reactions = [{ emoji: '🎉', count: 1, userIds: ['bob'] }];
    const reacted = { type: 'message.reacted', chatId: 'a', messageId: m1.messageId, seq: 1, reactions };
    socket.push({ ...reacted, ver: m1.ver + 1, userId: 'bob', emoji: '🎉', removed: false });
    expect(client.messages('a')[0]?.reactions).toEqual(reactions);
    socket.push({ type: 'message.deleted', chatId: 'a', messageId: m1.messageId, seq: 1, ver: m1.ver + 3 });
    expect(client.messages('a')[0]).toMatchObject({ deleted: true, reactions: [] });
    // A reaction that raced the deletion, delivered after it with a version between the two.
    socket.push({ ...reacted, ver: m1.ver + 2, userId: 'ann', emoji: '❤️', removed: false });
    expect(client.messages('a')[0]).toMatchObject({ deleted: true, reactions: [] });
  });

  it("one's own deletion is told from its ack; a late edit does not undo it, its version arrives silently", async () => {
    server.chat('a');
    const { client, changes } = await started();
    const sent = client.sendMessage('a', 'mine');
    await serveAll(3);
    const m = await sent;
    const socket = FakeSocket.last;
    const edited = server.edit('a', m.seq, 'mine, edited');
    const removed = client.deleteMessage('a', m.messageId);
    await flush();
    const request = socket.requests('deleteMessage')[0];
    const deleted = server.remove('a', m.seq);
    socket.ack(request as never, { chatId: 'a', messageId: m.messageId });
    await removed;
    socket.push({ type: 'message.updated', message: edited });
    socket.push({
      type: 'message.deleted',
      chatId: 'a',
      messageId: m.messageId,
      seq: m.seq,
      ver: deleted.ver,
    });
    expect(client.messages('a')[0]).toMatchObject({ deleted: true, text: '', ver: deleted.ver });
    expect(changes.flatMap((c) => c.messages.map((x) => `${x.text || '(deleted)'}@${x.ver}`))).toEqual([
      'mine@2',
      '(deleted)@2',
    ]);
  });

  it('a hole in the versions that live events do not fill within gapMs triggers a sync from the cursor', async () => {
    server.chat('a');
    const { client } = await started();
    const socket = FakeSocket.last;
    const lost = server.add('a', 'lost on the way');
    const next = server.add('a', 'arrives');
    socket.push({ type: 'message.created', message: next });
    await flush(1999);
    expect(socket.requests('sync')).toHaveLength(1);
    await flush(1);
    await serveAll();
    expect(server.requests('sync').map((r) => r.sinceVer)).toEqual([0, 1]);
    expect(texts(client, 'a')).toEqual([lost.text, next.text]);

    // A hole filled in time costs nothing.
    const late = server.add('a', 'late');
    const early = server.add('a', 'early');
    socket.push({ type: 'message.created', message: early });
    await flush(500);
    socket.push({ type: 'message.created', message: late });
    await flush(5000);
    expect(socket.requests('sync')).toHaveLength(2);
  });

  it('a change still settling when sync answered is fetched by a later sync (the cursor stays behind lastVer)', async () => {
    server.chat('a');
    server.add('a', 'one');
    const { client } = await started();
    FakeSocket.last.serverClose(1006);
    const lost = server.add('a', 'being written while we sync');
    server.settledUpTo = lost.ver - 1;
    await flush(60_000);
    FakeSocket.last.open();
    await serveAll();
    expect(texts(client, 'a')).toEqual(['one']);
    server.settledUpTo = Number.POSITIVE_INFINITY;
    await flush(2000);
    await serveAll();
    expect(texts(client, 'a')).toEqual(['one', lost.text]);
    expect(server.requests('sync').map((r) => r.sinceVer)).toEqual([0, 2, 2]);
  });

  it('membership changes sync the member list; leaving removes the chat', async () => {
    server.chat('a', ['bob', 'carol']);
    const { client } = await started();
    const chat = server.get('a');
    chat.members.push(member('dave'));
    chat.memberVer = ++chat.lastVer;
    FakeSocket.last.push({ type: 'member.joined', chatId: 'a', userIds: ['dave'], ver: chat.memberVer });
    await serveAll();
    expect(client.chat('a')?.members?.map((m) => m.userId)).toEqual(['me', 'bob', 'carol', 'dave']);
    FakeSocket.last.push({ type: 'member.left', chatId: 'a', userId: 'me' });
    expect(client.chat('a')).toBeUndefined();
  });

  /** The 499 others of a group of 500 (more than the 200 a Chat lists). */
  const BIG_GROUP_OTHERS = Array.from({ length: 499 }, (_, i) => `u${i}`);

  /** A group of 500 the client heard of by chat.created, and caught up with. */
  async function bigGroupCreated() {
    const big = server.chat('big', BIG_GROUP_OTHERS);
    FakeSocket.last.push({ type: 'chat.created', chat: server.view(big) });
    await serveAll();
    return big;
  }

  it('takes a big group’s memberCount from sync’s answer, with no getChat', async () => {
    const { client } = await started();
    const big = await bigGroupCreated();
    big.members.push(member('dave'));
    big.memberVer = ++big.lastVer;
    FakeSocket.last.push({ type: 'member.joined', chatId: 'big', userIds: ['dave'] });
    await serveAll();
    expect(client.chat('big')?.memberCount).toBe(501);
    expect(client.chat('big')?.members).toHaveLength(200);
    expect(server.requests('getChat')).toEqual([]);
  });

  it('does not take off again a leave whose late event comes after a catch-up that counted it', async () => {
    const { client } = await started();
    const big = await bigGroupCreated();
    // u450 leaves, then dave joins; the join's event comes first (a big group's fan-out is queued).
    big.members = big.members.filter((m) => m.userId !== 'u450');
    const leftVer = ++big.lastVer;
    big.memberVer = leftVer;
    big.members.push(member('dave'));
    big.memberVer = ++big.lastVer;
    FakeSocket.last.push({ type: 'member.joined', chatId: 'big', userIds: ['dave'] });
    await serveAll();
    expect(client.chat('big')?.memberCount).toBe(500);
    FakeSocket.last.push({ type: 'member.left', chatId: 'big', userId: 'u450', ver: leftVer });
    await serveAll();
    expect(client.chat('big')?.memberCount).toBe(500);
  });

  it('keeps the memberCount of a group bigger than the members listed, from a server whose sync has no count', async () => {
    expect([MEMBERS_LISTED_MAX, LISTED]).toEqual([LIMITS.chatMembersMax, LIMITS.chatMembersMax]);
    server.syncMemberCount = false;
    const { client } = await started();
    const big = server.chat('big', BIG_GROUP_OTHERS);
    FakeSocket.last.push({ type: 'chat.created', chat: server.view(big) });
    expect(client.chat('big')?.members).toHaveLength(200);
    expect(client.chat('big')?.memberCount).toBe(500);
    await serveAll();
    expect(client.chat('big')?.memberCount).toBe(500);
    // Someone joins: sync lists 200 again, getChat tells the count.
    big.members.push(member('dave'));
    big.memberVer = ++big.lastVer;
    FakeSocket.last.push({ type: 'member.joined', chatId: 'big', userIds: ['dave'] });
    await serveAll();
    expect(server.requests('getChat').map((r) => r.chatId)).toEqual(['big']);
    expect(client.chat('big')?.memberCount).toBe(501);
    // Someone not listed leaves: one fewer at once, and still right after the catch-up.
    big.members = big.members.filter((m) => m.userId !== 'u450');
    big.memberVer = ++big.lastVer;
    FakeSocket.last.push({ type: 'member.left', chatId: 'big', userId: 'u450' });
    expect(client.chat('big')?.memberCount).toBe(500);
    await serveAll();
    expect(client.chat('big')?.memberCount).toBe(500);
    expect(client.chat('big')?.members).toHaveLength(200);
    // In a small chat the list is every member: a leave and its sync count exactly.
    const small = server.chat('small', ['bob', 'carol']);
    FakeSocket.last.push({ type: 'chat.created', chat: server.view(small) });
    await serveAll();
    small.members = small.members.filter((m) => m.userId !== 'carol');
    small.memberVer = ++small.lastVer;
    FakeSocket.last.push({ type: 'member.left', chatId: 'small', userId: 'carol' });
    expect(client.chat('small')?.memberCount).toBe(2);
    await serveAll();
    expect(client.chat('small')?.memberCount).toBe(2);
    expect(server.requests('getChat').map((r) => r.chatId)).toEqual(['big', 'big']);
  });

  it('loads a chat it hears of first from an event (getChat, then sync)', async () => {
    const { client } = await started();
    server.chat('new', ['bob', 'carol']);
    const m = server.add('new', 'hi');
    FakeSocket.last.push({ type: 'message.created', message: m });
    await serveAll();
    expect(server.requests('getChat').map((r) => r.chatId)).toEqual(['new']);
    expect(client.chat('new')).toMatchObject({ kind: 'group', name: 'new' });
    expect(texts(client, 'new')).toEqual(['hi']);
  });
});

describe('markDelivered', () => {
  it('goes out at most once per interval per chat, for messages of others only', async () => {
    server.chat('a');
    const { client } = await started();
    const socket = FakeSocket.last;
    for (let i = 0; i < 3; i++) socket.push({ type: 'message.created', message: server.add('a', `x${i}`) });
    await serveAll(3);
    expect(server.requests('markDelivered').map((r) => r.seq)).toEqual([3]);
    for (let i = 0; i < 3; i++) socket.push({ type: 'message.created', message: server.add('a', `y${i}`) });
    await serveAll(3);
    expect(socket.requests('markDelivered')).toHaveLength(1);
    await flush(3000);
    await serveAll(3);
    expect(server.requests('markDelivered').map((r) => r.seq)).toEqual([3, 6]);
    const mine = client.sendMessage('a', 'mine');
    await serveAll(3);
    await mine;
    await flush(10_000);
    expect(socket.requests('markDelivered')).toHaveLength(2);
  });
});

describe('markDelivered in flight', () => {
  it('one per chat at a time: messages while it is unanswered send no other; once answered, the newest goes out', async () => {
    server.chat('a');
    await started();
    const socket = FakeSocket.last;
    socket.push({ type: 'message.created', message: server.add('a', 'x') });
    await flush(3000);
    expect(socket.requests('markDelivered').map((r) => r.seq)).toEqual([1]);
    // Not answered yet (a slow server, or held by the rate-limit gate): more messages, more time.
    for (let i = 0; i < 3; i++) {
      socket.push({ type: 'message.created', message: server.add('a', `y${i}`) });
      await flush(2000);
    }
    expect(socket.requests('markDelivered')).toHaveLength(1);
    await serveAll(3); // answered: the messages that came meanwhile get their receipt
    await flush(3000);
    await serveAll(3);
    expect(socket.requests('markDelivered').map((r) => r.seq)).toEqual([1, 4]);
  });
});

/** Answers every unanswered markDelivered on `socket` with INTERNAL. */
function failReceipts(socket: FakeSocket): void {
  for (const r of socket.requests('markDelivered').filter((r) => !server.answered.has(r.requestId))) {
    socket.error(r as Sent, 'INTERNAL');
    server.answered.add(r.requestId);
  }
}

describe('markDelivered that fails', () => {
  it('for a reason that passes: messages that came while it was in flight get theirs afterwards', async () => {
    server.chat('a');
    await started();
    const socket = FakeSocket.last;
    socket.push({ type: 'message.created', message: server.add('a', 'x') });
    await flush(3000);
    expect(socket.requests('markDelivered').map((r) => r.seq)).toEqual([1]);
    for (let i = 0; i < 3; i++) {
      socket.push({ type: 'message.created', message: server.add('a', `y${i}`) });
      await flush(500);
    }
    // INTERNAL on every attempt of it.
    for (let attempt = 0; attempt < 3; attempt++) {
      failReceipts(socket);
      await flush(6000);
    }
    await flush(60_000);
    await serveAll();
    expect(socket.requests('markDelivered').at(-1)?.seq).toBe(4);
  });
});

describe('markDelivered that keeps failing', () => {
  it('backs off per chat, doubling up to 48 s, and sends again at the interval once one is answered', async () => {
    server.chat('a');
    await started();
    const socket = FakeSocket.last;
    const failAll = async (ms: number) => {
      for (let t = 0; t < ms; t += 500) {
        failReceipts(socket);
        await flush(500);
      }
    };
    socket.push({ type: 'message.created', message: server.add('a', 'x') });
    await failAll(10 * 60_000);
    // 3 frames an attempt (the requester retries twice); 3 s, 6, 12, 24, then every 48 s: about 15.
    const frames = socket.requests('markDelivered').length;
    expect(frames).toBeGreaterThan(20);
    expect(frames).toBeLessThan(60);
    // The server recovers: the next attempt (within 48 s) is answered, and the next message's
    // receipt goes out at the normal interval.
    for (let t = 0; t < 50_000; t += 1000) {
      server.serve(socket);
      await flush(1000);
    }
    const answered = socket.requests('markDelivered').length;
    socket.push({ type: 'message.created', message: server.add('a', 'y') });
    await flush(3000);
    await serveAll(3);
    expect(
      socket
        .requests('markDelivered')
        .slice(answered)
        .map((r) => r.seq),
    ).toEqual([2]);
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

/**
 * Live events on a fake socket and a fake server: idempotent application by version, holes filled
 * by sync, membership changes and member counts.
 */
import { describe, expect, it } from 'vitest';
import { MEMBERS_LISTED_MAX } from '../../client/src/replica.ts';
import { LIMITS } from '../../lambdas/contract/limits.ts';
import { LISTED, member } from './support/fake-server.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { serveAll, server, started, texts, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

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

  it('a big group: a leave of someone not listed needs no sync; one of someone listed, or after a hole, syncs', async () => {
    const { client } = await started();
    const big = await bigGroupCreated();
    const syncs = () => server.requests('sync').filter((r) => r.chatId === 'big').length;
    const before = syncs();
    const leave = (userId: string) => {
      big.members = big.members.filter((m) => m.userId !== userId);
      big.memberVer = ++big.lastVer;
      return { type: 'member.left', chatId: 'big', userId, ver: big.memberVer };
    };
    // u450 is not among the 200 listed: one fewer, the list as it was, the version seen.
    const left = leave('u450');
    FakeSocket.last.push(left);
    FakeSocket.last.push(left);
    await flush(10_000);
    await serveAll();
    expect(syncs()).toBe(before);
    expect(client.chat('big')).toMatchObject({ memberCount: 499 });
    expect(client.chat('big')?.members).toHaveLength(200);
    // The next message applies with no catch-up: the cursor passed the leave's version.
    FakeSocket.last.push({ type: 'message.created', message: server.add('big', 'hi') });
    await flush(10_000);
    await serveAll();
    expect(syncs()).toBe(before);
    // u5 is listed: the list changes (the 201st moves up), so it syncs.
    FakeSocket.last.push(leave('u5'));
    await serveAll();
    expect(syncs()).toBe(before + 1);
    expect(client.chat('big')?.members?.map((m) => m.userId)).toEqual(
      big.members.slice(0, 200).map((m) => m.userId),
    );
    // A leave after a lost change: the hole is caught up after gapMs.
    const lost = leave('u460');
    FakeSocket.last.push(leave('u470'));
    expect(lost.ver).toBeLessThan(big.lastVer);
    await flush(2000);
    await serveAll();
    expect(syncs()).toBe(before + 2);
    expect(client.chat('big')).toMatchObject({ memberCount: 496 });
    await flush(10_000);
    expect(syncs()).toBe(before + 2);
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

/**
 * The actions on a big group's messages read no member list per call (lambdas/domain/heads.ts
 * `actionHead`): readMessage, typing, react, editMessage, deleteMessage and reportMessage, in a group
 * of 303 members. Before, each read every member (a Query of the whole chat head: 303 items, ~9 read
 * units here, ~30 in a group of 1,000), a repeated readMessage that changes nothing too. Now a
 * container that holds the head checks the caller by key and takes the members from its cache,
 * reading them only when it does not hold them; a membership change since is replayed from the member
 * log. The members' events still reach exactly the members (a read, in a group this big, only the
 * reader's own sockets: lambdas/domain/receipts.ts).
 *
 * The count is taken where the member list is read (`ChatRepository.getWithMembers`, spied on in this
 * process, where the local stack runs the handlers); the cache is the handlers' own (`deps()`).
 */
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { ChatRepository } from '../../lambdas/data/chats.ts';
import { deps } from '../../lambdas/domain/deps.ts';
import {
  connectUser,
  eventsOf,
  expectRefused,
  type Message,
  makeGroup,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });
let listReads: MockInstance<ChatRepository['getWithMembers']>;

beforeAll(() => {
  listReads = vi.spyOn(ChatRepository.prototype, 'getWithMembers');
});
afterAll(() => listReads.mockRestore());

/** The member lists read (and their sizes) while `action` ran, every handler finished. */
async function listsReadBy(sockets: UserSocket[], action: () => Promise<unknown>): Promise<number[]> {
  await settle(stack, ...sockets);
  listReads.mockClear();
  await action();
  await settle(stack, ...sockets);
  const read = await Promise.all(listReads.mock.results.map((r) => r.value));
  return read.map((head: { members: unknown[] }) => head.members.length);
}

describe('actions in a big group', { timeout: 120_000 }, () => {
  let ann: UserSocket;
  let bob: UserSocket;
  let cat: UserSocket;
  let chatId: string;
  let all: UserSocket[];

  beforeAll(async () => {
    ann = await connectUser(stack, uniqueId('ann'));
    bob = await connectUser(stack, uniqueId('bob'));
    cat = await connectUser(stack, uniqueId('cat'));
    all = [ann, bob, cat];
    const offline = Array.from({ length: 300 }, () => uniqueId('off'));
    const chat = await makeGroup(ann, [bob.userId, cat.userId, ...offline], 'big');
    expect(chat.memberCount).toBe(303);
    chatId = chat.chatId;
  });

  it('read the member list once per container, then never: the caller by key, the members from the cache', async () => {
    const m = await sendText(ann, chatId, 'one');
    const mine = await sendText(bob, chatId, 'mine');
    deps().store.heads.forget(chatId); // a container that does not hold the head yet

    // The first action reads it (and caches it) ...
    expect(await listsReadBy(all, () => bob.ok('typing', { chatId, isTyping: true }))).toEqual([303]);
    // ... and no action reads it again.
    expect(await listsReadBy(all, () => bob.ok('typing', { chatId, isTyping: false }))).toEqual([]);
    const read = () => bob.ok('readMessage', { chatId, messageId: m.messageId });
    expect(await listsReadBy(all, read)).toEqual([]);
    expect(await listsReadBy(all, read)).toEqual([]); // a repeat that changes nothing
    expect(await read()).toMatchObject({ chatId, lastReadSeq: mine.seq });
    const react = () => bob.ok('react', { chatId, messageId: m.messageId, emoji: '👍' });
    expect(await listsReadBy(all, react)).toEqual([]);
    const edit = () => bob.ok('editMessage', { chatId, messageId: mine.messageId, text: 'edited' });
    expect(await listsReadBy(all, edit)).toEqual([]);
    const report = () => bob.ok('reportMessage', { chatId, messageId: m.messageId, reason: 'spam' });
    expect(await listsReadBy(all, report)).toEqual([]);
    const remove = () => bob.ok('deleteMessage', { chatId, messageId: mine.messageId });
    expect(await listsReadBy(all, remove)).toEqual([]);

    // The members heard of each, as before.
    const about = (f: Record<string, unknown>) => f.chatId === chatId;
    for (const other of [ann, cat]) {
      expect(eventsOf(other, 'typing', (f) => about(f) && f.userId === bob.userId)).toHaveLength(2);
      expect(eventsOf(other, 'message.reacted', (f) => f.messageId === m.messageId)).toHaveLength(1);
      expect(
        eventsOf(other, 'message.updated', (f) => (f.message as Message).text === 'edited'),
      ).toHaveLength(1);
      expect(eventsOf(other, 'message.deleted', (f) => f.messageId === mine.messageId)).toHaveLength(1);
    }
    // Bob's own send had moved his cursor past `m`: nothing to announce.
    expect(eventsOf(ann, 'message.read', (f) => about(f) && f.userId === bob.userId)).toEqual([]);
    const later = await sendText(ann, chatId, 'later');
    expect(
      await listsReadBy(all, () => cat.ok('readMessage', { chatId, messageId: later.messageId })),
    ).toEqual([]);
    // In a group of more than 200, a read is posted to the reader's own sockets only (receipts.ts).
    expect(eventsOf(cat, 'message.read', (f) => about(f) && f.userId === cat.userId)).toHaveLength(1);
    expect(eventsOf(bob, 'message.read', (f) => about(f) && f.userId === cat.userId)).toEqual([]);
  });

  it('follow membership changes from the log: a newcomer hears, a removed member and an outsider are refused', async () => {
    const m = await sendText(ann, chatId, 'before the changes');
    const dan = await connectUser(stack, uniqueId('dan'));
    const eve = await connectUser(stack, uniqueId('eve'));
    const sockets = [...all, dan, eve];
    await ann.ok('invite', { chatId, userIds: [dan.userId] });
    await ann.ok('removeMember', { chatId, userId: cat.userId });

    // The cached head is behind by two changes: replayed, not read again.
    expect(await listsReadBy(sockets, () => bob.ok('typing', { chatId, isTyping: true }))).toEqual([]);
    expect(eventsOf(dan, 'typing', (f) => f.userId === bob.userId)).toHaveLength(1);
    const later = await sendText(ann, chatId, 'after the changes'); // Dan joined at `m`: read past it
    const readLater = () => dan.ok('readMessage', { chatId, messageId: later.messageId });
    expect(await listsReadBy(sockets, readLater)).toEqual([]);
    expect(eventsOf(dan, 'message.read', (f) => f.userId === dan.userId)).toHaveLength(1);
    // The replayed members hear of Dan's reaction; Cat, removed, does not.
    const reactLater = () => dan.ok('react', { chatId, messageId: later.messageId, emoji: '👍' });
    expect(await listsReadBy(sockets, reactLater)).toEqual([]);
    expect(eventsOf(bob, 'message.reacted', (f) => f.userId === dan.userId)).toHaveLength(1);
    expect(eventsOf(cat, 'message.reacted', (f) => f.userId === dan.userId)).toEqual([]);

    // Cat, removed a moment ago, and Eve, never a member: NOT_FOUND at once (their membership by key).
    for (const outsider of [cat, eve]) {
      const refusals = await listsReadBy(sockets, async () => {
        await expectRefused(stack, outsider, 'typing', { chatId, isTyping: true }, 'NOT_FOUND');
        await expectRefused(stack, outsider, 'readMessage', { chatId, messageId: m.messageId }, 'NOT_FOUND');
        await expectRefused(
          stack,
          outsider,
          'react',
          { chatId, messageId: m.messageId, emoji: '👍' },
          'NOT_FOUND',
        );
        await expectRefused(
          stack,
          outsider,
          'reportMessage',
          { chatId, messageId: m.messageId, reason: 'spam' },
          'NOT_FOUND',
        );
      });
      expect(refusals).toEqual([]);
    }
    await settle(stack, ...sockets);
    expect(eventsOf(bob, 'typing', (f) => f.userId === cat.userId || f.userId === eve.userId)).toEqual([]);
    expect(
      eventsOf(bob, 'message.reacted', (f) => f.userId === cat.userId || f.userId === eve.userId),
    ).toEqual([]);
  });

  // Every online member's client syncs after a join or a leave (member.joined, member.left): each
  // sync read the whole list, strongly consistent (~75 units in a group of 1,000, one partition).
  it('answer a sync after a membership change from the cached head and the log, not a read of every member', async () => {
    const zed = uniqueId('zed');
    deps().store.heads.forget(chatId);
    expect(await listsReadBy(all, () => bob.ok('typing', { chatId, isTyping: true }))).toHaveLength(1);
    const since = ((await ann.ok('getChat', { chatId })).chat as { lastVer: number }).lastVer;
    await ann.ok('invite', { chatId, userIds: [zed] });
    const acks: Record<string, unknown>[] = [];
    const syncs = async () => {
      for (const s of [bob, ann]) acks.push(await s.ok('sync', { chatId, sinceVer: since, limit: 10 }));
    };
    expect(await listsReadBy(all, syncs)).toEqual([]);
    for (const [i, s] of [bob, ann].entries()) {
      const ack = acks[i] as { memberCount: number; members: { userId: string }[] | null };
      expect(ack.members?.map((m) => m.userId)).toContain(s.userId);
      expect(ack.members).toHaveLength(200);
      expect(ack.memberCount).toBe(
        ((await ann.ok('getChat', { chatId })).chat as { memberCount: number }).memberCount,
      );
    }
  });
});

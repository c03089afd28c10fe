/**
 * An invite into a direct chat creates a group; with a clientChatId it does so once per creator and
 * key, as createChat does (their keys are one set): a repeat (the retry of an invite that answered
 * INTERNAL or timed out) answers the first group, a changed repeat too (the first request wins), a
 * key whose group the inviter left is BAD_REQUEST naming the field.
 */
import { describe, expect, it } from 'vitest';
import {
  type Chat,
  connectUsers,
  eventsOf,
  forChat,
  getChat,
  listChats,
  makeDirect,
  makeGroup,
  settle,
  sorted,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const aGroup = (f: Frame) => (f.chat as Chat | undefined)?.kind === 'group';
const groupsOf = async (socket: UserSocket) => (await listChats(socket)).filter((c) => c.kind === 'group');

describe('invite into a direct chat with a clientChatId', () => {
  it('creates its group once: a repeat, a changed repeat and createChat answer the first group', async () => {
    const [alice, bob, carol, dave] = (await connectUsers(stack, 4, 'ik')) as UserSocket[] as [
      UserSocket,
      UserSocket,
      UserSocket,
      UserSocket,
    ];
    const direct = await makeDirect(alice, bob.userId);
    const clientChatId = uniqueId('k');
    const invite = (userIds: string[]) => ({ chatId: direct.chatId, userIds, clientChatId });
    const first = (await alice.ok('invite', invite([carol.userId]))).chat as Chat;
    expect(first).toMatchObject({ kind: 'group', ownerId: alice.userId, memberCount: 3 });
    const again = (await alice.ok('invite', invite([carol.userId]))).chat as Chat;
    expect(again.chatId).toBe(first.chatId);
    // The first request wins: other people, or createChat with the same key, answer the same group.
    const changed = (await alice.ok('invite', invite([dave.userId]))).chat as Chat;
    expect(changed.chatId).toBe(first.chatId);
    expect(sorted(changed.members.map((m) => m.userId))).toEqual(
      sorted([alice.userId, bob.userId, carol.userId]),
    );
    const created = await alice.ok('createChat', { kind: 'group', name: 'x', memberIds: [], clientChatId });
    expect(created).toMatchObject({ created: false, chat: { chatId: first.chatId } });

    await settle(stack, alice, bob, carol, dave);
    for (const socket of [bob, carol]) {
      expect(await groupsOf(socket)).toHaveLength(1);
      // Told at least once, never of another group.
      expect(eventsOf(socket, 'chat.created', forChat(first.chatId)).length).toBeGreaterThanOrEqual(1);
      expect(eventsOf(socket, 'chat.created', aGroup)).toEqual(
        eventsOf(socket, 'chat.created', forChat(first.chatId)),
      );
    }
    expect(await groupsOf(dave)).toHaveLength(0);
    expect(eventsOf(dave, 'chat.created', aGroup)).toEqual([]);
  });

  it('creates one group for concurrent repeats', async () => {
    const [alice, bob, carol] = (await connectUsers(stack, 3, 'ikrace')) as [
      UserSocket,
      UserSocket,
      UserSocket,
    ];
    const direct = await makeDirect(alice, bob.userId);
    const frame = { chatId: direct.chatId, userIds: [carol.userId], clientChatId: uniqueId('k') };
    const acks = await Promise.all(Array.from({ length: 6 }, () => alice.ok('invite', frame)));
    expect(new Set(acks.map((a) => (a.chat as Chat).chatId)).size).toBe(1);
    expect(await groupsOf(carol)).toHaveLength(1);
  });

  it('refuses a key whose group the inviter left, naming the field, and creates nothing', async () => {
    const [alice, bob, carol] = (await connectUsers(stack, 3, 'ikleft')) as [
      UserSocket,
      UserSocket,
      UserSocket,
    ];
    const direct = await makeDirect(alice, bob.userId);
    const frame = { chatId: direct.chatId, userIds: [carol.userId], clientChatId: uniqueId('k') };
    const group = (await alice.ok('invite', frame)).chat as Chat;
    await alice.ok('removeMember', { chatId: group.chatId, userId: alice.userId });
    const refused = await alice.request('invite', frame);
    expect(refused).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    expect(String(refused.message)).toContain('"clientChatId"');
    expect(await groupsOf(alice)).toHaveLength(0);
    expect(await groupsOf(carol)).toHaveLength(1);
  });

  it('leaves a group invite as it was: the key is not used there', async () => {
    const [alice, bob, carol] = (await connectUsers(stack, 3, 'ikgroup')) as [
      UserSocket,
      UserSocket,
      UserSocket,
    ];
    const group = await makeGroup(alice, [bob.userId]);
    const clientChatId = uniqueId('k');
    const ack = await alice.ok('invite', { chatId: group.chatId, userIds: [carol.userId], clientChatId });
    expect((ack.chat as Chat).chatId).toBe(group.chatId);
    expect((await getChat(carol, group.chatId)).memberCount).toBe(3);
    expect(await stack.items(`USER#${alice.userId}`)).not.toContainEqual(
      expect.objectContaining({ sk: `CCID#${clientChatId}` }),
    );
  });
});

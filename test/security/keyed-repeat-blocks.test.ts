/**
 * A repeat of a keyed group creation (createChat of a group, or an invite into a direct chat, with
 * the same clientChatId) after a member blocked its creator. Before the fix the repeat was answered
 * from the key "whatever has changed since", and its re-announcement posted `chat.created` to every
 * founder still in the group: a blocked creator could keep telling the blocker by repeating the key,
 * and an invite that names a blocker, FORBIDDEN without the key, was acked with it.
 *
 * Now the blocker is never told again (createChat's repeat is still answered: its `memberIds` are not
 * looked at), and an invite's repeat that names a blocker (or whose direct chat's other member is
 * one) is FORBIDDEN as any invite of them is, telling nobody anything. The same holds for a keyed
 * repeat of a send: once the other member of a direct chat blocked the sender, a repeat of a message
 * already stored (same clientMessageId) is FORBIDDEN, not acked, and the blocker is not told again.
 */
import { describe, expect, it } from 'vitest';
import {
  type Chat,
  closeAll,
  connectUsers,
  eventsOf,
  expectRefused,
  forChat,
  makeDirect,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const told = (socket: UserSocket, chatId: string) => eventsOf(socket, 'chat.created', forChat(chatId)).length;

describe('a keyed repeat after a founder blocked the creator', () => {
  it('createChat: answers the group, tells the others again, never the blocker', async () => {
    const [alice, carol, dave] = (await connectUsers(stack, 3, 'krb')) as [
      UserSocket,
      UserSocket,
      UserSocket,
    ];
    const frame = {
      kind: 'group',
      name: 'G',
      memberIds: [carol.userId, dave.userId],
      clientChatId: uniqueId('k'),
    };
    const chat = (await alice.ok('createChat', frame)).chat as Chat;
    await carol.ok('blockUser', { userId: alice.userId });
    await settle(stack, alice, carol, dave);
    const before = { carol: told(carol, chat.chatId), dave: told(dave, chat.chatId) };
    expect(before).toEqual({ carol: 1, dave: 1 });
    const roster = await stack.items(`ROSTER#${chat.chatId}`);

    for (let i = 0; i < 3; i++) {
      const again = await alice.ok('createChat', frame);
      expect(again).toMatchObject({ created: false, chat: { chatId: chat.chatId } });
    }
    await settle(stack, alice, carol, dave);
    expect(told(carol, chat.chatId)).toBe(1);
    expect(told(dave, chat.chatId)).toBe(4);
    // The blocker is still a member: the group's events still reach their socket.
    expect(await stack.items(`ROSTER#${chat.chatId}`)).toEqual(roster);
    await closeAll(stack, alice, carol, dave);
  });

  it('invite into a direct chat: a repeat naming the blocker is FORBIDDEN, one naming others tells them only', async () => {
    const [alice, bob, carol, dave] = (await connectUsers(stack, 4, 'krbi')) as [
      UserSocket,
      UserSocket,
      UserSocket,
      UserSocket,
    ];
    const direct = await makeDirect(alice, bob.userId);
    const clientChatId = uniqueId('k');
    const invite = (userIds: string[]) => ({ chatId: direct.chatId, userIds, clientChatId });
    const group = (await alice.ok('invite', invite([carol.userId]))).chat as Chat;
    await carol.ok('blockUser', { userId: alice.userId });
    await settle(stack, alice, bob, carol, dave);
    expect([told(bob, group.chatId), told(carol, group.chatId)]).toEqual([1, 1]);
    const key = (await stack.items(`USER#${alice.userId}`)).filter((i) => i.sk === `CCID#${clientChatId}`);

    // As without the key (the same sentence, nothing said of the block), nothing written or told.
    const fresh = await expectRefused(
      stack,
      alice,
      'invite',
      { chatId: direct.chatId, userIds: [carol.userId] },
      'FORBIDDEN',
    );
    const repeat = await expectRefused(stack, alice, 'invite', invite([carol.userId]), 'FORBIDDEN', {
      chatId: group.chatId,
    });
    expect(repeat.message).toBe(fresh.message);
    await settle(stack, alice, bob, carol, dave);
    expect([told(bob, group.chatId), told(carol, group.chatId)]).toEqual([1, 1]);
    expect(
      (await stack.items(`USER#${alice.userId}`)).filter((i) => i.sk === `CCID#${clientChatId}`),
    ).toEqual(key);

    // A repeat naming someone else is the same group (the first request wins): bob is told again,
    // carol is not, dave (not in it) neither.
    const other = await alice.ok('invite', invite([dave.userId]));
    expect((other.chat as Chat).chatId).toBe(group.chatId);
    await settle(stack, alice, bob, carol, dave);
    expect([told(bob, group.chatId), told(carol, group.chatId), told(dave, group.chatId)]).toEqual([2, 1, 0]);
    await closeAll(stack, alice, bob, carol, dave);
  });

  it('invite into a direct chat: a repeat is FORBIDDEN once the other member of the direct chat blocked the inviter', async () => {
    const [alice, bob, carol] = (await connectUsers(stack, 3, 'krbp')) as [
      UserSocket,
      UserSocket,
      UserSocket,
    ];
    const direct = await makeDirect(alice, bob.userId);
    const frame = { chatId: direct.chatId, userIds: [carol.userId], clientChatId: uniqueId('k') };
    const group = (await alice.ok('invite', frame)).chat as Chat;
    await bob.ok('blockUser', { userId: alice.userId });
    await settle(stack, alice, bob, carol);

    await expectRefused(stack, alice, 'invite', frame, 'FORBIDDEN', { chatId: group.chatId });
    await settle(stack, alice, bob, carol);
    expect([told(bob, group.chatId), told(carol, group.chatId)]).toEqual([1, 1]);
    await closeAll(stack, alice, bob, carol);
  });

  it('sendMessage in a direct chat: a repeat of a stored message is FORBIDDEN once the other member blocked the sender', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'krbs')) as [UserSocket, UserSocket];
    const { chatId } = await makeDirect(bob, alice.userId);
    const frame = { chatId, text: 'first', clientMessageId: uniqueId('c') };
    await bob.ok('sendMessage', frame);
    await settle(stack, alice, bob);
    await alice.ok('blockUser', { userId: bob.userId });

    await expectRefused(stack, bob, 'sendMessage', frame, 'FORBIDDEN');
    await settle(stack, alice, bob);
    expect(eventsOf(alice, 'message.created', forChat(chatId))).toHaveLength(1);
    await closeAll(stack, alice, bob);
  });
});

/**
 * Leaving a direct chat (protocol, Rules: any member may remove themself; a chat with no members is
 * deleted). The one left stays the pair's chat: a later createChat direct of the pair, by either of
 * them, brings the one who left back into it (history kept, `created: false`) through the invite's
 * join (blocks and the membership cap apply). Before, a direct chat could not be left and only its
 * creator could delete it: strangers opening direct chats with a user filled that user's cap for good.
 */
import { describe, expect, it } from 'vitest';
import {
  aboutMessage,
  type Chat,
  closeAll,
  connectUser,
  eventsOf,
  expectRefused,
  forChat,
  getChat,
  history,
  listChats,
  makeDirect,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const CHATS = 10;
/** Others may add a user only while they are in fewer chats than this (membership-cap.ts). */
const BY_OTHERS = 9;
const stack = useTestStack({ env: { MAX_CHATS_PER_USER: String(CHATS) } });

const leave = (socket: UserSocket, chatId: string) =>
  socket.ok('removeMember', { chatId, userId: socket.userId });

/** `chat` as `socket` sees it when it is gone for them. */
async function expectGoneFor(socket: UserSocket, chatId: string): Promise<void> {
  expect((await socket.request('getChat', { chatId })).code).toBe('NOT_FOUND');
  expect((await listChats(socket)).some((c) => c.chatId === chatId)).toBe(false);
}

const online = async (viewer: UserSocket, userId: string) =>
  ((await viewer.ok('getPresence', { userIds: [userId] })).presence as { online: boolean }[])[0]?.online;

describe('leaving a direct chat', () => {
  it('frees the leaver’s membership cap that strangers’ direct chats filled', async () => {
    const victim = await connectUser(stack, uniqueId('victim'));
    const friend = await connectUser(stack, uniqueId('friend'));
    const strangers: UserSocket[] = [];
    const chats: Chat[] = [];
    for (let i = 0; i < BY_OTHERS; i++) {
      const stranger = await connectUser(stack, uniqueId(`stranger${i}`));
      strangers.push(stranger);
      chats.push(await makeDirect(stranger, victim.userId));
    }
    await expectRefused(stack, friend, 'createChat', { kind: 'direct', userId: victim.userId }, 'FORBIDDEN');
    const spam = chats[0] as Chat;
    const stranger = strangers[0] as UserSocket;
    expect(await leave(victim, spam.chatId)).toMatchObject({ chatId: spam.chatId, userId: victim.userId });
    const left = { type: 'member.left', chatId: spam.chatId, userId: victim.userId, ver: expect.any(Number) };
    expect(await victim.event('member.left', forChat(spam.chatId))).toEqual(left);
    expect(await stranger.event('member.left', forChat(spam.chatId))).toEqual(left);
    await expectGoneFor(victim, spam.chatId);
    const alone = await getChat(stranger, spam.chatId);
    expect(alone.members.map((m) => [m.userId, m.role])).toEqual([[stranger.userId, 'owner']]);

    const ack = await friend.ok('createChat', { kind: 'direct', userId: victim.userId });
    expect(ack.created).toBe(true);
    await closeAll(stack, victim, friend, ...strangers);
  });

  it('is brought back by a later createChat of either of the pair: the same chat, history kept', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const chat = await makeDirect(ann, bob.userId);
    await sendText(ann, chat.chatId, 'before');
    expect(await online(ann, bob.userId)).toBe(true);

    await leave(bob, chat.chatId);
    await expectGoneFor(bob, chat.chatId);
    // Presence stops both ways: neither is the other's direct-chat peer now (nor shares a chat).
    expect(await online(ann, bob.userId)).toBe(false);
    expect(await online(bob, ann.userId)).toBe(false);
    // A send into it is stored, and nobody else is told.
    const unseen = await sendText(ann, chat.chatId, 'to nobody');
    await settle(stack, ann, bob);
    expect(eventsOf(bob, 'message.created', aboutMessage(unseen.messageId))).toEqual([]);

    // The one who left comes back by asking for the chat with the other.
    const back = await bob.ok('createChat', { kind: 'direct', userId: ann.userId });
    expect(back.created).toBe(false);
    expect((back.chat as Chat).chatId).toBe(chat.chatId);
    const joined = await bob.event('chat.joined', forChat(chat.chatId));
    expect((joined.chat as Chat).members.map((m) => m.userId).sort()).toEqual(
      [ann.userId, bob.userId].sort(),
    );
    expect(await ann.event('member.joined', forChat(chat.chatId))).toEqual({
      type: 'member.joined',
      chatId: chat.chatId,
      userIds: [bob.userId],
      ver: expect.any(Number),
    });
    expect((await history(bob, chat.chatId)).messages.map((m) => m.text)).toEqual(['before', 'to nobody']);
    expect(await online(ann, bob.userId)).toBe(true);
    expect(await online(bob, ann.userId)).toBe(true);

    // The owner leaves (ownership passes to bob); bob's createChat brings ann back.
    await leave(ann, chat.chatId);
    expect((await getChat(bob, chat.chatId)).members.map((m) => [m.userId, m.role])).toEqual([
      [bob.userId, 'owner'],
    ]);
    const again = await bob.ok('createChat', { kind: 'direct', userId: ann.userId });
    expect(again.created).toBe(false);
    expect((again.chat as Chat).chatId).toBe(chat.chatId);
    expect(((await ann.event('chat.joined', forChat(chat.chatId))).chat as Chat).chatId).toBe(chat.chatId);
    expect((await history(ann, chat.chatId)).messages.map((m) => m.text)).toEqual(['before', 'to nobody']);
    const hello = await sendText(ann, chat.chatId, 'hello again');
    expect((await bob.event('message.created', aboutMessage(hello.messageId))).message).toMatchObject({
      text: 'hello again',
    });
    await closeAll(stack, ann, bob);
  });

  it('deletes the chat when both have left; the pair’s next createChat makes a new one', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const chat = await makeDirect(ann, bob.userId);
    await sendText(bob, chat.chatId, 'soon gone');
    await leave(ann, chat.chatId);
    await leave(bob, chat.chatId);
    await expectGoneFor(ann, chat.chatId);
    await expectGoneFor(bob, chat.chatId);
    expect((await stack.items(`CHAT#${chat.chatId}`)).some((i) => i.sk === 'META')).toBe(false);
    const fresh = await ann.ok('createChat', { kind: 'direct', userId: bob.userId });
    expect(fresh.created).toBe(true);
    expect((fresh.chat as Chat).chatId).not.toBe(chat.chatId);
    await closeAll(stack, ann, bob);
  });

  it('keeps a blocked pair refused: neither the one who left nor the other brings them back', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const chat = await makeDirect(ann, bob.userId);
    await leave(bob, chat.chatId);
    await bob.ok('blockUser', { userId: ann.userId });
    const direct = { kind: 'direct', userId: bob.userId };
    await expectRefused(stack, ann, 'createChat', direct, 'FORBIDDEN', { chatId: chat.chatId });

    const cy = await connectUser(stack, uniqueId('cy'));
    const dee = await connectUser(stack, uniqueId('dee'));
    const other = await makeDirect(cy, dee.userId);
    await leave(dee, other.chatId);
    await cy.ok('blockUser', { userId: dee.userId });
    const back = { kind: 'direct', userId: cy.userId };
    await expectRefused(stack, dee, 'createChat', back, 'FORBIDDEN', { chatId: other.chatId });
    await expectGoneFor(dee, other.chatId);
    await closeAll(stack, ann, bob, cy, dee);
  });

  it('refuses leaving a direct chat one is not in (NOT_FOUND) and removing the other member', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const eve = await connectUser(stack, uniqueId('eve'));
    const chat = await makeDirect(ann, bob.userId);
    await expectRefused(stack, eve, 'removeMember', { chatId: chat.chatId, userId: eve.userId }, 'NOT_FOUND');
    await expectRefused(stack, eve, 'removeMember', { chatId: chat.chatId, userId: ann.userId }, 'NOT_FOUND');
    await leave(bob, chat.chatId);
    // One who left is not in it either.
    await expectRefused(stack, bob, 'removeMember', { chatId: chat.chatId, userId: bob.userId }, 'NOT_FOUND');
    await bob.ok('createChat', { kind: 'direct', userId: ann.userId });
    await expectRefused(
      stack,
      ann,
      'removeMember',
      { chatId: chat.chatId, userId: bob.userId },
      'FORBIDDEN',
      {
        message: /only yourself/,
      },
    );
    await settle(stack, eve);
    expect(eventsOf(eve, 'member.left')).toEqual([]);
    await closeAll(stack, ann, bob, eve);
  });
});

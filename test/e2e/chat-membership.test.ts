/** Invites end to end (also on a direct chat) and their events (leaving: chat-leaving.test.ts). */
import { describe, expect, it } from 'vitest';
import {
  anotherSocket,
  byUser,
  type Chat,
  connectUser,
  eventsOf,
  expectChatShape,
  forChat,
  getChat,
  history,
  listChats,
  makeDirect,
  makeGroup,
  memberOf,
  sendText,
  settle,
  sorted,
} from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

describe('invite', () => {
  it('adds new members to a group: chat.joined to them, member.joined to the previous members', async () => {
    const owner = await connectUser(stack);
    const owner2 = await anotherSocket(stack, owner);
    const old = await connectUser(stack);
    const newA1 = await connectUser(stack);
    const newA2 = await anotherSocket(stack, newA1);
    const newB = await connectUser(stack);
    const chat = await makeGroup(owner, [old.userId], 'Growing');
    await sendText(owner, chat.chatId, 'before the invite');

    const ack = await owner.request('invite', {
      chatId: chat.chatId,
      userIds: [newA1.userId, old.userId, newB.userId, newA1.userId],
    });
    expect(ack).toEqual({
      type: 'ack',
      action: 'invite',
      requestId: expect.any(String),
      chat: expect.any(Object),
    });
    const updated = ack.chat as Chat;
    expectChatShape(updated);
    expect(updated).toMatchObject({ chatId: chat.chatId, ownerId: owner.userId, lastSeq: 1, kind: 'group' });
    expect(sorted(updated.members.map((m) => m.userId))).toEqual(
      sorted([owner.userId, old.userId, newA1.userId, newB.userId]),
    );
    expect(memberOf(updated, newA1.userId)).toMatchObject({ role: 'member' });
    expect(memberOf(updated, old.userId)?.joinedAt).toBe(memberOf(chat, old.userId)?.joinedAt);

    for (const socket of [newA1, newA2, newB]) {
      expect(await socket.event('chat.joined', forChat(chat.chatId))).toEqual({
        type: 'chat.joined',
        chat: updated,
      });
    }
    for (const socket of [owner, owner2, old]) {
      const event = await socket.event('member.joined', forChat(chat.chatId));
      expect(event).toEqual({
        type: 'member.joined',
        chatId: chat.chatId,
        userIds: expect.any(Array),
        ver: expect.any(Number),
      });
      expect(sorted(event.userIds as string[])).toEqual(sorted([newA1.userId, newB.userId]));
    }
    await settle(stack, owner, owner2, old, newA1, newA2, newB);
    for (const socket of [newA1, newA2, newB]) {
      expect(eventsOf(socket, 'member.joined', forChat(chat.chatId))).toHaveLength(0);
      expect(eventsOf(socket, 'chat.joined', forChat(chat.chatId))).toHaveLength(1);
    }
    for (const socket of [owner, owner2, old]) {
      expect(eventsOf(socket, 'chat.joined', forChat(chat.chatId))).toHaveLength(0);
      expect(eventsOf(socket, 'member.joined', forChat(chat.chatId))).toHaveLength(1);
    }

    // The new members are members now: they can read and talk.
    expect(byUser(await getChat(newB, chat.chatId))).toEqual(byUser(updated));
    const hello = await sendText(newB, chat.chatId, 'hello all');
    expect(hello.seq).toBe(2);
    expect(
      await old.event(
        'message.created',
        (f) => (f.message as { messageId?: string }).messageId === hello.messageId,
      ),
    ).toBeTruthy();
  });
});

describe('invite on a direct chat', () => {
  it('starts a new group with both members and the invitees; the direct chat stays private', async () => {
    const a = await connectUser(stack, uniqueId('ann'), 'Ann');
    const b = await connectUser(stack, uniqueId('bob'), 'Bob');
    const c1 = await connectUser(stack, uniqueId('cid'), 'Cid');
    const c2 = await anotherSocket(stack, c1);
    const direct = await makeDirect(a, b.userId);
    await sendText(a, direct.chatId, 'just between us');
    await sendText(b, direct.chatId, 'indeed');
    const directBefore = await stack.items(`CHAT#${direct.chatId}`);

    const ack = await a.request('invite', { chatId: direct.chatId, userIds: [c1.userId] });
    expect(ack).toEqual({
      type: 'ack',
      action: 'invite',
      requestId: expect.any(String),
      chat: expect.any(Object),
    });
    const group = ack.chat as Chat;
    expectChatShape(group);
    expect(group.chatId).not.toBe(direct.chatId);
    expect(group).toMatchObject({ kind: 'group', ownerId: a.userId, lastSeq: 0 });
    expect(sorted(group.members.map((m) => m.userId))).toEqual(sorted([a.userId, b.userId, c1.userId]));
    expect(sorted(String(group.name).split(', '))).toEqual(['Ann', 'Bob', 'Cid']);

    for (const socket of [a, b, c1, c2]) {
      expect(await socket.event('chat.created', forChat(group.chatId))).toEqual({
        type: 'chat.created',
        chat: group,
      });
    }
    await settle(stack, a, b, c1, c2);
    for (const socket of [a, b, c1, c2]) {
      expect(eventsOf(socket, 'chat.joined')).toHaveLength(0);
      expect(eventsOf(socket, 'member.joined')).toHaveLength(0);
      expect(eventsOf(socket, 'chat.created', forChat(group.chatId))).toHaveLength(1);
    }

    // The direct chat is unchanged and still private to its two members.
    expect(await stack.items(`CHAT#${direct.chatId}`)).toEqual(directBefore);
    expect((await getChat(a, direct.chatId)).members).toHaveLength(2);
    expect((await c1.request('history', { chatId: direct.chatId })).code).toBe('NOT_FOUND');
    expect((await c1.request('getChat', { chatId: direct.chatId })).code).toBe('NOT_FOUND');
    expect((await history(c1, group.chatId)).messages).toEqual([]);
    expect((await listChats(c1)).map((s) => s.chatId)).toEqual([group.chatId]);
  });

  it('cuts the new group’s name at 100 characters', async () => {
    const names = ['A', 'B', 'C'].map((c) => c.repeat(40));
    const a = await connectUser(stack, uniqueId('long-a'), names[0]);
    const b = await connectUser(stack, uniqueId('long-b'), names[1]);
    const c = await connectUser(stack, uniqueId('long-c'), names[2]);
    const direct = await makeDirect(a, b.userId);
    const group = (await a.ok('invite', { chatId: direct.chatId, userIds: [c.userId] })).chat as Chat;
    const name = String(group.name);
    expect([...name]).toHaveLength(100);
    const [first, second, third] = name.split(', ') as [string, string, string];
    expect(sorted([first, second]).every((n) => names.includes(n))).toBe(true);
    const rest = names.filter((n) => n !== first && n !== second);
    expect(rest).toHaveLength(1);
    expect(third).toBe(rest[0]?.slice(0, 100 - 84));
  });

  it('lets the peer (not the owner) of a direct chat invite too; the new group is theirs', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const c = await connectUser(stack);
    const direct = await makeDirect(a, b.userId);
    const group = (await b.ok('invite', { chatId: direct.chatId, userIds: [c.userId] })).chat as Chat;
    expectChatShape(group);
    expect(group).toMatchObject({ kind: 'group', ownerId: b.userId });
    expect(memberOf(group, b.userId)?.role).toBe('owner');
    expect(memberOf(group, a.userId)?.role).toBe('member');
    expect((await getChat(a, direct.chatId)).ownerId).toBe(a.userId);
  });
});

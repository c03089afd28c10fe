/** Leaving chats end to end: removeMember (and leaving), deleteChat and their events. */
import { describe, expect, it } from 'vitest';
import {
  anotherSocket,
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

describe('removeMember', () => {
  it('lets the owner remove a member: member.left to the remaining members and the removed user', async () => {
    const owner = await connectUser(stack);
    const owner2 = await anotherSocket(stack, owner);
    const stay = await connectUser(stack);
    const gone1 = await connectUser(stack);
    const gone2 = await anotherSocket(stack, gone1);
    const chat = await makeGroup(owner, [stay.userId, gone1.userId], 'Pruning');

    const ack = await owner.request('removeMember', { chatId: chat.chatId, userId: gone1.userId });
    expect(ack).toEqual({
      type: 'ack',
      action: 'removeMember',
      requestId: expect.any(String),
      chatId: chat.chatId,
      userId: gone1.userId,
    });
    for (const socket of [owner, owner2, stay, gone1, gone2]) {
      expect(await socket.event('member.left', forChat(chat.chatId))).toEqual({
        type: 'member.left',
        chatId: chat.chatId,
        userId: gone1.userId,
        ver: expect.any(Number),
      });
    }
    const after = await getChat(stay, chat.chatId);
    expect(sorted(after.members.map((m) => m.userId))).toEqual(sorted([owner.userId, stay.userId]));
    expect((await gone1.request('getChat', { chatId: chat.chatId })).code).toBe('NOT_FOUND');
    expect((await listChats(gone1)).some((c) => c.chatId === chat.chatId)).toBe(false);
    expect((await listChats(owner)).find((c) => c.chatId === chat.chatId)?.memberCount).toBe(2);

    // The removed user gets no more events of the chat.
    await sendText(owner, chat.chatId, 'after the removal');
    await settle(stack, gone1, gone2);
    expect(eventsOf(gone1, 'message.created', forChat(chat.chatId))).toHaveLength(0);
    expect(eventsOf(gone2, 'message.created', forChat(chat.chatId))).toHaveLength(0);
  });

  it('lets any member leave (remove themself)', async () => {
    const owner = await connectUser(stack);
    const leaver = await connectUser(stack);
    const chat = await makeGroup(owner, [leaver.userId], 'Door');
    const ack = await leaver.ok('removeMember', { chatId: chat.chatId, userId: leaver.userId });
    expect(ack).toMatchObject({ chatId: chat.chatId, userId: leaver.userId });
    const left = { type: 'member.left', chatId: chat.chatId, userId: leaver.userId, ver: expect.any(Number) };
    expect(await leaver.event('member.left', forChat(chat.chatId))).toEqual(left);
    expect(await owner.event('member.left', forChat(chat.chatId))).toEqual(left);
    expect((await getChat(owner, chat.chatId)).members.map((m) => m.userId)).toEqual([owner.userId]);
  });

  it('hands ownership to the longest-standing member when the owner leaves', async () => {
    const owner = await connectUser(stack);
    const first = await connectUser(stack, uniqueId('zz-first'));
    const later = await connectUser(stack, uniqueId('aa-later'));
    const chat = await makeGroup(owner, [first.userId], 'Succession');
    await owner.ok('invite', { chatId: chat.chatId, userIds: [later.userId] });
    const before = await getChat(owner, chat.chatId);
    // Precondition: `first` joined strictly before `later` (whose id sorts first).
    expect(
      String(memberOf(before, first.userId)?.joinedAt) < String(memberOf(before, later.userId)?.joinedAt),
    ).toBe(true);

    await owner.ok('removeMember', { chatId: chat.chatId, userId: owner.userId });
    for (const socket of [owner, first, later]) {
      expect(await socket.event('member.left', forChat(chat.chatId))).toEqual({
        type: 'member.left',
        chatId: chat.chatId,
        userId: owner.userId,
        ver: expect.any(Number),
      });
    }
    const after = await getChat(first, chat.chatId);
    expectChatShape(after);
    expect(after.ownerId).toBe(first.userId);
    expect(memberOf(after, first.userId)?.role).toBe('owner');
    expect(memberOf(after, later.userId)?.role).toBe('member');
    expect(memberOf(after, owner.userId)).toBeUndefined();
    expect((await listChats(later)).find((c) => c.chatId === chat.chatId)?.ownerId).toBe(first.userId);

    // The new owner has the owner's rights; the others do not.
    const newcomer = uniqueId('newcomer');
    expect((await later.request('invite', { chatId: chat.chatId, userIds: [newcomer] })).code).toBe(
      'FORBIDDEN',
    );
    await first.ok('invite', { chatId: chat.chatId, userIds: [newcomer] });
    expect((await owner.request('getChat', { chatId: chat.chatId })).code).toBe('NOT_FOUND');
  });

  it('deletes the chat when its last member leaves', async () => {
    const owner = await connectUser(stack);
    const member = await connectUser(stack);
    const chat = await makeGroup(owner, [member.userId], 'Last one out');
    await sendText(member, chat.chatId, 'bye');
    await member.ok('removeMember', { chatId: chat.chatId, userId: member.userId });
    await owner.ok('removeMember', { chatId: chat.chatId, userId: owner.userId });
    for (const socket of [owner, member]) {
      expect((await socket.request('getChat', { chatId: chat.chatId })).code).toBe('NOT_FOUND');
      expect((await listChats(socket)).some((c) => c.chatId === chat.chatId)).toBe(false);
    }
    const left = (await stack.items(`CHAT#${chat.chatId}`)).filter(
      (i) => i.sk === 'META' || String(i.sk).startsWith('MEMBER#'),
    );
    expect(left).toEqual([]);
  });
});

describe('deleteChat', () => {
  it('deletes a group: chat.deleted to every member’s sockets, then NOT_FOUND everywhere', async () => {
    const owner = await connectUser(stack);
    const owner2 = await anotherSocket(stack, owner);
    const m = await connectUser(stack);
    const chat = await makeGroup(owner, [m.userId], 'Doomed');
    const msg = await sendText(m, chat.chatId, 'soon gone');

    const ack = await owner.request('deleteChat', { chatId: chat.chatId });
    expect(ack).toEqual({
      type: 'ack',
      action: 'deleteChat',
      requestId: expect.any(String),
      chatId: chat.chatId,
    });
    for (const socket of [owner, owner2, m]) {
      expect(await socket.event('chat.deleted', forChat(chat.chatId))).toEqual({
        type: 'chat.deleted',
        chatId: chat.chatId,
      });
    }
    const attempts: [string, Record<string, unknown>][] = [
      ['getChat', {}],
      ['history', {}],
      ['sendMessage', { text: 'anyone?' }],
      ['readMessage', { messageId: msg.messageId }],
      ['editMessage', { messageId: msg.messageId, text: 'x' }],
      ['deleteMessage', { messageId: msg.messageId }],
      ['typing', {}],
      ['invite', { userIds: [uniqueId()] }],
      ['removeMember', { userId: m.userId }],
      ['deleteChat', {}],
    ];
    for (const [action, fields] of attempts) {
      for (const socket of [owner, m]) {
        const reply = await socket.request(action, { chatId: chat.chatId, ...fields });
        expect({ action, code: reply.code }).toEqual({ action, code: 'NOT_FOUND' });
      }
    }
    expect((await listChats(owner)).some((c) => c.chatId === chat.chatId)).toBe(false);
    expect((await listChats(m)).some((c) => c.chatId === chat.chatId)).toBe(false);
  });

  it('deletes a direct chat (by its creator); the pair can then start a fresh one', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const direct = await makeDirect(a, b.userId);
    await sendText(b, direct.chatId, 'old history');
    await a.ok('deleteChat', { chatId: direct.chatId });
    expect(await b.event('chat.deleted', forChat(direct.chatId))).toEqual({
      type: 'chat.deleted',
      chatId: direct.chatId,
    });

    const again = await b.ok('createChat', { kind: 'direct', userId: a.userId });
    expect(again.created).toBe(true);
    const fresh = again.chat as Chat;
    expectChatShape(fresh);
    expect(fresh).toMatchObject({ kind: 'direct', ownerId: b.userId, lastSeq: 0 });
    expect(memberOf(fresh, a.userId)).toMatchObject({ role: 'member', lastReadSeq: 0 });
    expect(await history(a, fresh.chatId)).toEqual({ messages: [], hasMore: false });
    expect((await listChats(a)).find((c) => c.chatId === fresh.chatId)).toMatchObject({
      lastSeq: 0,
      lastMessage: null,
      unreadCount: 0,
    });
    const first = await sendText(a, fresh.chatId, 'new start');
    expect(first.seq).toBe(1);
  });
});

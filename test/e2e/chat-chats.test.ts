/** Chats end to end: createChat, listChats, getChat, invite, removeMember, deleteChat and their events. */
import { describe, expect, it } from 'vitest';
import {
  anotherSocket,
  byUser,
  type Chat,
  connectUser,
  eventsOf,
  expectChatShape,
  expectMessageShape,
  expectSummaryShape,
  forChat,
  getChat,
  history,
  listChats,
  makeDirect,
  makeGroup,
  memberOf,
  sendText,
  settle,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const sorted = (ids: readonly string[]) => [...ids].sort();

describe('createChat: direct', () => {
  it('creates a direct chat with a peer who never connected and tells the creator’s sockets', async () => {
    const a1 = await connectUser(stack);
    const a2 = await anotherSocket(stack, a1);
    const peerId = uniqueId('never');

    const ack = await a1.request('createChat', { kind: 'direct', userId: peerId });
    expect(ack).toEqual({
      type: 'ack',
      action: 'createChat',
      requestId: expect.any(String),
      chat: expect.any(Object),
      created: true,
    });
    const chat = ack.chat as Chat;
    expectChatShape(chat);
    expect(chat).toMatchObject({ kind: 'direct', name: null, ownerId: a1.userId, lastSeq: 0 });
    expect(sorted(chat.members.map((m) => m.userId))).toEqual(sorted([a1.userId, peerId]));
    expect(memberOf(chat, a1.userId)).toMatchObject({ role: 'owner', lastReadSeq: 0 });
    expect(memberOf(chat, peerId)).toMatchObject({ role: 'member', lastReadSeq: 0 });

    // chat.created goes to every socket of the creator, the acting one included.
    for (const socket of [a1, a2]) {
      expect(await socket.event('chat.created', forChat(chat.chatId))).toEqual({
        type: 'chat.created',
        chat,
      });
    }

    // The peer connects later and finds the chat.
    const b = await connectUser(stack, peerId);
    expect(byUser(await getChat(b, chat.chatId))).toEqual(byUser(chat));
    const summary = (await listChats(b)).find((c) => c.chatId === chat.chatId);
    expectSummaryShape(summary);
    expect(summary).toEqual({
      chatId: chat.chatId,
      kind: 'direct',
      name: null,
      ownerId: a1.userId,
      memberCount: 2,
      lastSeq: 0,
      lastMessage: null,
      lastReadSeq: 0,
      unreadCount: 0,
    });
  });

  it('keeps one direct chat per pair: a second createChat by either returns it with created:false and no event', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const first = await a.ok('createChat', { kind: 'direct', userId: b.userId });
    const chat = first.chat as Chat;
    expect(first.created).toBe(true);
    expect(await b.event('chat.created', forChat(chat.chatId))).toEqual({ type: 'chat.created', chat });

    const again = await b.request('createChat', { kind: 'direct', userId: a.userId });
    expect(again).toEqual({
      type: 'ack',
      action: 'createChat',
      requestId: expect.any(String),
      chat: expect.any(Object),
      created: false,
    });
    expect(byUser(again.chat as Chat)).toEqual(byUser(chat));
    const third = await a.ok('createChat', { kind: 'direct', userId: b.userId });
    expect(third.created).toBe(false);
    expect(byUser(third.chat as Chat)).toEqual(byUser(chat));

    await settle(stack, a, b);
    expect(eventsOf(a, 'chat.created', forChat(chat.chatId))).toHaveLength(1);
    expect(eventsOf(b, 'chat.created', forChat(chat.chatId))).toHaveLength(1);
    expect((await listChats(a)).filter((c) => c.kind === 'direct' && c.chatId === chat.chatId)).toHaveLength(
      1,
    );
  });
});

describe('createChat: direct, racing', () => {
  it('creates exactly one chat when both of a pair create it at the same time', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const [fromA, fromB] = (await Promise.all([
      a.request('createChat', { kind: 'direct', userId: b.userId }),
      b.request('createChat', { kind: 'direct', userId: a.userId }),
    ])) as [Frame, Frame];
    expect([fromA.type, fromB.type]).toEqual(['ack', 'ack']);
    const chatId = (fromA.chat as Chat).chatId;
    expect((fromB.chat as Chat).chatId).toBe(chatId);
    expect([fromA.created, fromB.created].sort()).toEqual([false, true]);
    const direct = (await listChats(a)).filter((c) => c.kind === 'direct');
    expect(direct.map((c) => c.chatId)).toEqual([chatId]);
  });
});

describe('createChat: group', () => {
  it('creates a group owned by the caller, ignoring duplicates and the caller’s own id, and tells every member', async () => {
    const owner = await connectUser(stack);
    const owner2 = await anotherSocket(stack, owner);
    const m1 = await connectUser(stack);
    const m2a = await connectUser(stack);
    const m2b = await anotherSocket(stack, m2a);
    const outsider = await connectUser(stack);
    const offline = uniqueId('offline');

    const ack = await owner.request('createChat', {
      kind: 'group',
      name: 'Weekend plans',
      memberIds: [m1.userId, m2a.userId, m1.userId, owner.userId, offline],
      extraField: 'ignored',
    });
    expect(ack).toEqual({
      type: 'ack',
      action: 'createChat',
      requestId: expect.any(String),
      chat: expect.any(Object),
      created: true,
    });
    const chat = ack.chat as Chat;
    expectChatShape(chat);
    expect(chat).toMatchObject({ kind: 'group', name: 'Weekend plans', ownerId: owner.userId, lastSeq: 0 });
    expect(sorted(chat.members.map((m) => m.userId))).toEqual(
      sorted([owner.userId, m1.userId, m2a.userId, offline]),
    );
    expect(memberOf(chat, owner.userId)?.role).toBe('owner');
    for (const id of [m1.userId, m2a.userId, offline]) {
      expect(memberOf(chat, id)).toMatchObject({ role: 'member', lastReadSeq: 0 });
    }

    for (const socket of [owner, owner2, m1, m2a, m2b]) {
      expect(await socket.event('chat.created', forChat(chat.chatId))).toEqual({
        type: 'chat.created',
        chat,
      });
    }
    await settle(stack, owner, owner2, m1, m2a, m2b, outsider);
    for (const socket of [owner, owner2, m1, m2a, m2b]) {
      expect(eventsOf(socket, 'chat.created', forChat(chat.chatId))).toHaveLength(1);
    }
    expect(eventsOf(outsider, 'chat.created', forChat(chat.chatId))).toHaveLength(0);
    expect(byUser(await getChat(m1, chat.chatId))).toEqual(byUser(chat));
  });

  it('creates a group of one when memberIds is empty', async () => {
    const owner = await connectUser(stack);
    const chat = await makeGroup(owner, [], 'Notes to self');
    expectChatShape(chat);
    expect(chat.members).toEqual([
      { userId: owner.userId, role: 'owner', lastReadSeq: 0, joinedAt: expect.any(String) },
    ]);
    expect(await owner.event('chat.created', forChat(chat.chatId))).toEqual({ type: 'chat.created', chat });
  });
});

describe('listChats and getChat', () => {
  it('lists a summary of every chat of the caller, most recent activity first', async () => {
    const me = await connectUser(stack);
    const other = await connectUser(stack);
    expect(await listChats(me)).toEqual([]);

    const x = await makeGroup(me, [other.userId], 'X');
    const y = await makeDirect(me, other.userId);
    const z = await makeGroup(me, [], 'Z');
    expect((await listChats(me)).map((c) => c.chatId)).toEqual([z.chatId, y.chatId, x.chatId]);

    const m1 = await sendText(other, x.chatId, 'first in X');
    const m2 = await sendText(other, x.chatId, 'second in X');
    let chats = await listChats(me);
    expect(chats.map((c) => c.chatId)).toEqual([x.chatId, z.chatId, y.chatId]);
    for (const c of chats) expectSummaryShape(c);
    expect(chats[0]).toEqual({
      chatId: x.chatId,
      kind: 'group',
      name: 'X',
      ownerId: me.userId,
      memberCount: 2,
      lastSeq: 2,
      lastMessage: m2,
      lastReadSeq: 0,
      unreadCount: 2,
    });
    expect(chats[2]).toMatchObject({ chatId: y.chatId, kind: 'direct', name: null, memberCount: 2 });

    await sendText(me, y.chatId, 'now Y is newest');
    chats = await listChats(me);
    expect(chats.map((c) => c.chatId)).toEqual([y.chatId, x.chatId, z.chatId]);
    expect(chats[0]).toMatchObject({ lastSeq: 1, lastReadSeq: 1, unreadCount: 0 });

    // The other member's view of X: their own messages are read.
    const theirs = (await listChats(other)).find((c) => c.chatId === x.chatId);
    expect(theirs).toMatchObject({ lastSeq: 2, lastReadSeq: 2, unreadCount: 0, memberCount: 2 });
    expectMessageShape(theirs?.lastMessage);
    expect(theirs?.lastMessage).toEqual(m2);
    expect(m1.seq).toBe(1);
  });

  it('getChat returns the Chat with every member’s role, lastReadSeq and joinedAt', async () => {
    const owner = await connectUser(stack);
    const member = await connectUser(stack);
    const chat = await makeGroup(owner, [member.userId], 'Reading');
    await sendText(owner, chat.chatId, 'one');
    const two = await sendText(owner, chat.chatId, 'two');
    await member.ok('readMessage', { chatId: chat.chatId, messageId: two.messageId });

    const ack = await member.request('getChat', { chatId: chat.chatId });
    expect(ack).toEqual({
      type: 'ack',
      action: 'getChat',
      requestId: expect.any(String),
      chat: expect.any(Object),
    });
    const got = ack.chat as Chat;
    expectChatShape(got);
    expect(got).toMatchObject({
      chatId: chat.chatId,
      lastSeq: 2,
      createdAt: chat.createdAt,
      ownerId: owner.userId,
    });
    expect(memberOf(got, owner.userId)).toMatchObject({ role: 'owner', lastReadSeq: 2 });
    expect(memberOf(got, member.userId)).toMatchObject({ role: 'member', lastReadSeq: 2 });
    expect(memberOf(got, member.userId)?.joinedAt).toBe(memberOf(chat, member.userId)?.joinedAt);
  });
});

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
      expect(event).toEqual({ type: 'member.joined', chatId: chat.chatId, userIds: expect.any(Array) });
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

  it('ignores ids that are already members; with nobody new it acks the chat and sends no event', async () => {
    const owner = await connectUser(stack);
    const member = await connectUser(stack);
    const chat = await makeGroup(owner, [member.userId], 'Stable');
    const before = await stack.items(`CHAT#${chat.chatId}`);

    const ack = await owner.ok('invite', { chatId: chat.chatId, userIds: [member.userId, owner.userId] });
    expect(byUser(ack.chat as Chat)).toEqual(byUser(chat));
    await settle(stack, owner, member);
    expect(await stack.items(`CHAT#${chat.chatId}`)).toEqual(before);
    for (const socket of [owner, member]) {
      expect(eventsOf(socket, 'member.joined', forChat(chat.chatId))).toHaveLength(0);
      expect(eventsOf(socket, 'chat.joined', forChat(chat.chatId))).toHaveLength(0);
    }
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
    const left = { type: 'member.left', chatId: chat.chatId, userId: leaver.userId };
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

describe('member order', () => {
  it('lists Chat.members by joinedAt, then userId, in every ack and event that carries a chat', async () => {
    // Ids chosen so that creator-first or request order differs from userId order.
    const creator = await connectUser(stack, uniqueId('zz-creator'), 'Zed');
    const peer = await connectUser(stack, uniqueId('aa-peer'), 'Abe');
    const mid = uniqueId('mm-mid');
    const late = uniqueId('bb-late');
    const seen: [string, Chat][] = [];
    const direct = (await creator.ok('createChat', { kind: 'direct', userId: peer.userId })).chat as Chat;
    seen.push(['createChat direct ack', direct]);
    seen.push([
      'chat.created (direct)',
      (await peer.event('chat.created', forChat(direct.chatId))).chat as Chat,
    ]);
    const again = (await peer.ok('createChat', { kind: 'direct', userId: creator.userId })).chat as Chat;
    seen.push(['createChat direct ack (existing)', again]);
    const group = await makeGroup(creator, [mid, peer.userId], 'Order');
    seen.push(['createChat group ack', group]);
    seen.push([
      'chat.created (group)',
      (await peer.event('chat.created', forChat(group.chatId))).chat as Chat,
    ]);
    const invited = (
      await creator.ok('invite', { chatId: group.chatId, userIds: [late, uniqueId('ab-late')] })
    ).chat as Chat;
    seen.push(['invite ack', invited]);
    const fromDirect = (await creator.ok('invite', { chatId: direct.chatId, userIds: [mid] })).chat as Chat;
    seen.push(['invite on a direct chat ack', fromDirect]);
    seen.push(['getChat', await getChat(peer, group.chatId)]);
    const unsorted = seen
      .filter(([, chat]) => {
        const order = chat.members.map((m) => `${m.joinedAt} ${m.userId}`);
        return order.join('|') !== [...order].sort().join('|');
      })
      .map(([where, chat]) => `${where}: ${chat.members.map((m) => m.userId).join(', ')}`);
    expect(unsorted).toEqual([]);
    for (const [, chat] of seen) expectChatShape(chat);
  });
});

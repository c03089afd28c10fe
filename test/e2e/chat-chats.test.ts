/** Chats end to end: createChat, listChats, getChat, and their events (the order of members: chat-member-order.test.ts). */
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
  listChats,
  makeDirect,
  makeGroup,
  memberOf,
  sendText,
  settle,
  sorted,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

/** Asserts a createChat ack that created a chat (exactly the contract's fields); returns the chat. */
function expectCreated(ack: Frame): Chat {
  expect(ack).toEqual({
    type: 'ack',
    action: 'createChat',
    requestId: expect.any(String),
    chat: expect.any(Object),
    created: true,
  });
  expectChatShape(ack.chat);
  return ack.chat;
}

describe('createChat: direct', () => {
  it('creates a direct chat with a peer who never connected and tells the creator’s sockets', async () => {
    const a1 = await connectUser(stack);
    const a2 = await anotherSocket(stack, a1);
    const peerId = uniqueId('never');

    const ack = await a1.request('createChat', { kind: 'direct', userId: peerId });
    const chat = expectCreated(ack);
    // Each of the pair is given the other's id (`peerId`): the Chat of a direct chat is per viewer.
    expect(chat).toMatchObject({ kind: 'direct', name: null, ownerId: a1.userId, peerId, lastSeq: 0 });
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
    expect(byUser(await getChat(b, chat.chatId))).toEqual(byUser({ ...chat, peerId: a1.userId }));
    const summary = (await listChats(b)).find((c) => c.chatId === chat.chatId);
    expectSummaryShape(summary);
    expect(summary).toEqual({
      chatId: chat.chatId,
      kind: 'direct',
      name: null,
      ownerId: a1.userId,
      peerId: a1.userId,
      memberCount: 2,
      lastSeq: 0,
      lastVer: expect.any(Number),
      lastMessage: null,
      lastReadSeq: 0,
      unreadCount: 0,
      mutedUntil: null,
    });
  });

  it('keeps one direct chat per pair: a second createChat by either returns it with created:false and no event', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const first = await a.ok('createChat', { kind: 'direct', userId: b.userId });
    const chat = first.chat as Chat;
    expect(first.created).toBe(true);
    const theirs = { ...chat, peerId: a.userId };
    expect(await b.event('chat.created', forChat(chat.chatId))).toEqual({
      type: 'chat.created',
      chat: theirs,
    });

    const again = await b.request('createChat', { kind: 'direct', userId: a.userId });
    expect(again).toEqual({
      type: 'ack',
      action: 'createChat',
      requestId: expect.any(String),
      chat: expect.any(Object),
      created: false,
    });
    expect(byUser(again.chat as Chat)).toEqual(byUser(theirs));
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
    const chat = expectCreated(ack);
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
      {
        userId: owner.userId,
        role: 'owner',
        lastReadSeq: 0,
        lastDeliveredSeq: 0,
        joinedAt: expect.any(String),
      },
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
      lastVer: expect.any(Number),
      lastMessage: m2,
      lastReadSeq: 0,
      unreadCount: 2,
      mutedUntil: null,
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

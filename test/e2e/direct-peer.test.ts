/**
 * A direct chat's Chat and ChatSummary name the other of the pair (`peerId`, docs/protocol.md), to
 * each of them, also while that one has left it: the members then list the caller alone, and the one
 * who left may come back at will (createChat of the pair), so a client must still know who they are
 * (to title the chat, to block them). The pair is stored on the chat's `META` when it is created; a
 * chat stored before has none, and its Chat names the peer from its members (none after a leave).
 * A group never carries `peerId`.
 */
import { describe, expect, it } from 'vitest';
import {
  type Chat,
  type ChatSummary,
  closeAll,
  connectUser,
  eventsOf,
  expectChatShape,
  expectSummaryShape,
  forChat,
  getChat,
  makeGroup,
  settle,
  summaryOf,
  type UserSocket,
} from '../support/chat.ts';
import { metaOf, olderThanThePair } from '../support/older-chats.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const leave = (socket: UserSocket, chatId: string) =>
  socket.ok('removeMember', { chatId, userId: socket.userId });

const createDirect = async (caller: UserSocket, userId: string) =>
  (await caller.ok('createChat', { kind: 'direct', userId })) as { chat: Chat; created: boolean };

/** The chat as `socket` reads it (getChat and listChats), each of the contract's exact shape. */
async function readsOf(socket: UserSocket, chatId: string): Promise<{ chat: Chat; summary: ChatSummary }> {
  const chat = await getChat(socket, chatId);
  expectChatShape(chat);
  const summary = (await summaryOf(socket, chatId)) as ChatSummary;
  expectSummaryShape(summary);
  return { chat, summary };
}

/** What `socket` is told of `peerId` in its getChat and listChats, and who the members are. */
async function expectPeer(socket: UserSocket, chatId: string, peerId: string | undefined, members: string[]) {
  const { chat, summary } = await readsOf(socket, chatId);
  expect(chat.members.map((m) => m.userId).sort()).toEqual([...members].sort());
  expect(chat.peerId).toBe(peerId);
  expect(summary.peerId).toBe(peerId);
  if (peerId === undefined) {
    expect(Object.hasOwn(chat, 'peerId')).toBe(false);
    expect(Object.hasOwn(summary, 'peerId')).toBe(false);
  }
}

describe('a direct chat names the other of the pair', () => {
  it('to each of them: the create ack, chat.created, getChat and listChats', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const ack = await createDirect(ann, bob.userId);
    expect(ack.created).toBe(true);
    expectChatShape(ack.chat);
    expect(ack.chat.peerId).toBe(bob.userId);
    const { chatId } = ack.chat;
    // The pair is stored on META with the chat (a leave does not touch it).
    expect([...((await metaOf(stack, chatId)).pair as Set<string>)].sort()).toEqual(
      [ann.userId, bob.userId].sort(),
    );
    const annCreated = (await ann.event('chat.created', forChat(chatId))).chat as Chat;
    const bobCreated = (await bob.event('chat.created', forChat(chatId))).chat as Chat;
    expect(annCreated.peerId).toBe(bob.userId);
    expect(bobCreated.peerId).toBe(ann.userId);
    await expectPeer(ann, chatId, bob.userId, [ann.userId, bob.userId]);
    await expectPeer(bob, chatId, ann.userId, [ann.userId, bob.userId]);
    // Asking again (created: false) names them too.
    const again = await createDirect(bob, ann.userId);
    expect(again).toMatchObject({ created: false, chat: { chatId, peerId: ann.userId } });
    await closeAll(stack, ann, bob);
  });

  it('also once they left it, and after they come back (brought back, or by themselves)', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const { chatId } = (await createDirect(ann, bob.userId)).chat;

    await leave(bob, chatId);
    await ann.event('member.left', forChat(chatId));
    // ann is its only member: the members name nobody else, peerId still names bob.
    await expectPeer(ann, chatId, bob.userId, [ann.userId]);

    // ann brings bob back: her ack names bob, bob's chat.joined names ann.
    const back = await createDirect(ann, bob.userId);
    expect(back.created).toBe(false);
    expect(back.chat.peerId).toBe(bob.userId);
    const joined = (await bob.event('chat.joined', forChat(chatId))).chat as Chat;
    expectChatShape(joined);
    expect(joined.peerId).toBe(ann.userId);
    await expectPeer(ann, chatId, bob.userId, [ann.userId, bob.userId]);
    await expectPeer(bob, chatId, ann.userId, [ann.userId, bob.userId]);

    // ann (the owner, its creator) leaves; bob stays, named as the owner, and knows her still.
    await leave(ann, chatId);
    await bob.event('member.left', (f) => f.chatId === chatId && f.userId === ann.userId);
    await expectPeer(bob, chatId, ann.userId, [bob.userId]);
    // She comes back by herself: her ack names bob.
    const returned = await createDirect(ann, bob.userId);
    expect(returned.chat.peerId).toBe(bob.userId);
    await expectPeer(ann, chatId, bob.userId, [ann.userId, bob.userId]);
    await expectPeer(bob, chatId, ann.userId, [ann.userId, bob.userId]);
    // bob's createChat just after may be the retry of her return: it tells her again, naming bob.
    expect((await createDirect(bob, ann.userId)).chat.peerId).toBe(ann.userId);
    await settle(stack, ann);
    const told = eventsOf(ann, 'chat.joined', forChat(chatId)).map((f) => (f.chat as Chat).peerId);
    expect(told).toEqual([bob.userId, bob.userId]);
    await closeAll(stack, ann, bob);
  });

  it('stored before the pair was on META: from the members (both in it), none once one left', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const { chatId } = (await createDirect(ann, bob.userId)).chat;
    await olderThanThePair(stack, chatId);
    expect((await metaOf(stack, chatId)).pair).toBeUndefined();
    await expectPeer(ann, chatId, bob.userId, [ann.userId, bob.userId]);
    await expectPeer(bob, chatId, ann.userId, [ann.userId, bob.userId]);

    await leave(bob, chatId);
    await ann.event('member.left', forChat(chatId));
    await expectPeer(ann, chatId, undefined, [ann.userId]);

    const back = await createDirect(ann, bob.userId);
    expect(back.chat.peerId).toBe(bob.userId);
    const joined = (await bob.event('chat.joined', forChat(chatId))).chat as Chat;
    expect(joined.peerId).toBe(ann.userId);
    await expectPeer(bob, chatId, ann.userId, [ann.userId, bob.userId]);
    await closeAll(stack, ann, bob);
  });
});

describe('a group never carries peerId', () => {
  it('in the create ack, chat.created, getChat, listChats, nor the group an invite into a direct chat starts', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const carol = await connectUser(stack, uniqueId('carol'));
    const pair = await makeGroup(ann, [bob.userId], 'Two of us');
    const direct = (await createDirect(ann, bob.userId)).chat;
    const started = (await ann.ok('invite', { chatId: direct.chatId, userIds: [carol.userId] })).chat as Chat;
    for (const group of [pair, started]) {
      expect(Object.hasOwn(group, 'peerId')).toBe(false);
      const created = (await bob.event('chat.created', forChat(group.chatId))).chat as Chat;
      expect(Object.hasOwn(created, 'peerId')).toBe(false);
      for (const socket of [ann, bob])
        await expectPeer(
          socket,
          group.chatId,
          undefined,
          group.members.map((m) => m.userId),
        );
    }
    await closeAll(stack, ann, bob, carol);
  });
});

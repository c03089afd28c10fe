/**
 * A direct chat one of the pair left, and blocks (protocol, createChat: "a pair one of whom blocked
 * the other stays apart"). createChat of the pair brings the one who left back only while neither
 * has blocked the other: the blocked one asking is refused as a stranger is (a sentence that says
 * nothing of the block), the blocker asking, whether they left or stayed, is told that they blocked
 * the other (FORBIDDEN naming "userId"); after an unblock the chat comes back. A block that lands
 * between the return's check and its write refuses it too: the write checks both block items, as a
 * new direct chat's transaction does (block-mirror.ts). Before, only the other's block of the caller
 * was looked at, and not in the write: a blocker pulled the one they blocked back in, and came back
 * themselves (review rv2, test/e2e/rv2-block-rejoin). Through the local gateway, DynamoDB Local.
 */
import { describe, expect, it } from 'vitest';
import {
  type Chat,
  closeAll,
  connectUser,
  eventsOf,
  expectRefused,
  forChat,
  getChat,
  makeDirect,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';
import { blockBeforeTheMirror, olderThanTheMirror } from '../support/older-chats.ts';
import { uniqueId } from '../support/stack.ts';

/** Armed: the next transaction that puts `joiner`'s membership of `chatId` first runs `meanwhile`. */
let beforeJoin: { chatId: string; joiner: string; meanwhile: () => Promise<unknown> } | undefined;

const stack = useInterceptedStack(async (command, input) => {
  const armed = beforeJoin;
  if (!armed || !command.startsWith('Transact')) return;
  if (!input.includes(`CHAT#${armed.chatId}`) || !input.includes(`"MEMBER#${armed.joiner}"`)) return;
  beforeJoin = undefined;
  await armed.meanwhile();
});

const leave = (socket: UserSocket, chatId: string) =>
  socket.ok('removeMember', { chatId, userId: socket.userId });
const YOU_BLOCKED = /^You have blocked "userId"/;
const STRANGER = /^You cannot start a chat with this user\.$/;

/** The chat as the one who stayed sees it: only them in it, and no one told of a join. */
async function expectStillApart(stayed: UserSocket, left: UserSocket, chatId: string): Promise<void> {
  expect((await getChat(stayed, chatId)).members.map((m) => m.userId)).toEqual([stayed.userId]);
  expect((await left.request('getChat', { chatId })).code).toBe('NOT_FOUND');
  await settle(stack, stayed, left);
  expect(eventsOf(left, 'chat.joined', forChat(chatId))).toEqual([]);
  expect(eventsOf(stayed, 'member.joined', forChat(chatId))).toEqual([]);
}

/** A direct chat of two new users, which `leaver` (0 or 1: the creator or the other) has left. */
async function leftPair(leaver: 0 | 1): Promise<{ stayed: UserSocket; left: UserSocket; chat: Chat }> {
  const creator = await connectUser(stack, uniqueId('ann'));
  const other = await connectUser(stack, uniqueId('bob'));
  const chat = await makeDirect(creator, other.userId);
  const [left, stayed] = leaver === 0 ? [creator, other] : [other, creator];
  await leave(left, chat.chatId);
  return { stayed, left, chat };
}

describe('a direct chat one of the pair left, and blocks', () => {
  it('the one who left and then blocked the other is not brought back: told they blocked them', async () => {
    const { stayed: ann, left: bob, chat } = await leftPair(1);
    await bob.ok('blockUser', { userId: ann.userId });
    const direct = { kind: 'direct', userId: ann.userId };
    await expectRefused(stack, bob, 'createChat', direct, 'FORBIDDEN', {
      chatId: chat.chatId,
      message: YOU_BLOCKED,
    });
    await expectStillApart(ann, bob, chat.chatId);

    // Unblocked, the chat comes back: the same one.
    await bob.ok('unblockUser', { userId: ann.userId });
    const back = await bob.ok('createChat', direct);
    expect(back).toMatchObject({ created: false, chat: { chatId: chat.chatId, memberCount: 2 } });
    await bob.event('chat.joined', forChat(chat.chatId));
    await closeAll(stack, ann, bob);
  });

  it('the one who stayed and blocked the other does not pull them back: told they blocked them', async () => {
    const { stayed: cy, left: dee, chat } = await leftPair(1);
    await cy.ok('blockUser', { userId: dee.userId });
    const direct = { kind: 'direct', userId: dee.userId };
    await expectRefused(stack, cy, 'createChat', direct, 'FORBIDDEN', {
      chatId: chat.chatId,
      message: YOU_BLOCKED,
    });
    // The one blocked asking is refused as anyone they cannot reach, never told of the block.
    const toCy = { kind: 'direct', userId: cy.userId };
    await expectRefused(stack, dee, 'createChat', toCy, 'FORBIDDEN', {
      chatId: chat.chatId,
      message: STRANGER,
    });
    await expectStillApart(cy, dee, chat.chatId);

    await cy.ok('unblockUser', { userId: dee.userId });
    const back = await cy.ok('createChat', direct);
    expect(back).toMatchObject({ created: false, chat: { chatId: chat.chatId, memberCount: 2 } });
    await dee.event('chat.joined', forChat(chat.chatId));
    await closeAll(stack, cy, dee);
  });

  it('the owner who left is not pulled back by the one they blocked, nor comes back themselves', async () => {
    const { stayed: bob, left: ann, chat } = await leftPair(0);
    await ann.ok('blockUser', { userId: bob.userId });
    await expectRefused(stack, bob, 'createChat', { kind: 'direct', userId: ann.userId }, 'FORBIDDEN', {
      chatId: chat.chatId,
      message: STRANGER,
    });
    await expectRefused(stack, ann, 'createChat', { kind: 'direct', userId: bob.userId }, 'FORBIDDEN', {
      chatId: chat.chatId,
      message: YOU_BLOCKED,
    });
    await expectStillApart(bob, ann, chat.chatId);
    await closeAll(stack, ann, bob);
  });

  it('a block that lands between the return’s check and its write refuses the return', async () => {
    // Either of the pair blocks the other after the createChat read their block items (none).
    for (const blocker of ['left', 'stayed'] as const) {
      const { stayed, left, chat } = await leftPair(1);
      const [by, of] = blocker === 'left' ? [left, stayed] : [stayed, left];
      beforeJoin = {
        chatId: chat.chatId,
        joiner: left.userId,
        meanwhile: () => by.ok('blockUser', { userId: of.userId }),
      };
      const reply = await stayed.request('createChat', { kind: 'direct', userId: left.userId });
      expect(beforeJoin, 'the return reached its write').toBeUndefined();
      expect(reply, `${blocker} blocked meanwhile`).toMatchObject({
        type: 'error',
        code: 'FORBIDDEN',
        message: expect.stringMatching(blocker === 'left' ? STRANGER : YOU_BLOCKED),
      });
      await expectStillApart(stayed, left, chat.chatId);
      await closeAll(stack, stayed, left);
    }
  });
});

/** The events `socket` got since its frame `mark` (replies left out). */
const eventsSince = (socket: UserSocket, mark: number) =>
  socket.frames.slice(mark).filter((f) => !['ack', 'error', 'pong'].includes(String(f.type)));

describe('createChat of the pair again within the return window, by one who blocked the other since', () => {
  // A return tells again for 20 s (joins.ts returnAgain: the retry of one that stopped before telling);
  // a block of either by the other since makes it tell nobody: the one blocked learns nothing of the
  // blocker. The chat's META lists the block (its mirror); one older than the mirror may not list a
  // block stored before it, and reads the caller's block item.
  const cases = [
    { name: 'the one who stayed brought the other back, then blocked them', blockerCameBack: false },
    { name: 'the one who came back blocked the other', blockerCameBack: true },
    {
      name: 'in a chat older than the mirror, a block it does not list',
      blockerCameBack: false,
      older: true,
    },
  ];
  for (const { name, blockerCameBack, older } of cases) {
    it(name, async () => {
      const { stayed: bob, left: ann, chat } = await leftPair(0);
      const { chatId } = chat;
      if (older) await olderThanTheMirror(stack, chatId);
      const [blocker, blocked] = blockerCameBack ? [ann, bob] : [bob, ann];
      await blocker.ok('createChat', { kind: 'direct', userId: blocked.userId }); // ann is back
      await ann.event('chat.joined', forChat(chatId));
      if (older) await blockBeforeTheMirror(stack, blocker.userId, blocked.userId);
      else await blocker.ok('blockUser', { userId: blocked.userId });
      await settle(stack, ann, bob);
      const mark = blocked.frames.length;
      const again = await blocker.ok('createChat', { kind: 'direct', userId: blocked.userId });
      expect(again).toMatchObject({ created: false, chat: { chatId, memberCount: 2 } });
      await settle(stack, ann, bob);
      expect(eventsSince(blocked, mark), 'the one blocked learns of the blocker’s createChat').toEqual([]);
      await closeAll(stack, ann, bob);
    });
  }
});

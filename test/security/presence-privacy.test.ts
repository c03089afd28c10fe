/**
 * Presence privacy end to end: `presence` events and `getPresence` answers reach only users who share
 * a chat with that user and are not blocked by them. For anyone else `getPresence` answers exactly
 * what it answers for a user id that never existed (`online: false, lastSeenAt: null`).
 */
import { describe, expect, it } from 'vitest';
import { PRESENCE_ANNOUNCEMENTS } from '../../lambdas/domain/presence.ts';
import {
  anotherSocket,
  closeAll,
  connectUser,
  eventsOf,
  ISO_TIME,
  makeDirect,
  makeGroup,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const presenceOf = async (asker: UserSocket, userIds: string[]) =>
  (await asker.ok('getPresence', { userIds })).presence as {
    userId: string;
    online: boolean;
    lastSeenAt: string | null;
  }[];

const about = (userId: string) => (f: Frame) => f.userId === userId;

describe('getPresence', () => {
  it('answers a stranger exactly as a user who never existed, until they share a chat', async () => {
    const asker = await connectUser(stack, uniqueId('asker'));
    const stranger = await connectUser(stack, uniqueId('stranger'));
    const ghost = uniqueId('ghost');
    // The stranger is online and has been seen, yet reads like the ghost.
    expect(await presenceOf(asker, [stranger.userId, ghost])).toEqual([
      { userId: stranger.userId, online: false, lastSeenAt: null },
      { userId: ghost, online: false, lastSeenAt: null },
    ]);
    // Sharing a group (not a direct chat) is enough; the asker sees themself too.
    await makeGroup(stranger, [asker.userId], 'Now we share');
    expect(await presenceOf(asker, [stranger.userId, ghost, asker.userId])).toEqual([
      { userId: stranger.userId, online: true, lastSeenAt: expect.stringMatching(ISO_TIME) },
      { userId: ghost, online: false, lastSeenAt: null },
      { userId: asker.userId, online: true, lastSeenAt: expect.stringMatching(ISO_TIME) },
    ]);
  });

  it('answers never seen about a user who blocked the asker, and the truth again after unblocking', async () => {
    const blocker = await connectUser(stack, uniqueId('blocker'));
    const blocked = await connectUser(stack, uniqueId('blocked'));
    const friend = await connectUser(stack, uniqueId('friend'));
    await makeDirect(blocked, blocker.userId);
    await makeGroup(friend, [blocker.userId, blocked.userId], 'Three');
    await blocker.ok('blockUser', { userId: blocked.userId });
    expect(await presenceOf(blocked, [blocker.userId])).toEqual([
      { userId: blocker.userId, online: false, lastSeenAt: null },
    ]);
    // Others in the same chats still see the blocker; the blocker still sees the blocked user.
    expect((await presenceOf(friend, [blocker.userId]))[0]?.online).toBe(true);
    expect((await presenceOf(blocker, [blocked.userId]))[0]?.online).toBe(true);
    await blocker.ok('unblockUser', { userId: blocked.userId });
    expect(await presenceOf(blocked, [blocker.userId])).toEqual([
      { userId: blocker.userId, online: true, lastSeenAt: expect.stringMatching(ISO_TIME) },
    ]);
  });
});

describe('presence events', () => {
  it('stop reaching a user the blocker blocked, and reach them again after unblocking', async () => {
    const blocked = await connectUser(stack, uniqueId('blocked'));
    const peer = await connectUser(stack, uniqueId('peer'));
    const userId = uniqueId('amy');
    const amy = await connectUser(stack, userId);
    await makeDirect(amy, blocked.userId);
    await makeDirect(amy, peer.userId);
    await amy.ok('blockUser', { userId: blocked.userId });

    await closeAll(stack, amy);
    await peer.event('presence', (f) => about(userId)(f) && f.online === false);
    const back = await connectUser(stack, userId);
    await peer.event('presence', (f) => about(userId)(f) && f.online === true);
    await settle(stack, blocked, peer);
    expect(eventsOf(blocked, 'presence', about(userId))).toEqual([]);

    await back.ok('unblockUser', { userId: blocked.userId });
    const second = await anotherSocket(stack, back);
    await closeAll(stack, back, second);
    const offline = await blocked.event('presence', (f) => about(userId)(f) && f.online === false);
    expect(offline).toEqual({
      type: 'presence',
      userId,
      online: false,
      lastSeenAt: expect.stringMatching(ISO_TIME),
    });
  });

  it('never reach a peer who blocked the user: blocking a stranger stops her coming and going', async () => {
    const victim = await connectUser(stack, uniqueId('victim'));
    const friend = await connectUser(stack, uniqueId('friend'));
    const malloryId = uniqueId('mallory');
    const mallory = await connectUser(stack, malloryId);
    await makeDirect(mallory, victim.userId);
    await makeDirect(mallory, friend.userId);
    await victim.ok('blockUser', { userId: malloryId });

    await closeAll(stack, mallory);
    await friend.event('presence', (f) => about(malloryId)(f) && f.online === false);
    const back = await connectUser(stack, malloryId);
    await friend.event('presence', (f) => about(malloryId)(f) && f.online === true);
    await closeAll(stack, back);
    await settle(stack, victim, friend);
    expect(eventsOf(victim, 'presence', about(malloryId))).toEqual([]);
  });

  it('coalesce a reconnect loop: a peer gets at most the window’s announcements, not two per cycle', async () => {
    const peer = await connectUser(stack, uniqueId('peer'));
    const userId = uniqueId('looper');
    let looper = await connectUser(stack, userId);
    await makeDirect(looper, peer.userId);
    for (let cycle = 0; cycle < 5; cycle++) {
      await closeAll(stack, looper);
      looper = await connectUser(stack, userId);
    }
    await closeAll(stack, looper);
    await settle(stack, peer);
    // 12 changes (the first connect had no peer to tell) within a few seconds: the window's 4.
    const heard = eventsOf(peer, 'presence', about(userId)).map((f) => f.online);
    expect(heard).toEqual([false, true, false, true]);
    expect(heard).toHaveLength(PRESENCE_ANNOUNCEMENTS.max);
  });
});

/**
 * Presence end to end: direct-chat peers told when the first socket opens and the last closes (a
 * vanished socket included), and getPresence.
 */
import { describe, expect, it } from 'vitest';
import {
  anotherSocket,
  closeAll,
  connectUser,
  eventsOf,
  ISO_TIME,
  type Message,
  makeDirect,
  makeGroup,
  settle,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { vanishSocket } from '../support/ghost.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const _aboutMessage = (messageId: string) => (f: Frame) =>
  (f.message as Message | undefined)?.messageId === messageId;

describe('presence', () => {
  it('tells direct-chat peers when a user’s first socket opens and the last one closes', async () => {
    const peer = await connectUser(stack);
    const peer2 = await anotherSocket(stack, peer);
    const groupMate = await connectUser(stack);
    const userId = uniqueId('pres');
    const neverSeen = uniqueId('ghost');
    await makeDirect(peer, userId);
    await makeGroup(groupMate, [userId], 'No presence here');
    const aboutUser = (f: Frame) => f.userId === userId;

    // Never connected: offline, never seen.
    const initial = await peer.request('getPresence', { userIds: [userId, neverSeen] });
    expect(initial).toEqual({
      type: 'ack',
      action: 'getPresence',
      requestId: expect.any(String),
      presence: [
        { userId, online: false, lastSeenAt: null },
        { userId: neverSeen, online: false, lastSeenAt: null },
      ],
    });

    const s1 = await connectUser(stack, userId);
    const online = await peer.event('presence', aboutUser);
    expect(online).toEqual({
      type: 'presence',
      userId,
      online: true,
      lastSeenAt: expect.stringMatching(ISO_TIME),
    });
    expect(await peer2.event('presence', aboutUser)).toEqual(online);

    const s2 = await anotherSocket(stack, s1);
    await settle(stack, peer, groupMate);
    expect(eventsOf(peer, 'presence', aboutUser)).toHaveLength(1);
    expect(eventsOf(groupMate, 'presence', aboutUser)).toHaveLength(0);
    const now = await groupMate.ok('getPresence', { userIds: [neverSeen, userId] });
    expect(now.presence).toEqual([
      { userId: neverSeen, online: false, lastSeenAt: null },
      { userId, online: true, lastSeenAt: expect.stringMatching(ISO_TIME) },
    ]);

    await closeAll(stack, s1);
    await settle(stack, peer);
    expect(eventsOf(peer, 'presence', aboutUser)).toHaveLength(1);
    expect((await peer.ok('getPresence', { userIds: [userId] })).presence).toEqual([
      { userId, online: true, lastSeenAt: expect.stringMatching(ISO_TIME) },
    ]);

    await closeAll(stack, s2);
    const offline = await peer.event('presence', (f) => aboutUser(f) && f.online === false);
    expect(offline).toEqual({
      type: 'presence',
      userId,
      online: false,
      lastSeenAt: expect.stringMatching(ISO_TIME),
    });
    expect(Date.parse(String(offline.lastSeenAt))).toBeGreaterThanOrEqual(
      Date.parse(String(online.lastSeenAt)),
    );
    expect((await peer.ok('getPresence', { userIds: [userId] })).presence).toEqual([
      { userId, online: false, lastSeenAt: offline.lastSeenAt },
    ]);
    expect(await peer2.event('presence', (f) => aboutUser(f) && f.online === false)).toEqual(offline);
    await settle(stack, peer, peer2, groupMate);
    expect(eventsOf(peer, 'presence', aboutUser)).toHaveLength(2);
    expect(eventsOf(peer2, 'presence', aboutUser)).toHaveLength(2);
    expect(eventsOf(groupMate, 'presence', aboutUser)).toHaveLength(0);

    // Coming back is a first socket again.
    const s3 = await connectUser(stack, userId);
    await settle(stack, peer);
    expect(eventsOf(peer, 'presence', aboutUser).map((f) => f.online)).toEqual([true, false, true]);
    await closeAll(stack, s3);
  });

  it('answers getPresence in the order asked, for any users', async () => {
    const asker = await connectUser(stack);
    const on = await connectUser(stack);
    // Presence privacy: only users who share a chat with the asker are answered truthfully.
    await makeGroup(on, [asker.userId], 'Shared');
    const ids = [uniqueId('x'), on.userId, uniqueId('y'), asker.userId];
    const ack = await asker.ok('getPresence', { userIds: ids });
    expect((ack.presence as { userId: string }[]).map((p) => p.userId)).toEqual(ids);
    expect((ack.presence as { online: boolean }[]).map((p) => p.online)).toEqual([false, true, false, true]);
    // A repeated id is answered again where it is repeated: one entry per id asked.
    const again = [on.userId, on.userId, ids[0], asker.userId, on.userId];
    const repeated = await asker.ok('getPresence', { userIds: again });
    expect(
      (repeated.presence as { userId: string; online: boolean }[]).map((p) => [p.userId, p.online]),
    ).toEqual([
      [on.userId, true],
      [on.userId, true],
      [ids[0], false],
      [asker.userId, true],
      [on.userId, true],
    ]);
  });
});

describe('presence with a vanished socket', () => {
  it('goes offline when the last open socket closes, even if another one vanished without a close', async () => {
    const peer = await connectUser(stack);
    const u1 = await connectUser(stack);
    const u2 = await anotherSocket(stack, u1);
    await makeDirect(peer, u1.userId);
    await vanishSocket(stack, u1);
    await closeAll(stack, u2);
    await settle(stack, peer);
    const offline = eventsOf(peer, 'presence', (f) => f.userId === u1.userId && f.online === false);
    expect(offline).toEqual([
      { type: 'presence', userId: u1.userId, online: false, lastSeenAt: expect.stringMatching(ISO_TIME) },
    ]);
    expect((await peer.ok('getPresence', { userIds: [u1.userId] })).presence).toEqual([
      { userId: u1.userId, online: false, lastSeenAt: expect.stringMatching(ISO_TIME) },
    ]);
  });
});

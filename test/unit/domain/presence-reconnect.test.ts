/**
 * A reconnect racing the old socket's `$disconnect`: the new socket is stored after the
 * `$disconnect` decided the user went offline, and its `$connect` announces online from another
 * Lambda, in no order with the offline post. The `$disconnect` reads the sockets again once its
 * offline event is posted and announces the user online again when one appeared.
 */
import { describe, expect, it } from 'vitest';
import type { OpenConnection } from '../../../lambdas/data/connections.ts';
import { CONNECTION_TTL_SECONDS } from '../../../lambdas/data/items.ts';
import { closeConnection } from '../../../lambdas/domain/connections.ts';
import { caller, fakeDeps, NOW, sent } from './fakes.ts';

const ann = caller('ann');
const memberships = [{ chatId: 'd1', userId: 'ann', kind: 'direct' as const, peerId: 'bob' }];
/** A socket of ann stored just now (inside its `$connect`, or just opened). */
const justStored = (connectionId: string): OpenConnection => ({
  connectionId,
  expiresAt: Math.floor(Date.parse(NOW) / 1000) + CONNECTION_TTL_SECONDS,
});

describe('$disconnect racing a reconnect', () => {
  it('announces the user online again when a socket was stored while the offline event went out', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    const stored: OpenConnection[] = [];
    store.connections.list.mockImplementation(async () => [...stored]);
    // The new socket's `$connect` stores it while the offline post is on its way.
    fanOut.toUsers.mockImplementation(async (_users, frame) => {
      if (frame.type === 'presence' && frame.online === false) stored.push(justStored('k2'));
      return { delivered: 1, gone: 0, connecting: 0, failed: 0, retried: 0, queued: 0 };
    });
    await closeConnection(deps, ann, { connectionId: 'k1' });
    const presence = { type: 'presence', userId: 'ann', lastSeenAt: NOW };
    expect(sent(fanOut).map((s) => [s.userIds, s.frame])).toEqual([
      [['bob'], { ...presence, online: false }],
      [['bob'], { ...presence, online: true }],
    ]);
    expect(store.connections.list).toHaveBeenLastCalledWith('ann', { consistent: true });
    // The young socket counts as open without asking the gateway (it may be inside its `$connect`).
    expect(fanOut.isOpen).not.toHaveBeenCalled();
  });

  it('announces only offline when no socket appeared (one more consistent read)', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(sent(fanOut).map((s) => s.frame)).toEqual([
      { type: 'presence', userId: 'ann', online: false, lastSeenAt: NOW },
    ]);
    expect(store.connections.list).toHaveBeenCalledTimes(2);
  });

  it('reads nothing more when there is no one to tell', async () => {
    const { deps, store, fanOut } = fakeDeps();
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(store.profiles.setLastSeen).toHaveBeenCalledWith('ann', NOW);
    expect(fanOut.toUsers).not.toHaveBeenCalled();
    expect(store.connections.list).toHaveBeenCalledTimes(1);
  });
});

/**
 * Presence decisions while a socket is still in its `$connect` (GetConnection answers 410 and its
 * record is kept): going offline puts the decision off to a recheck, going online counts it as not
 * open (split from presence.test.ts, whose set-up it shares).
 */
import { GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import { describe, expect, it, vi } from 'vitest';
import { CONNECTION_TTL_SECONDS, HANDSHAKE_SECONDS } from '../../../lambdas/data/items.ts';
import { closeConnection, openConnection } from '../../../lambdas/domain/connections.ts';
import type { Deps } from '../../../lambdas/domain/deps.ts';
import type { SocketDirectory } from '../../../lambdas/fanout/directory.ts';
import { FanOut } from '../../../lambdas/fanout/fanout.ts';
import { fakeApi } from '../fanout-fakes.ts';
import { caller, fakeDeps, NOW } from './fakes.ts';

const ann = caller('ann');
const connectedAt = new Date('2026-03-01T11:00:00.000Z');
const memberships = [
  { chatId: 'd1', userId: 'ann', kind: 'direct' as const, peerId: 'bob' },
  { chatId: 'g1', userId: 'ann', kind: 'group' as const },
];

/**
 * The real fan-out's `isOpen` over a Management API that answers GetConnection with 410 for every
 * socket, as it does for one still inside its `$connect`, and a directory that keeps the record of the
 * `young` socket (stored within the handshake bound) and forgets the others.
 */
function gatewayAnswering410(deps: Deps) {
  const api = fakeApi({
    young: [new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } })],
    old: [new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } })],
  });
  const forgotten: string[] = [];
  const directory: SocketDirectory = {
    socketsOfUsers: async () => [],
    socketsOfGroup: async () => [],
    someSocketsOfGroup: async () => [],
    gone: async (target) => {
      if (target.connectionId === 'young') return false;
      forgotten.push(target.connectionId);
      return true;
    },
  };
  const fanOut = new FanOut(() => api.client, directory);
  const toUsers = vi.spyOn(fanOut, 'toUsers');
  Object.assign(deps, { fanOut });
  return { api, forgotten, toUsers };
}

/** A stored connection of ann, connected `ageSeconds` ago by the fake clock. */
const storedSocket = (connectionId: string, ageSeconds: number) => ({
  connectionId,
  expiresAt: Math.floor(Date.parse(NOW) / 1000) - ageSeconds + CONNECTION_TTL_SECONDS,
});

describe('presence with a socket still in its $connect (GetConnection 410, record kept)', () => {
  it('going offline: puts the decision off to a recheck when it is settled (it may be a failed $connect’s)', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.connections.list.mockResolvedValue([storedSocket('young', 5)]);
    const presenceRecheck = vi.fn(async () => {});
    Object.assign(deps, { presenceRecheck });
    const gateway = gatewayAnswering410(deps);
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(store.connections.list).toHaveBeenCalledWith('ann', { consistent: true });
    expect(gateway.api.calls).toEqual(['young']);
    // Settled 55 s from now (stored 5 s ago): the recheck a second after that, where a 410 is gone.
    expect(presenceRecheck.mock.calls).toEqual([['ann', HANDSHAKE_SECONDS - 5 + 1]]);
    expect(store.profiles.setLastSeen).toHaveBeenCalledWith('ann', NOW);
    expect(gateway.toUsers).not.toHaveBeenCalled();
    expect(gateway.forgotten).toEqual([]);
  });

  it('going offline: without a queue to recheck, counts it as open: no last-seen, no offline event', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.connections.list.mockResolvedValue([storedSocket('young', 5)]);
    const gateway = gatewayAnswering410(deps);
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(store.profiles.setLastSeen).not.toHaveBeenCalled();
    expect(gateway.toUsers).not.toHaveBeenCalled();
    expect(gateway.forgotten).toEqual([]);
  });

  it('going offline: queues no recheck when there is no direct peer to tell', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships.filter((m) => m.kind === 'group'));
    store.connections.list.mockResolvedValue([storedSocket('young', 5)]);
    const presenceRecheck = vi.fn(async () => {});
    Object.assign(deps, { presenceRecheck });
    gatewayAnswering410(deps);
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(store.profiles.setLastSeen).toHaveBeenCalledWith('ann', NOW);
    expect(presenceRecheck).not.toHaveBeenCalled();
  });

  it('going offline: an older socket answering 410 is gone: forgotten, last-seen written, offline announced', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    // Listed until the probe forgets it (the read after the offline post finds nothing).
    store.connections.list.mockResolvedValueOnce([storedSocket('old', HANDSHAKE_SECONDS + 1)]);
    store.connections.listIds.mockResolvedValue(['old']);
    const gateway = gatewayAnswering410(deps);
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(gateway.api.calls).toEqual(['old']);
    expect(gateway.forgotten).toEqual(['old']);
    expect(store.profiles.setLastSeen).toHaveBeenCalledWith('ann', NOW);
    expect(gateway.toUsers).toHaveBeenCalledWith(['bob'], {
      type: 'presence',
      userId: 'ann',
      online: false,
      lastSeenAt: NOW,
    });
  });

  it('going online: counts it as not open, so the new socket announces the user (two at once both may)', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.connections.list.mockResolvedValue([storedSocket('young', 5), storedSocket('k1', 0)]);
    store.connections.listIds.mockResolvedValue(['young', 'k1']);
    const gateway = gatewayAnswering410(deps);
    await openConnection(deps, ann, { connectionId: 'k1', connectedAt });
    expect(gateway.api.calls).toEqual(['young']);
    expect(gateway.toUsers).toHaveBeenCalledWith(['bob'], {
      type: 'presence',
      userId: 'ann',
      online: true,
      lastSeenAt: connectedAt.toISOString(),
    });
  });
});

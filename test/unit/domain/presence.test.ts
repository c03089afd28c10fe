/**
 * Connection lifecycle and presence decisions, and the presence and fan-out concurrency from the
 * config (the decisions with a socket still in its `$connect`: presence-connecting.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CONNECTION_TTL_SECONDS } from '../../../lambdas/data/items.ts';
import { closeConnection, openConnection } from '../../../lambdas/domain/connections.ts';
import { getPresence } from '../../../lambdas/domain/presence.ts';
import { DEFAULT_FANOUT_CONCURRENCY, loadConfig } from '../../../lambdas/shared/config.ts';
import { caller, fakeDeps, NOW, sent } from './fakes.ts';

const ann = caller('ann');
const connectedAt = new Date('2026-03-01T11:00:00.000Z');
const memberships = [
  { chatId: 'd1', userId: 'ann', kind: 'direct' as const, peerId: 'bob' },
  { chatId: 'g1', userId: 'ann', kind: 'group' as const },
];

/** A stored connection of ann, connected `ageSeconds` ago by the fake clock. */
const storedSocket = (connectionId: string, ageSeconds: number) => ({
  connectionId,
  expiresAt: Math.floor(Date.parse(NOW) / 1000) - ageSeconds + CONNECTION_TTL_SECONDS,
});

describe('openConnection', () => {
  it('stores the socket, refreshes the profile and announces the user online to direct peers only', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.connections.listIds.mockResolvedValue(['k1']);
    store.chats.listMemberships.mockResolvedValue(memberships);
    await openConnection(deps, ann, { connectionId: 'k1', connectedAt });
    expect(store.connections.put).toHaveBeenCalledWith({
      userId: 'ann',
      connectionId: 'k1',
      connectedAt: connectedAt.toISOString(),
    });
    expect(store.profiles.touch).toHaveBeenCalledWith('ann', 'ANN', connectedAt.toISOString());
    expect(store.connections.listIds).toHaveBeenCalledWith('ann', { consistent: true });
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['bob'],
        frame: { type: 'presence', userId: 'ann', online: true, lastSeenAt: connectedAt.toISOString() },
        options: undefined,
      },
    ]);
  });

  it('announces nothing when another socket of the user is really open', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.connections.listIds.mockResolvedValue(['k0', 'k1']);
    store.chats.listMemberships.mockResolvedValue(memberships);
    await openConnection(deps, ann, { connectionId: 'k1', connectedAt });
    expect(fanOut.isOpen).toHaveBeenCalledWith({ userId: 'ann', connectionId: 'k0' });
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('keeps the connection when the presence announcement fails', async () => {
    const { deps, store } = fakeDeps();
    store.connections.listIds.mockRejectedValue(new Error('throttled'));
    await expect(openConnection(deps, ann, { connectionId: 'k1', connectedAt })).resolves.toBe('opened');
    expect(store.connections.put).toHaveBeenCalled();
  });
});

describe('closeConnection', () => {
  it('records last-seen and announces the user offline when the last socket closed', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(store.connections.delete).toHaveBeenCalledWith('ann', 'k1');
    expect(store.profiles.setLastSeen).toHaveBeenCalledWith('ann', NOW);
    expect(sent(fanOut)[0]?.frame).toEqual({
      type: 'presence',
      userId: 'ann',
      online: false,
      lastSeenAt: NOW,
    });
  });

  it('stays silent while a stale-looking socket turns out open', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.connections.list.mockResolvedValue([storedSocket('k2', 3600)]);
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(fanOut.isOpen).toHaveBeenCalledWith({ userId: 'ann', connectionId: 'k2' });
    expect(store.profiles.setLastSeen).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });
});

describe('getPresence', () => {
  it('answers each user online or not, with last-seen, in the order asked', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockImplementation(async (userId: string) =>
      userId === 'ann' ? memberships : [{ chatId: 'g1', userId, kind: 'group' as const }],
    );
    store.connections.listIds.mockImplementation(async (userId: string) => (userId === 'bob' ? ['k'] : []));
    store.profiles.getMany.mockResolvedValue(
      new Map([['cy', { userId: 'cy', name: 'Cy', lastSeenAt: 'then' }]]),
    );
    await expect(getPresence(deps, ann, { userIds: ['cy', 'bob', 'zed'] })).resolves.toEqual({
      presence: [
        { userId: 'cy', online: false, lastSeenAt: 'then' },
        { userId: 'bob', online: true, lastSeenAt: null },
        { userId: 'zed', online: false, lastSeenAt: null },
      ],
    });
  });

  it('fails when a lookup fails, rather than answer an online user offline (or a sharer as unknown)', async () => {
    const throttled = () => Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockImplementation(async (userId: string) =>
      userId === 'ann' ? memberships : [{ chatId: 'g1', userId, kind: 'group' as const }],
    );
    store.profiles.getMany.mockResolvedValue(
      new Map([['bob', { userId: 'bob', name: 'Bob', lastSeenAt: 'then' }]]),
    );
    store.connections.listIds.mockRejectedValueOnce(throttled());
    await expect(getPresence(deps, ann, { userIds: ['bob'] })).rejects.toThrow('throttled');
    // A shared-chat check that fails (cy is no direct peer of ann's).
    store.chats.listMemberships.mockImplementation(async (userId: string) => {
      if (userId === 'ann') return memberships;
      throw throttled();
    });
    await expect(getPresence(deps, ann, { userIds: ['cy'] })).rejects.toThrow('throttled');
  });

  it('answers a repeated id again where it is repeated, reading it once', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockImplementation(async (userId: string) =>
      userId === 'ann' ? memberships : [{ chatId: 'g1', userId, kind: 'group' as const }],
    );
    store.connections.listIds.mockImplementation(async (userId: string) => (userId === 'bob' ? ['k'] : []));
    store.profiles.getMany.mockResolvedValue(new Map());
    const { presence } = await getPresence(deps, ann, { userIds: ['bob', 'bob', 'cy', 'bob'] });
    expect(presence.map((p) => [p.userId, p.online])).toEqual([
      ['bob', true],
      ['bob', true],
      ['cy', false],
      ['bob', true],
    ]);
    expect(store.connections.listIds.mock.calls.map(([userId]) => userId).sort()).toEqual(['bob', 'cy']);
    expect(store.chats.listMemberships.mock.calls.map(([userId]) => userId).sort()).toEqual(['ann', 'cy']);
    expect(store.profiles.getMany.mock.calls).toHaveLength(1);
    expect([...(store.profiles.getMany.mock.calls[0]?.[0] ?? [])].sort()).toEqual(['bob', 'cy']);
  });

  it('looks up at most the configured number of users at once', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockImplementation(async (userId: string) =>
      userId === 'ann' ? memberships : [{ chatId: 'g1', userId, kind: 'group' as const }],
    );
    let inFlight = 0;
    let most = 0;
    store.connections.listIds.mockImplementation(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return [];
    });
    await getPresence(deps, ann, { userIds: Array.from({ length: 10 }, (_, i) => `u${i}`) });
    expect(most).toBe(deps.presenceConcurrency);
  });

  it('answers never seen, reading nothing about them, for strangers and for users who blocked the caller', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockImplementation(async (userId: string) =>
      userId === 'ann'
        ? memberships
        : [{ chatId: userId === 'cy' ? 'g1' : 'g9', userId, kind: 'group' as const }],
    );
    store.blocks.blockersAmong.mockResolvedValue(new Set(['bob']));
    store.connections.listIds.mockResolvedValue(['k']);
    store.profiles.getMany.mockResolvedValue(
      new Map([['cy', { userId: 'cy', name: 'Cy', lastSeenAt: 'then' }]]),
    );
    await expect(getPresence(deps, ann, { userIds: ['bob', 'cy', 'zed', 'ann'] })).resolves.toEqual({
      presence: [
        { userId: 'bob', online: false, lastSeenAt: null },
        { userId: 'cy', online: true, lastSeenAt: 'then' },
        { userId: 'zed', online: false, lastSeenAt: null },
        { userId: 'ann', online: true, lastSeenAt: null },
      ],
    });
    // bob is a direct peer (no index read), cy and zed are looked up; blocks only among those sharing.
    expect(store.chats.listMemberships.mock.calls.map(([id]) => id).sort()).toEqual(['ann', 'cy', 'zed']);
    expect(store.blocks.blockersAmong).toHaveBeenCalledWith(['bob', 'cy'], 'ann');
    expect(store.connections.listIds.mock.calls.map(([id]) => id).sort()).toEqual(['ann', 'cy']);
  });

  it('tells no peer the user has blocked', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue([
      ...memberships,
      { chatId: 'd2', userId: 'ann', kind: 'direct' as const, peerId: 'cy' },
    ]);
    store.blocks.blockedOf.mockResolvedValue(new Set(['bob']));
    await closeConnection(deps, ann, { connectionId: 'k1' });
    // Asked about the peers only (the list read as far as they need: data/blocks.ts `blockedOf`).
    expect(store.blocks.blockedOf.mock.calls.map(([id, peers]) => [id, [...peers].sort()])).toEqual([
      ['ann', ['bob', 'cy']],
    ]);
    expect(sent(fanOut).map((s) => s.userIds)).toEqual([['cy']]);
  });

  it('takes the presence concurrency from PRESENCE_CONCURRENCY, 16 by default', () => {
    expect(loadConfig({ PRESENCE_CONCURRENCY: '4' }).presenceConcurrency).toBe(4);
    expect(loadConfig({}).presenceConcurrency).toBe(16);
    expect(loadConfig({ PRESENCE_CONCURRENCY: 'many' }).presenceConcurrency).toBe(16);
  });

  it('takes the fan-out’s posts in flight from FANOUT_CONCURRENCY, 64 by default', () => {
    expect(DEFAULT_FANOUT_CONCURRENCY).toBe(64);
    expect(loadConfig({}).fanOutConcurrency).toBe(64);
    expect(loadConfig({ FANOUT_CONCURRENCY: '8' }).fanOutConcurrency).toBe(8);
    expect(loadConfig({ FANOUT_CONCURRENCY: '0' }).fanOutConcurrency).toBe(64);
  });
});

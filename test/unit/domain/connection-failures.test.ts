/**
 * `$connect` and `$disconnect` that fail part way. API Gateway retries neither: a `$connect` that
 * fails after its connection was stored gets no `$disconnect` (the handshake failed), so it takes its
 * record and its socket slot back itself and has told no one online; a `$disconnect` whose reads fail
 * still announces the user offline, and one whose offline post fails after its claim leaves the retry
 * to the recheck that failure queued (no second claim, no second recheck).
 */
import { describe, expect, it, vi } from 'vitest';
import { closeConnection, openConnection } from '../../../lambdas/domain/connections.ts';
import { caller, clock, fakeDeps, NOW, sent, settle } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ann = caller('ann');
const input = { connectionId: 'k1', connectedAt: new Date(NOW) };
const memberships = [
  { chatId: 'd1', userId: 'ann', kind: 'direct' as const, peerId: 'bob' },
  { chatId: 'g1', userId: 'ann', kind: 'group' as const },
];
const throttled = () => new Error('throttled');
const offline = { type: 'presence', userId: 'ann', online: false, lastSeenAt: NOW };
/** The offline event of a `$disconnect` whose retry waited (the fake clock moved): stamped now. */
const offlineNow = () => ({ ...offline, lastSeenAt: new Date(clock.ms).toISOString() });

describe('a $connect that fails after claiming its slot', () => {
  it('roster write failed: deletes the record, gives the slot back and tells no one online', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.rosters.add.mockRejectedValue(throttled());
    await expect(openConnection(deps, ann, input)).rejects.toThrow('throttled');
    await settle();
    expect(store.connections.delete).toHaveBeenCalledWith('ann', 'k1');
    expect(store.socketCount.release).toHaveBeenCalledTimes(1);
    expect(store.connections.listIds).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('membership read failed: the same', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockRejectedValue(throttled());
    await expect(openConnection(deps, ann, input)).rejects.toThrow('throttled');
    expect(store.connections.delete).toHaveBeenCalledWith('ann', 'k1');
    expect(store.socketCount.release).toHaveBeenCalledTimes(1);
  });

  it('profile write failed after the put landed: the record is deleted too, the slot given back once', async () => {
    const { deps, store } = fakeDeps();
    store.profiles.touch.mockRejectedValue(throttled());
    let landed = false;
    store.connections.put.mockImplementation(async () => {
      await settle();
      landed = true;
    });
    // The delete comes after the put settled (a delete before it would leave the record behind).
    let deletedAfterPut = false;
    store.connections.delete.mockImplementation(async () => {
      deletedAfterPut = landed;
      return landed;
    });
    await expect(openConnection(deps, ann, input)).rejects.toThrow('throttled');
    expect(store.connections.delete).toHaveBeenCalledWith('ann', 'k1');
    expect(deletedAfterPut).toBe(true);
    expect(store.socketCount.release).toHaveBeenCalledTimes(1);
  });

  it('put failed: nothing to delete, the claimed slot is given back', async () => {
    const { deps, store } = fakeDeps();
    store.connections.put.mockRejectedValue(throttled());
    store.connections.delete.mockResolvedValue(false);
    await expect(openConnection(deps, ann, input)).rejects.toThrow('throttled');
    expect(store.socketCount.release).toHaveBeenCalledTimes(1);
  });

  it('record stored but removed by someone else (who gave the slot back): not given back twice', async () => {
    const { deps, store } = fakeDeps();
    store.rosters.add.mockRejectedValue(throttled());
    store.connections.delete.mockResolvedValue(false);
    await expect(openConnection(deps, ann, input)).rejects.toThrow('throttled');
    expect(store.socketCount.release).not.toHaveBeenCalled();
  });

  it('still refuses the handshake when taking the record back fails too', async () => {
    const { deps, store } = fakeDeps();
    store.rosters.add.mockRejectedValue(new Error('roster throttled'));
    store.connections.delete.mockRejectedValue(throttled());
    await expect(openConnection(deps, ann, input)).rejects.toThrow('roster throttled');
  });

  it('announces online only once the rosters are written', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    let written = false;
    store.rosters.add.mockImplementation(async () => {
      await settle();
      written = true;
    });
    const toldWhenWritten: boolean[] = [];
    fanOut.toUsers.mockImplementation(async () => {
      toldWhenWritten.push(written);
      return { delivered: 1, gone: 0, connecting: 0, failed: 0, retried: 0, queued: 0 };
    });
    await expect(openConnection(deps, ann, input)).resolves.toBe('opened');
    expect(toldWhenWritten).toEqual([true]);
    expect(sent(fanOut).map((s) => s.frame)).toEqual([{ ...offline, online: true }]);
    expect(store.connections.delete).not.toHaveBeenCalled();
  });
});

describe('a $disconnect whose steps fail', () => {
  it('membership read failed twice: no roster cleanup, but last-seen and offline (read again by presence)', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships
      .mockRejectedValueOnce(throttled())
      .mockRejectedValueOnce(throttled())
      .mockResolvedValue(memberships);
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(store.chats.listMemberships).toHaveBeenCalledTimes(3);
    expect(store.rosters.remove).not.toHaveBeenCalled();
    expect(store.profiles.setLastSeen).toHaveBeenCalledWith('ann', offlineNow().lastSeenAt);
    expect(sent(fanOut).map((s) => [s.userIds, s.frame])).toEqual([[['bob'], offlineNow()]]);
  });

  it('membership read failed once: retried, rosters cleaned and offline announced', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockRejectedValueOnce(throttled()).mockResolvedValue(memberships);
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(store.chats.listMemberships).toHaveBeenCalledTimes(2);
    expect(store.rosters.remove).toHaveBeenCalledWith([{ chatId: 'g1', userId: 'ann', connectionId: 'k1' }]);
    expect(sent(fanOut).map((s) => s.frame)).toEqual([offlineNow()]);
  });

  it('presence failed once (last-seen write): tried again', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.profiles.setLastSeen.mockRejectedValueOnce(throttled());
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(store.profiles.setLastSeen).toHaveBeenCalledTimes(2);
    expect(sent(fanOut).map((s) => s.frame)).toEqual([offlineNow()]);
  });

  it('the offline post threw after its claim: not tried again (one slot, one retry recheck)', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    fanOut.toUsers.mockRejectedValue(new Error('Management API down'));
    const presenceRecheck = vi.fn(async () => {});
    await closeConnection({ ...deps, presenceRecheck }, ann, { connectionId: 'k1' });
    expect(store.profiles.claimPresenceAnnouncement).toHaveBeenCalledTimes(1);
    expect(store.profiles.unmarkPresenceShown).toHaveBeenCalledTimes(1);
    expect(presenceRecheck).toHaveBeenCalledTimes(1);
  });

  it('the offline post threw and its retry could not be queued: tried again', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    fanOut.toUsers.mockRejectedValueOnce(new Error('Management API down'));
    const presenceRecheck = vi.fn(async () => {
      throw new Error('queue down');
    });
    await closeConnection({ ...deps, presenceRecheck }, ann, { connectionId: 'k1' });
    expect(store.profiles.claimPresenceAnnouncement).toHaveBeenCalledTimes(2);
    expect(sent(fanOut).map((s) => s.frame)).toEqual([offline, offlineNow()]);
  });

  it('the delete or the slot’s release failed: the rest still runs', async () => {
    for (const fail of ['delete', 'release'] as const) {
      const { deps, store, fanOut } = fakeDeps();
      store.chats.listMemberships.mockResolvedValue(memberships);
      if (fail === 'delete') store.connections.delete.mockRejectedValue(throttled());
      else store.socketCount.release.mockRejectedValue(throttled());
      await closeConnection(deps, ann, { connectionId: 'k1' });
      expect(store.rosters.remove).toHaveBeenCalled();
      expect(sent(fanOut).map((s) => s.frame)).toEqual([offline]);
    }
  });
});

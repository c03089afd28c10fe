/**
 * A presence change refused by the announcement budget (presence-announce.ts `claimAnnouncement`): the first
 * refusal of a window queues one recheck for the window's end; a recheck that cannot be queued leaves
 * no pending mark behind (else no later refusal of that window would queue one). An announcement
 * whose post throws takes its mark back and, unless it is a recheck's, queues one recheck as its
 * retry (a post that reports failed sockets: test/fault/presence-truth.test.ts). The claim itself
 * (DynamoDB conditions) is exercised end to end in test/fault/presence-budget.test.ts. A recheck that
 * announced online lists the sockets again and announces offline when none is left (a `$disconnect`
 * that ran meanwhile: end to end in test/fault/presence-recheck-race.test.ts), and one that announced
 * offline reads them again and announces online when one is there (a reconnect meanwhile, its online
 * deduplicated as still shown: end to end there too). A recheck put off
 * (a young socket answering 410) queues itself again only when no other recheck is pending
 * (`markPresencePending`), so a refusal meanwhile starts no second chain. A failed post whose mark
 * cannot be taken back either queues a retry that takes it back itself (else it deduplicated the
 * retry away, and peers never heard the change).
 */
import { describe, expect, it, vi } from 'vitest';
import { CONNECTION_TTL_SECONDS } from '../../../lambdas/data/items.ts';
import { PRESENCE_RETRY_SECONDS, recheckPresence, wentOffline } from '../../../lambdas/domain/presence.ts';
import { maxSocketsPerUser } from '../../../lambdas/shared/user-caps.ts';
import { fakeDeps, NOW, sent } from './fakes.ts';

const memberships = [{ chatId: 'd1', userId: 'ann', kind: 'direct' as const, peerId: 'bob' }];

it('queues one recheck at the window’s end and announces nothing now', async () => {
  const { deps, store, fanOut } = fakeDeps();
  store.profiles.claimPresenceAnnouncement.mockResolvedValue({ outcome: 'recheck', delaySeconds: 42 });
  const presenceRecheck = vi.fn(async () => {});
  await wentOffline({ ...deps, presenceRecheck }, 'ann', memberships);
  expect(presenceRecheck.mock.calls).toEqual([['ann', 42]]);
  expect(sent(fanOut)).toEqual([]);
  expect(store.profiles.clearPresencePending).not.toHaveBeenCalled();
});

it('clears the pending mark when the recheck cannot be queued, and fails', async () => {
  const { deps, store } = fakeDeps();
  store.profiles.claimPresenceAnnouncement.mockResolvedValue({ outcome: 'recheck', delaySeconds: 42 });
  const presenceRecheck = vi.fn(async () => {
    throw new Error('queue down');
  });
  await expect(wentOffline({ ...deps, presenceRecheck }, 'ann', memberships)).rejects.toThrow('queue down');
  expect(store.profiles.clearPresencePending).toHaveBeenCalledWith('ann');
});

it('takes the mark back and queues one retry when the announcement’s post throws (not thrown on)', async () => {
  const { deps, store, fanOut } = fakeDeps();
  fanOut.toUsers.mockRejectedValueOnce(new Error('Management API down'));
  const presenceRecheck = vi.fn(async () => {});
  await wentOffline({ ...deps, presenceRecheck }, 'ann', memberships);
  expect(store.profiles.unmarkPresenceShown).toHaveBeenCalledWith('ann', false);
  expect(presenceRecheck.mock.calls).toEqual([['ann', PRESENCE_RETRY_SECONDS]]);
});

it('throws the post’s failure on when its retry cannot be queued', async () => {
  const { deps, fanOut } = fakeDeps();
  fanOut.toUsers.mockRejectedValueOnce(new Error('Management API down'));
  const presenceRecheck = vi.fn(async () => {
    throw new Error('queue down');
  });
  await expect(wentOffline({ ...deps, presenceRecheck }, 'ann', memberships)).rejects.toThrow(
    'Management API down',
  );
});

it('a recheck whose post throws takes its mark back but queues no retry of its own', async () => {
  const { deps, store, fanOut } = fakeDeps();
  fanOut.toUsers.mockRejectedValueOnce(new Error('Management API down'));
  store.chats.listMemberships.mockResolvedValue(memberships);
  const presenceRecheck = vi.fn(async () => {});
  await expect(recheckPresence({ ...deps, presenceRecheck }, 'ann')).rejects.toThrow('Management API down');
  expect(store.profiles.unmarkPresenceShown).toHaveBeenCalledWith('ann', false);
  expect(presenceRecheck).not.toHaveBeenCalled();
});

describe('a failed post whose mark cannot be taken back either', () => {
  const presence = (online: boolean) => ({ type: 'presence', userId: 'ann', online, lastSeenAt: NOW });

  /** Claims deduplicated as the profile's are: on `presenceShown`, which `unmarkPresenceShown` removes. */
  function shownOnProfile(store: ReturnType<typeof fakeDeps>['store']): void {
    let shown: boolean | undefined;
    store.profiles.claimPresenceAnnouncement.mockImplementation(async (_userId, online) => {
      if (shown === online) return { outcome: 'same-or-pending' };
      shown = online;
      return { outcome: 'announce' };
    });
    store.profiles.unmarkPresenceShown.mockImplementation(async (_userId, online) => {
      if (shown === online) shown = undefined;
    });
    store.chats.listMemberships.mockResolvedValue(memberships);
  }

  it('queues a retry that takes the mark back itself, and so announces the state', async () => {
    const { deps, store, fanOut } = fakeDeps();
    shownOnProfile(store);
    fanOut.toUsers.mockRejectedValueOnce(new Error('Management API down'));
    store.profiles.unmarkPresenceShown.mockRejectedValueOnce(new Error('DynamoDB down'));
    const presenceRecheck = vi.fn(async (_userId: string, _delay: number, _unmark?: boolean) => {});
    await wentOffline({ ...deps, presenceRecheck }, 'ann', memberships);
    expect(presenceRecheck.mock.calls).toEqual([['ann', PRESENCE_RETRY_SECONDS, false]]);
    // The retry runs: without taking the mark back, offline would read as announced and not be posted.
    await recheckPresence({ ...deps, presenceRecheck }, 'ann', presenceRecheck.mock.calls[0]?.[2]);
    expect(sent(fanOut).map((s) => s.frame)).toEqual([presence(false), presence(false)]);
  });

  it('a recheck’s own failed post queues that retry too (its redelivery would be deduplicated)', async () => {
    const { deps, store, fanOut } = fakeDeps();
    shownOnProfile(store);
    fanOut.toUsers.mockRejectedValueOnce(new Error('Management API down'));
    store.profiles.unmarkPresenceShown.mockRejectedValueOnce(new Error('DynamoDB down'));
    const presenceRecheck = vi.fn(async (_userId: string, _delay: number, _unmark?: boolean) => {});
    await recheckPresence({ ...deps, presenceRecheck }, 'ann');
    expect(presenceRecheck.mock.calls).toEqual([['ann', PRESENCE_RETRY_SECONDS, false]]);
  });

  it('a retry that cannot take the mark back fails, to be delivered again', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.profiles.unmarkPresenceShown.mockRejectedValueOnce(new Error('DynamoDB down'));
    await expect(recheckPresence(deps, 'ann', false)).rejects.toThrow('DynamoDB down');
    expect(sent(fanOut)).toEqual([]);
  });
});

describe('a recheck that announced online', () => {
  /** A socket of ann stored two minutes ago (settled: the gateway is asked about it). */
  const settled = { connectionId: 'k1', expiresAt: Date.parse(NOW) / 1000 + CONNECTION_TTL_SECONDS - 120 };
  const presence = (online: boolean) => ({ type: 'presence', userId: 'ann', online, lastSeenAt: NOW });

  it('announces offline when no socket is left on reading again (its $disconnect ran meanwhile)', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.connections.list.mockResolvedValueOnce([settled]); // open when the recheck asked
    store.connections.listIds.mockResolvedValue([]); // gone when it read again
    await recheckPresence(deps, 'ann');
    expect(sent(fanOut).map((s) => s.frame)).toEqual([presence(true), presence(false)]);
    expect(store.connections.listIds).toHaveBeenCalledWith('ann', { consistent: true });
  });

  it('announces nothing more while a socket is left', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.connections.list.mockResolvedValue([settled]);
    store.connections.listIds.mockResolvedValue(['k1']);
    await recheckPresence(deps, 'ann');
    expect(sent(fanOut).map((s) => s.frame)).toEqual([presence(true)]);
  });
});

describe('a recheck that announced offline', () => {
  const settled = { connectionId: 'k1', expiresAt: Date.parse(NOW) / 1000 + CONNECTION_TTL_SECONDS - 120 };
  const presence = (online: boolean) => ({ type: 'presence', userId: 'ann', online, lastSeenAt: NOW });

  it('announces online again when a socket is there on reading again (a reconnect meanwhile)', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.connections.list.mockResolvedValueOnce([]); // none when the recheck asked
    store.connections.list.mockResolvedValueOnce([settled]); // stored when it read again
    await recheckPresence(deps, 'ann');
    expect(sent(fanOut).map((s) => s.frame)).toEqual([presence(false), presence(true)]);
  });

  it('announces nothing more while none is there', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    await recheckPresence(deps, 'ann');
    expect(sent(fanOut).map((s) => s.frame)).toEqual([presence(false)]);
    expect(store.connections.list).toHaveBeenCalledTimes(2);
  });
});

it('asks again at once, announcing nothing, when more sockets are stored than the cap and none asked is open', async () => {
  const { deps, store, fanOut } = fakeDeps();
  store.chats.listMemberships.mockResolvedValue(memberships);
  const old = Date.parse(NOW) / 1000 + CONNECTION_TTL_SECONDS - 300;
  const stored = Array.from({ length: maxSocketsPerUser() + 1 }, (_, i) => ({
    connectionId: `k${i}`,
    expiresAt: old,
  }));
  store.connections.list.mockResolvedValue(stored);
  fanOut.isOpen.mockResolvedValue(false); // 410: gone
  const presenceRecheck = vi.fn(async () => {});
  await recheckPresence({ ...deps, presenceRecheck }, 'ann');
  expect(fanOut.isOpen).toHaveBeenCalledTimes(maxSocketsPerUser());
  expect(presenceRecheck.mock.calls).toEqual([['ann', 1]]);
  expect(sent(fanOut)).toEqual([]);
});

describe('a recheck put off by a young socket answering 410', () => {
  /** A socket of ann stored just now: inside its `$connect`, or left by one that failed. */
  const young = { connectionId: 'k9', expiresAt: Date.parse(NOW) / 1000 + CONNECTION_TTL_SECONDS };

  it('marks itself pending, then queues itself again', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.connections.list.mockResolvedValue([young]);
    fanOut.isOpen.mockResolvedValue(false);
    const presenceRecheck = vi.fn(async () => {});
    await recheckPresence({ ...deps, presenceRecheck }, 'ann');
    // Marked now (epoch seconds); older than a window, a connect's time and a minute, a mark was lost.
    expect(store.profiles.markPresencePending).toHaveBeenCalledWith('ann', Date.parse(NOW) / 1000, 180);
    expect(presenceRecheck).toHaveBeenCalledTimes(1);
    expect(sent(fanOut)).toEqual([]);
  });

  it('queues nothing when another recheck is pending (a refusal queued one meanwhile)', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.connections.list.mockResolvedValue([young]);
    fanOut.isOpen.mockResolvedValue(false);
    store.profiles.markPresencePending.mockResolvedValue(false);
    const presenceRecheck = vi.fn(async () => {});
    await recheckPresence({ ...deps, presenceRecheck }, 'ann');
    expect(presenceRecheck).not.toHaveBeenCalled();
  });

  it('leaves no mark behind when it cannot be queued', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.connections.list.mockResolvedValue([young]);
    fanOut.isOpen.mockResolvedValue(false);
    const presenceRecheck = vi.fn(async () => {
      throw new Error('queue down');
    });
    await expect(recheckPresence({ ...deps, presenceRecheck }, 'ann')).rejects.toThrow('queue down');
    expect(store.profiles.clearPresencePending).toHaveBeenCalledTimes(2); // at its start, and after
  });
});

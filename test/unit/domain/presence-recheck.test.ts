/**
 * A presence change refused by the announcement budget (presence.ts `audience`): the first refusal of
 * a window queues one recheck for the window's end; a recheck that cannot be queued leaves no pending
 * mark behind (else no later refusal of that window would queue one). The claim itself (DynamoDB
 * conditions) is exercised end to end in test/fault/presence-budget.test.ts.
 */
import { expect, it, vi } from 'vitest';
import { wentOffline } from '../../../lambdas/domain/presence.ts';
import { fakeDeps, sent } from './fakes.ts';

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

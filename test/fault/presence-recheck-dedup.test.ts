/**
 * One chain of presence rechecks at a time (presence.ts `putOff`, profiles.ts `markPresencePending`):
 * a recheck put off by a young socket answering 410 clears the pending mark when it starts and used
 * to queue itself again without setting it, so a change the budget refused meanwhile queued a second
 * recheck, and each went on queueing itself while the socket stayed undecided. The put-off now marks
 * the recheck pending first (the mark a refusal sets), on DynamoDB Local's conditions.
 */
import { describe, expect, it } from 'vitest';
import { deps } from '../../lambdas/domain/deps.ts';
import { PRESENCE_ANNOUNCEMENTS, recheckPresence } from '../../lambdas/domain/presence.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, makeDirect } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const fanOutQueue = () => stack.queues.get(FANOUT_WORKER.name) as LocalQueue;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('a recheck put off by a young socket', { timeout: 60_000 }, () => {
  it('marks itself pending: a change refused meanwhile queues no second recheck', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const ann = await connectUser(stack, uniqueId('ann'));
    await makeDirect(ann, bob.userId);
    await closeAll(stack, ann); // offline announced: the window's first
    const { profiles, connections } = deps().store;
    // The window's other three, so that the next change is refused.
    for (const online of [true, false, true])
      expect(
        await profiles.claimPresenceAnnouncement(ann.userId, online, nowSeconds(), PRESENCE_ANNOUNCEMENTS),
      ).toEqual({ outcome: 'announce' });
    // A `$connect` of hers stored its socket, then failed: a young record answering 410.
    const ghost = `${uniqueId('ghost')}=`;
    await connections.put({ userId: ann.userId, connectionId: ghost, connectedAt: new Date().toISOString() });
    const jobs = fanOutQueue().stats.sent;
    await recheckPresence(deps(), ann.userId);
    expect(fanOutQueue().stats.sent).toBe(jobs + 1); // put off: queued again
    // Her next change is refused by the budget: the recheck pending decides it, no second one.
    expect(
      await profiles.claimPresenceAnnouncement(ann.userId, false, nowSeconds(), PRESENCE_ANNOUNCEMENTS),
    ).toEqual({
      outcome: 'same-or-pending',
    });
    expect(await profiles.markPresencePending(ann.userId)).toBe(false);
    await closeAll(stack, bob);
  });

  it('marks nothing for a user without a profile (no item is created)', async () => {
    const userId = uniqueId('nobody');
    expect(await deps().store.profiles.markPresencePending(userId)).toBe(false);
    expect(await stack.items(`USER#${userId}`)).toEqual([]);
  });

  it('marks a profile with no window yet once, until the mark is cleared', async () => {
    const userId = uniqueId('quiet');
    const { profiles } = deps().store;
    await profiles.setName(userId, 'Quiet');
    expect(await profiles.markPresencePending(userId)).toBe(true);
    expect(await profiles.markPresencePending(userId)).toBe(false);
    await profiles.clearPresencePending(userId);
    expect(await profiles.markPresencePending(userId)).toBe(true);
  });
});

/**
 * A presence recheck of a user with more stored sockets than the socket cap (a count that drifted:
 * records of sockets that vanished without `$disconnect`), presence-sockets.ts `recheckSockets`: it
 * asks the gateway about the cap's number of them, newest first. The ones not asked used to count as
 * open, so a recheck whose every answer was 410 announced the user online. Now it removes the gone
 * ones it asked about and queues itself again, which asks about the rest.
 * Real sockets through the local gateway, DynamoDB Local, the local fan-out queue and worker.
 */
import { describe, expect, it, vi } from 'vitest';
import { deps } from '../../lambdas/domain/deps.ts';
import { recheckPresence } from '../../lambdas/domain/presence.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, eventsOf, makeDirect, settle, storedConnectionIds } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const CAP = 3;
const stack = useTestStack({ env: { MAX_SOCKETS_PER_USER: String(CAP) } });
const fanOutQueue = () => stack.queues.get(FANOUT_WORKER.name) as LocalQueue;
const about = (userId: string) => (f: Frame) => f.userId === userId;

describe('a recheck with more stored sockets than the cap', { timeout: 60_000 }, () => {
  it('does not announce online when every socket asked is gone: asks again, about the rest', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const ann = await connectUser(stack, uniqueId('ann'));
    await makeDirect(ann, bob.userId);
    await closeAll(stack, ann);
    await bob.event('presence', (f) => about(ann.userId)(f) && f.online === false);
    // Records of four sockets that vanished 5 minutes ago (no socket behind any): one over the cap.
    const connectedAt = new Date(Date.now() - 300_000).toISOString();
    for (let i = 0; i <= CAP; i++)
      await deps().store.connections.put({
        userId: ann.userId,
        connectionId: `${uniqueId('gone')}=`,
        connectedAt,
      });
    const jobs = fanOutQueue().stats.sent;
    await recheckPresence(deps(), ann.userId);
    // The three asked are removed; the fourth, not asked, is left to the recheck queued again.
    expect(await storedConnectionIds(stack, ann.userId)).toHaveLength(1);
    expect(fanOutQueue().stats.sent).toBe(jobs + 1);
    // That recheck (the fan-out worker, a second later) finds it gone too.
    await vi.waitFor(async () => expect(await storedConnectionIds(stack, ann.userId)).toEqual([]), {
      timeout: 20_000,
      interval: 200,
    });
    await settle(stack, bob);
    expect(eventsOf(bob, 'presence', about(ann.userId)).map((f) => f.online)).toEqual([false]);
    await closeAll(stack, bob);
  });
});

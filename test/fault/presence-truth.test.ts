/**
 * Presence shows what is true, also when a `$connect` or a post failed half-way (presence.ts):
 * - a delayed recheck asks the gateway about every stored socket, young ones too: a `$connect` that
 *   stored its socket and then failed (the socket never opened, and no `$disconnect` comes) leaves a
 *   record younger than `HANDSHAKE_SECONDS` with no socket behind it, which a recheck used to count
 *   as open unasked, announcing its user online until their next change. A young socket that
 *   answers 410 (as one still inside its `$connect` answers too) now puts the recheck off until it
 *   is settled; asked then, it is gone and its record removed.
 * - `$disconnect` asks the gateway about a young socket too: a user whose real socket closed while
 *   such a record was left (it used to count as open unasked) stayed "online" until the record
 *   expired (2 h+). Now the decision is put off to a recheck for when the record is settled.
 * - an announcement whose post failed takes its mark (`presenceShown`) back and queues a recheck: the
 *   state is announced again rather than deduplicated away as already shown.
 * Real sockets through the local gateway (its injected Management API faults), DynamoDB Local, the
 * local fan-out queue.
 */
import { describe, expect, it, vi } from 'vitest';
import { HANDSHAKE_SECONDS } from '../../lambdas/data/items.ts';
import { deps } from '../../lambdas/domain/deps.ts';
import { PRESENCE_RETRY_SECONDS, recheckPresence } from '../../lambdas/domain/presence.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, eventsOf, makeDirect, settle, storedConnectionIds } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { ageSocket } from '../support/ghost.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const fanOutQueue = () => stack.queues.get(FANOUT_WORKER.name) as LocalQueue;
const about = (userId: string) => (f: Frame) => f.userId === userId;

describe('presence', { timeout: 60_000 }, () => {
  it('a recheck does not count as open a young socket record with no socket behind it', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const ann = await connectUser(stack, uniqueId('ann'));
    await makeDirect(ann, bob.userId);
    await closeAll(stack, ann);
    await bob.event('presence', (f) => about(ann.userId)(f) && f.online === false);
    // A `$connect` of hers stored its socket, then failed: no socket behind the record.
    const ghost = { userId: ann.userId, connectionId: `${uniqueId('ghost')}=` };
    await deps().store.connections.put({ ...ghost, connectedAt: new Date().toISOString() });
    const jobs = fanOutQueue().stats.sent;
    await recheckPresence(deps(), ann.userId);
    await settle(stack, bob);
    const heard = () => eventsOf(bob, 'presence', about(ann.userId)).map((f) => f.online);
    expect(heard()).toEqual([false]);
    // Put off (one delayed recheck queued) until the record is settled; the record is kept meanwhile.
    expect(fanOutQueue().stats.sent).toBe(jobs + 1);
    expect(await storedConnectionIds(stack, ann.userId)).toEqual([ghost.connectionId]);
    // Settled (aged here, not waited for): the recheck finds it gone and removes it; she stays offline.
    await ageSocket(stack, ghost);
    await recheckPresence(deps(), ann.userId);
    await settle(stack, bob);
    expect(heard()).toEqual([false]);
    expect(await storedConnectionIds(stack, ann.userId)).toEqual([]);
    await closeAll(stack, bob);
  });

  it('a $disconnect that leaves only a young socket record with no socket behind it ends offline', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const ann = await connectUser(stack, uniqueId('ann'));
    await makeDirect(ann, bob.userId);
    await settle(stack, ann, bob);
    // A `$connect` of hers stored its socket, then failed (no `$disconnect` comes for it). Still young
    // when her real socket closes (well under a second later), settled about 4 s later (aged here,
    // not to wait a minute; 10 s before, the recheck waited them out).
    const ghost = { userId: ann.userId, connectionId: `${uniqueId('ghost')}=` };
    await deps().store.connections.put({ ...ghost, connectedAt: new Date().toISOString() });
    await ageSocket(stack, ghost, HANDSHAKE_SECONDS - 4);
    const jobs = fanOutQueue().stats.sent;
    const closedAt = new Date().toISOString();
    await closeAll(stack, ann);
    // The young record answers 410, as a socket about to open would: the decision is put off (one
    // delayed recheck queued, for when the record is settled), last-seen recorded.
    expect(fanOutQueue().stats.sent).toBe(jobs + 1);
    const profile = (await stack.items(`USER#${ann.userId}`)).find((i) => i.sk === 'PROFILE');
    expect(String(profile?.lastSeenAt) >= closedAt).toBe(true);
    // Settled, the record is gone (410): the recheck removes it and announces her offline.
    const offline = () => eventsOf(bob, 'presence', about(ann.userId));
    await vi.waitFor(() => expect(offline().map((f) => f.online)).toEqual([false]), {
      timeout: 30_000,
      interval: 200,
    });
    expect(offline()[0]?.lastSeenAt).toBe(profile?.lastSeenAt);
    expect(await storedConnectionIds(stack, ann.userId)).toEqual([]);
    await closeAll(stack, bob);
  });

  it('an announcement whose post failed is announced again by a recheck, not deduplicated as shown', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const ann = await connectUser(stack, uniqueId('ann'));
    await makeDirect(ann, bob.userId);
    await settle(stack, ann, bob);
    // Every attempt of the fan-out's post of her going offline to Bob fails (its 3 attempts).
    stack.gateway.injectFault({ status: 500, count: 3, connectionId: bob.connectionId });
    const jobs = fanOutQueue().stats.sent;
    await closeAll(stack, ann);
    await settle(stack, bob);
    const heard = () => eventsOf(bob, 'presence', about(ann.userId)).map((f) => f.online);
    expect(heard()).toEqual([]);
    // The failure queued one recheck, which announces her offline again (her mark taken back).
    expect(fanOutQueue().stats.sent).toBe(jobs + 1);
    await vi.waitFor(() => expect(heard()).toEqual([false]), {
      timeout: (PRESENCE_RETRY_SECONDS + 10) * 1000,
      interval: 200,
    });
    // Shown now: a later recheck announces nothing more.
    await recheckPresence(deps(), ann.userId);
    await settle(stack, bob);
    expect(heard()).toEqual([false]);
    await closeAll(stack, bob);
  });
});

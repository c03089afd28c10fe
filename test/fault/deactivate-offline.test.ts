/**
 * A deactivated user is shown offline to their peers (lambdas/domain/deactivation.ts): a socket
 * `deactivateUser` closes gets its `$disconnect`, which tells them; one it finds gone already (410:
 * it vanished without `$disconnect`) has its record removed, and when it was the user's last, the
 * route queues their offline check on the fan-out queue, as after any post's 410 (lib/account-routes.ts
 * `uses: ['fanOutQueue']`: this test's call log is what proves its SendMessage grant,
 * scripts/check-iam.ts). They stay offline: `$connect` refuses them while deactivated.
 */
import { expect, it } from 'vitest';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, eventsOf, makeDirect, settle, storedConnectionIds } from '../support/chat.ts';
import { TestClient } from '../support/client.ts';
import { vanishSocket } from '../support/ghost.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const fanOutQueue = () => stack.queues.get(FANOUT_WORKER.name) as LocalQueue;

it('announces offline a deactivated user whose only socket it found gone', { timeout: 60_000 }, async () => {
  const admin = await TestClient.connect(await stack.urlFor(uniqueId('admin'), { roles: ['admin'] }));
  const bob = await connectUser(stack, uniqueId('bob'));
  const ann = await connectUser(stack, uniqueId('ann'));
  await makeDirect(ann, bob.userId);
  await settle(stack, ann, bob);
  // Her phone lost its network: the gateway dropped the socket, and no `$disconnect` came.
  await vanishSocket(stack, ann);
  const jobs = fanOutQueue().stats.sent;
  const ack = await admin.ok('deactivateUser', { userId: ann.userId });
  // Found gone (DeleteConnection answered 410), not closed: its record is removed.
  expect(ack.socketsClosed).toBe(0);
  expect(await storedConnectionIds(stack, ann.userId)).toEqual([]);
  await bob.event('presence', (f) => f.userId === ann.userId && f.online === false);
  // The route queued the offline check (the fan-out queue's only job here).
  expect(fanOutQueue().stats.sent).toBe(jobs + 1);
  await settle(stack, bob);
  expect(eventsOf(bob, 'presence', (f) => f.userId === ann.userId).map((f) => f.online)).toEqual([false]);
  await admin.close();
  await closeAll(stack, bob);
});

/**
 * `settle()` (test/support/chat.ts), the anchor of "exactly once" and "did NOT receive" checks: it
 * must also wait for the posts a route handed to the fan-out queue to be made now (as a route does
 * under load with no time left for them: lambdas/fanout/fanout.ts), which the gateway does not track;
 * and not for messages on a timer (a failed post's retry), which tests check have not run yet.
 */
import { describe, expect, it } from 'vitest';
import { planJobs } from '../../lambdas/fanout/jobs.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, eventsOf, settle, sorted } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const fanOutQueue = () => stack.queues.get(FANOUT_WORKER.name) as LocalQueue;

/** Queues one fan-out job posting `note` to `socket`, as a route hands on the posts it did not make. */
function handOn(socket: { userId: string; connectionId: string }, note: string, delaySeconds = 0): void {
  const frame = JSON.stringify({ type: 'test.note', note });
  for (const job of planJobs([socket], frame, undefined, 100)) {
    fanOutQueue().send(JSON.stringify(job), delaySeconds);
  }
}

describe('settle', () => {
  it('waits for the posts handed to the fan-out queue to go out', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    await settle(stack, ann);
    for (let i = 0; i < 5; i++) handOn(ann, `now-${i}`);
    await settle(stack, ann);
    // Each exactly once (the worker may post the jobs in any order).
    const notes = eventsOf(ann, 'test.note').map((f) => String(f.note));
    expect(sorted(notes)).toEqual(['now-0', 'now-1', 'now-2', 'now-3', 'now-4']);
    await closeAll(stack, ann);
  });

  it('does not wait for a queued job on a timer', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    handOn(ann, 'later', 60);
    const started = Date.now();
    await settle(stack, ann);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(eventsOf(ann, 'test.note')).toEqual([]);
    await closeAll(stack, ann);
  });
});

/**
 * The due queue's message timers count from the enqueue: scheduleMessage and the sweep give the
 * queue the time of the call, not the time they started at. Their round trips before it (the
 * membership, the create transaction; the sweep's Queries) took a second on a loaded machine, and a
 * timer of the whole seconds left counted from then ended after sendAt: the message went out late
 * (test/e2e/scheduled-messages.test.ts's bound of 2 s). The clock is the fake one; each step below
 * moves it as a slow round trip would.
 */
import { describe, expect, it } from 'vitest';
import { scheduleMessage } from '../../../lambdas/domain/scheduled.ts';
import { sweepDue } from '../../../lambdas/domain/scheduled-sweep.ts';
import { delaySecondsFor } from '../../../lambdas/queue/due-queue.ts';
import { clock } from './fakes.ts';
import { ann, at, input, scheduledDeps } from './scheduled-fakes.ts';

type Fake = ReturnType<typeof scheduledDeps>;

/** When each enqueued message becomes visible: the timer the queue sets, counted from the call. */
function visibleAt(fake: Fake): { sendAt: string; visibleAt: number }[] {
  const seen: { sendAt: string; visibleAt: number }[] = [];
  fake.queue.enqueue.mockImplementation(async (refs, now) => {
    for (const ref of refs) {
      seen.push({ sendAt: ref.sendAt, visibleAt: clock.ms + delaySecondsFor(ref.sendAt, now) * 1000 });
    }
  });
  return seen;
}

describe('the due queue’s timers', () => {
  it('of scheduleMessage end by sendAt, however long the create took', async () => {
    const fake = scheduledDeps();
    const seen = visibleAt(fake);
    const create = fake.store.scheduled.create.getMockImplementation();
    fake.store.scheduled.create.mockImplementation(async (...args) => {
      clock.advance(900);
      return (await create?.(...args)) ?? { status: 'created' };
    });
    await scheduleMessage(fake.deps, ann, input(at(2500)));
    expect(seen).toHaveLength(1);
    for (const s of seen) expect(s.visibleAt).toBeLessThanOrEqual(Date.parse(s.sendAt));
  });

  it('of the sweep end by sendAt, however long its Queries took', async () => {
    const fake = scheduledDeps();
    const seen = visibleAt(fake);
    fake.store.due.getSweepCursor.mockResolvedValue(at(60_000));
    fake.store.due.listDue.mockImplementation(async (shard, range) => {
      clock.advance(100);
      return shard === 3 && range.from !== undefined
        ? [{ userId: 'ann', scheduledId: 's_new', sendAt: at(90_500) }]
        : [];
    });
    await sweepDue(fake.deps);
    expect(seen.map((s) => s.sendAt)).toEqual([at(90_500)]);
    for (const s of seen) expect(s.visibleAt).toBeLessThanOrEqual(Date.parse(s.sendAt));
  });
});

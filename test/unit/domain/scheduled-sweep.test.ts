/** The sweep of scheduled messages (lambdas/domain/scheduled-sweep.ts), over mocked repositories and due queue. */
import { describe, expect, it } from 'vitest';
import { SWEEP_CHUNK, sweepDue } from '../../../lambdas/domain/scheduled-sweep.ts';
import { NOW } from './fakes.ts';
import { at, scheduledDeps } from './scheduled-fakes.ts';

describe('sweepDue', () => {
  const due = (id: string, ms: number) => ({ userId: 'ann', scheduledId: id, sendAt: at(ms) });

  it('enqueues what entered the horizon since its cursor, retries what is stuck, and moves the cursor', async () => {
    const { deps, store, queue } = scheduledDeps();
    store.due.getSweepCursor.mockResolvedValue(at(60_000));
    store.due.listDue.mockImplementation(async (shard, range) => {
      if (shard !== 3) return [];
      return range.from === undefined ? [due('s_stuck', -300_000)] : [due('s_new', 90_000)];
    });
    expect(await sweepDue(deps)).toEqual({ due: 1, retried: 1, left: 0, overdueMs: 300_000 });
    const ranges = store.due.listDue.mock.calls.map(([, range]) => range);
    expect(ranges.filter((r) => r.from !== undefined)).toEqual(
      Array.from({ length: 8 }, () => ({ from: at(60_000), to: at(120_000) })),
    );
    expect(ranges.filter((r) => r.from === undefined)).toEqual(
      Array.from({ length: 8 }, () => ({ to: at(-120_000) })),
    );
    // In send-time order: the stuck one first.
    expect(queue.enqueue).toHaveBeenCalledWith(
      [due('s_stuck', -300_000), due('s_new', 90_000)],
      new Date(NOW),
    );
    expect(store.due.postpone).toHaveBeenCalledTimes(1);
    expect(store.due.postpone).toHaveBeenCalledWith(due('s_stuck', -300_000), NOW);
    expect(store.due.moveSweepCursor).toHaveBeenCalledWith(at(120_000));
  });

  it('without a cursor (the first sweep) or when full, reads everything up to the horizon once', async () => {
    for (const full of [false, true]) {
      const { deps, store } = scheduledDeps();
      store.due.getSweepCursor.mockResolvedValue(full ? at(60_000) : undefined);
      await sweepDue(deps, { full });
      expect(store.due.listDue.mock.calls.map(([, range]) => range)).toEqual(
        Array.from({ length: 8 }, () => ({ from: undefined, to: at(120_000) })),
      );
      expect(store.due.postpone).not.toHaveBeenCalled();
    }
  });

  it('when the cursor stood still (no sweep for minutes), retries everything before it', async () => {
    const { deps, store } = scheduledDeps();
    store.due.getSweepCursor.mockResolvedValue(at(-600_000));
    await sweepDue(deps);
    const stuck = store.due.listDue.mock.calls.map(([, range]) => range).filter((r) => r.from === undefined);
    expect(stuck[0]).toEqual({ to: at(-600_000) });
    // Nothing newly due: the cursor stays, nothing is written.
    expect(store.due.moveSweepCursor).not.toHaveBeenCalled();
  });

  it('within its budget: enqueues in send-time order across shards, stops in time, and the next sweep goes on from the last time enqueued', async () => {
    const { deps, store, queue } = scheduledDeps();
    // 3,000 messages newly due, one every 10 ms, over the 8 shards.
    const all = Array.from({ length: 3_000 }, (_, i) =>
      due(`s_${String(i).padStart(4, '0')}`, 60_000 + i * 10),
    );
    let cursor: string | undefined = at(60_000);
    store.due.getSweepCursor.mockImplementation(async () => cursor);
    store.due.moveSweepCursor.mockImplementation(async (until) => {
      cursor = until;
      return true;
    });
    store.due.listDue.mockImplementation(async (shard, range) =>
      all.filter(
        (r, i) =>
          i % 8 === shard && (range.from === undefined || r.sendAt >= range.from) && r.sendAt <= range.to,
      ),
    );
    // Each enqueue takes 4 s; the budget ends 20 s after the start: chunks start at 0, 4, 8 and 12 s
    // (each may take SWEEP_CHUNK_MS, 5 s), not at 16 s.
    const clock = { ms: 0 };
    queue.enqueue.mockImplementation(async () => {
      clock.ms += 4_000;
    });
    const budget = () => ({ until: clock.ms + 20_000, now: () => clock.ms });

    const first = await sweepDue(deps, { budget: budget() });
    expect(first).toMatchObject({ due: 4 * SWEEP_CHUNK, retried: 0, left: 3_000 - 4 * SWEEP_CHUNK });
    const sent = queue.enqueue.mock.calls.flatMap(([refs]) => refs);
    expect(sent).toEqual(all.slice(0, 4 * SWEEP_CHUNK));
    // The cursor: the last send time enqueued, not the horizon.
    expect(cursor).toBe(all[4 * SWEEP_CHUNK - 1]?.sendAt);

    // Each next sweep reads again from the cursor: the message at its time goes once more, the rest
    // goes on, until the horizon is reached and the cursor moves to it.
    const next = async () => {
      queue.enqueue.mockClear();
      clock.ms = 0;
      const report = await sweepDue(deps, { budget: budget() });
      return { report, sent: queue.enqueue.mock.calls.flatMap(([refs]) => refs) };
    };
    const second = await next();
    const from = 4 * SWEEP_CHUNK - 1;
    expect(second.sent).toEqual(all.slice(from, from + 4 * SWEEP_CHUNK));
    expect(cursor).toBe(all[from + 4 * SWEEP_CHUNK - 1]?.sendAt);
    const third = await next();
    expect(third.report.left).toBe(0);
    expect(third.sent).toEqual(all.slice(from + 4 * SWEEP_CHUNK - 1));
    expect(cursor).toBe(at(120_000));
  });

  it('stuck ones not reached stay stuck: only those enqueued are postponed', async () => {
    const { deps, store, queue } = scheduledDeps();
    store.due.getSweepCursor.mockResolvedValue(at(60_000));
    const stuck = Array.from({ length: SWEEP_CHUNK + 5 }, (_, i) => due(`s_${i}`, -300_000 + i));
    store.due.listDue.mockImplementation(async (shard, range) =>
      shard === 0 && range.from === undefined ? stuck : [],
    );
    const clock = { ms: 0 };
    queue.enqueue.mockImplementation(async () => {
      clock.ms += 4_000;
    });
    const report = await sweepDue(deps, { budget: { until: 8_000, now: () => clock.ms } });
    expect(report).toMatchObject({ due: 0, retried: SWEEP_CHUNK, left: 5 });
    expect(store.due.postpone).toHaveBeenCalledTimes(SWEEP_CHUNK);
    expect(store.due.moveSweepCursor).not.toHaveBeenCalled();
  });
});

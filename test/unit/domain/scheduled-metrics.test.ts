/**
 * The scheduled messages' alarm metrics (lib/scheduled-messages.ts): the dispatch lag, the sweep's
 * overdue time and the give-ups are metrics (EMF, lambdas/shared/metrics.ts), not log lines, so
 * they are emitted whatever `LOG_LEVEL` drops: the test run's level is WARN (vitest.config.ts), which
 * drops the INFO lines the alarms were once read from.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatchScheduled, MAX_DISPATCH_ATTEMPTS } from '../../../lambdas/domain/scheduled-dispatch.ts';
import { sweepDue } from '../../../lambdas/domain/scheduled-sweep.ts';
import { emfDocument, type MetricValues, onMetrics } from '../../../lambdas/shared/metrics.ts';
import { stored } from './fakes.ts';
import { at, record, scheduledDeps } from './scheduled-fakes.ts';

let emitted: MetricValues[] = [];
let stop: () => void = () => {};
const written: string[] = [];
const write = process.stdout.write.bind(process.stdout);
const writeErr = process.stderr.write.bind(process.stderr);

beforeEach(() => {
  emitted = [];
  stop = onMetrics((m) => emitted.push(m));
  written.length = 0;
  // Nothing the logger writes may carry the metrics: they must not depend on its level.
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
});
afterEach(() => {
  stop();
  process.stdout.write = write;
  process.stderr.write = writeErr;
});

const ref = { userId: 'ann', scheduledId: 's_1', sendAt: at(-90_000) };

describe('scheduled messages’ alarm metrics', () => {
  it('the dispatcher emits its lag (ms past the message’s time) whatever LOG_LEVEL', async () => {
    const { deps, store } = scheduledDeps();
    store.scheduled.claim.mockResolvedValue(record({ status: 'sending', attempts: 2, sendAt: at(-90_000) }));
    store.messages.findByClientId.mockResolvedValue(stored(1, { clientMessageId: 'sched_s_1' }));
    expect(await dispatchScheduled(deps, ref)).toBe('sent');
    expect(emitted).toContainEqual({ ScheduledDispatchLag: 90_000 });
    // The INFO line the alarm was read from is dropped at this level (WARN).
    expect(written.join('')).not.toContain('scheduled message dispatched');
  });

  it('a message given up after every attempt is counted as a metric, not only logged', async () => {
    const { deps, store } = scheduledDeps();
    store.scheduled.claim.mockResolvedValue(
      record({ status: 'sending', attempts: MAX_DISPATCH_ATTEMPTS + 1, sendAt: at(-90_000) }),
    );
    store.messages.findByClientId.mockResolvedValue(undefined);
    expect(await dispatchScheduled(deps, ref)).toBe('failed');
    expect(emitted).toContainEqual({ ScheduledGivenUp: 1 });
  });

  it('every sweep emits how overdue the oldest message it found is, 0 included', async () => {
    const late = scheduledDeps();
    late.store.due.listDue.mockImplementation(async (shard) =>
      shard === 0 ? [{ userId: 'ann', scheduledId: 's_1', sendAt: at(-75_000) }] : [],
    );
    await sweepDue(late.deps);
    expect(emitted).toContainEqual({ ScheduledSweepOverdue: 75_000 });
    emitted = [];
    await sweepDue(scheduledDeps().deps);
    expect(emitted).toEqual([{ ScheduledSweepOverdue: 0 }]);
    expect(written.join('')).not.toContain('scheduled sweep');
  });

  it('durations are Milliseconds in the EMF document, counts are Counts', () => {
    const doc = emfDocument({ ScheduledDispatchLag: 0, ScheduledGivenUp: 1 }, 'ChatAlice', 1);
    expect(doc._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: 'ScheduledDispatchLag', Unit: 'Milliseconds' },
      { Name: 'ScheduledGivenUp', Unit: 'Count' },
    ]);
    expect(doc).toMatchObject({ Stack: 'ChatAlice', ScheduledDispatchLag: 0, ScheduledGivenUp: 1 });
  });
});

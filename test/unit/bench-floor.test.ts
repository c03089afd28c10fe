/**
 * The bench's latency summaries (bench/histogram.ts), the floor built from the relay's and the
 * write's samples (bench/scenarios/floor.ts), and the targets judged against it (bench/targets.ts).
 */
import { describe, expect, it } from 'vitest';
import { Latency, type LatencySummary } from '../../bench/histogram.ts';
import { floorOf } from '../../bench/scenarios/floor.ts';
import { targets } from '../../bench/targets.ts';

const summaryOf = (samples: readonly number[]): LatencySummary => {
  const latency = new Latency();
  for (const ms of samples) latency.record(ms);
  return latency.summary();
};

describe('a latency summary', () => {
  it('never reports a percentile above the largest sample', () => {
    // HdrHistogram answers a percentile with the top of its bucket, the max with the exact value.
    const latency = new Latency();
    for (let i = 0; i < 39; i++) latency.record(1 + i * 0.01);
    latency.record(45.722);
    const s = latency.summary();
    expect(s.max).toBe(45.722);
    expect(s.p99).toBeLessThanOrEqual(s.max);
    expect(s.p95).toBeLessThanOrEqual(s.max);
    expect(s.p50).toBeLessThanOrEqual(s.max);
  });
});

describe('the floor', () => {
  it("is the p99 of relay + write over the samples' sums, not the sum of the two p99s", () => {
    // 50 samples each, one large: alone, each p99 is its large sample (12 and 8 ms).
    const relay = [...Array.from({ length: 49 }, () => 0.5), 12];
    const write = [8, ...Array.from({ length: 49 }, () => 1)];
    expect(summaryOf(relay).p99 + summaryOf(write).p99).toBe(20);
    // Every pair: 2,401 sums of 1.5, 49 of 8.5, 49 of 13 and one of 20 (both tails in one message).
    const floor = floorOf(relay, write);
    expect(floor.count).toBe(2500);
    // To the histogram's resolution (3 significant digits), as every bench figure.
    expect(floor.p99).toBeCloseTo(13, 1);
    expect(floor.p95).toBeCloseTo(1.5, 2);
    expect(floor.p50).toBeCloseTo(1.5, 2);
  });
});

describe('the 1:1 targets against the floor', () => {
  const latency = (count: number, p50: number, p99: number): LatencySummary => ({
    count,
    p50,
    p95: p99,
    p99,
    max: p99,
    mean: p50,
  });
  const counts = { sent: 1, acked: 1, sendErrors: 0, expected: 1, delivered: 1, duplicated: 0, missing: 0 };
  const run = (deliveries: number, relaySamples: number) =>
    targets({
      latency: [{ kind: 'direct', latency: latency(deliveries, 10, 20), counts }],
      floor: {
        relay: latency(relaySamples, 0.4, 1),
        write: latency(1000, 0.9, 3),
        floor: { count: relaySamples * 1000, p50: 1.4, p95: 3, p99: 8 },
      },
      delivery: { expected: 1, delivered: 1, duplicated: 0, missing: 0, sendErrors: 0 },
    } as unknown as Parameters<typeof targets>[0]);
  const row = (list: ReturnType<typeof targets>, name: string) => list.find((t) => t.name === name);

  it('marks a p99 verdict from fewer than 1,000 samples as indicative', () => {
    const few = run(100, 100);
    expect(row(few, '1:1 p99 vs floor')).toMatchObject({
      status: 'PASS',
      measured: expect.stringMatching(
        /^20 ms = 2.5× of 8 ms \(indicative: a p99 of 100 deliveries against a floor of 100 relay × 1000 write samples/,
      ),
    });
    expect(row(run(1000, 100), '1:1 p99 vs floor')?.measured).toContain('indicative');
    expect(row(few, '1:1 p50 vs floor')?.measured).toBe('10 ms = 7.14× of 1.4 ms');
    expect(row(run(1000, 1000), '1:1 p99 vs floor')?.measured).toBe('20 ms = 2.5× of 8 ms');
  });

  it('names the loss target after every phase it counts, and judges it when only those ran', () => {
    expect(row(run(100, 100), 'zero loss, all phases')).toMatchObject({ status: 'PASS' });
    // The waves alone (run.ts counts their deliveries too): one lost delivery is a MISS, not SKIPPED.
    const waves = targets({
      waves: { variants: [{ ...counts, expected: 2, delivered: 1, missing: 1 }] },
      delivery: { expected: 2, delivered: 1, duplicated: 0, missing: 1, sendErrors: 0 },
    } as unknown as Parameters<typeof targets>[0]);
    expect(row(waves, 'zero loss, all phases')).toMatchObject({ status: 'MISS' });
  });
});

/**
 * The bench's latency summaries (bench/histogram.ts) and the floor built from the relay's and the
 * write's samples (bench/scenarios/floor.ts).
 */
import { describe, expect, it } from 'vitest';
import { Latency } from '../../bench/histogram.ts';

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

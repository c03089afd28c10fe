/** Latency histograms (HdrHistogram, microsecond resolution) and their printable summary. */
import { build, type Histogram } from 'hdr-histogram-js';

export interface LatencySummary {
  /** Samples recorded. */
  readonly count: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export class Latency {
  readonly #histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });

  /** Records one sample given in milliseconds. */
  record(ms: number): void {
    this.#histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.#histogram.totalCount;
  }

  summary(): LatencySummary {
    const h = this.#histogram;
    const ms = (us: number) => Math.round(us) / 1000;
    if (h.totalCount === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
    // A percentile is the top of its HdrHistogram bucket (3 significant digits) while the max is the
    // exact value: uncapped, a p99 among the top samples read above the max (45.727 against 45.722).
    const at = (p: number) => ms(Math.min(h.getValueAtPercentile(p), h.maxValue));
    return {
      count: h.totalCount,
      p50: at(50),
      p95: at(95),
      p99: at(99),
      max: ms(h.maxValue),
      mean: ms(h.mean),
    };
  }
}

/**
 * Throughput: step the 1:1 send rate up (×factor per step) and keep the highest step that had no
 * loss, no duplicate, no error and no p99 blow-up (p99 over 5× the first step's and over 500 ms, or
 * the generator falling more than 10% behind the target rate).
 */
import type { LatencySummary } from '../histogram.ts';
import type { DeliveryCounts } from '../ledger.ts';
import { runLoad } from '../load.ts';
import type { World } from '../world.ts';
import { round } from './latency.ts';

export interface ThroughputStep {
  readonly targetRate: number;
  readonly sendRate: number;
  readonly deliveredPerSecond: number;
  readonly latency: LatencySummary;
  readonly counts: DeliveryCounts;
  readonly ok: boolean;
  readonly stopReason: string | null;
}

export interface ThroughputResult {
  readonly kind: 'direct';
  readonly steps: readonly ThroughputStep[];
  /** The highest step sustained (null when even the first failed). */
  readonly sustained: ThroughputStep | null;
  /** Deliveries/s at that step. */
  readonly deliveredPerSecond: number;
  /** False when every step passed: the machine's limit lies above the last step tried. */
  readonly limitReached: boolean;
}

export async function throughput(
  world: World,
  options: { start: number; factor: number; steps: number; stepSeconds: number; textChars: number },
  onTick: (fraction: number, label: string) => void,
): Promise<ThroughputResult> {
  const steps: ThroughputStep[] = [];
  let baseP99: number | undefined;
  let rate = options.start;
  for (let i = 0; i < options.steps; i++) {
    const target = rate;
    const result = await runLoad({
      world,
      chats: world.chats.direct,
      rate: target,
      seconds: options.stepSeconds,
      textChars: options.textChars,
      drainMs: 5000,
      onTick: (f) => onTick((i + f) / options.steps, `throughput step ${i + 1}: ${target} msg/s`),
    });
    const counts = { ...result.ledger.counts };
    const latency = result.latency.summary();
    baseP99 ??= latency.p99;
    let stopReason: string | null = null;
    if (counts.missing > 0 || counts.duplicated > 0) {
      stopReason = `loss (${counts.missing} missing, ${counts.duplicated} duplicated)`;
    } else if (counts.sendErrors > 0) stopReason = `${counts.sendErrors} send errors`;
    else if (latency.p99 > Math.max(500, 5 * baseP99)) stopReason = `p99 blow-up (${latency.p99} ms)`;
    else if (result.sendRate < 0.9 * target)
      stopReason = `generator behind (${round(result.sendRate)} msg/s)`;
    steps.push({
      targetRate: target,
      sendRate: round(result.sendRate),
      deliveredPerSecond: round(counts.delivered / Math.max(result.seconds, 1e-3)),
      latency,
      counts,
      ok: stopReason === null,
      stopReason,
    });
    if (stopReason) break;
    rate = Math.round(rate * options.factor * 10) / 10;
  }
  const sustained = [...steps].reverse().find((s) => s.ok) ?? null;
  return {
    kind: 'direct',
    steps,
    sustained,
    deliveredPerSecond: sustained?.deliveredPerSecond ?? 0,
    limitReached: steps.some((s) => !s.ok),
  };
}

/** The run's results: their shape (bench/results/*.json), the machine, and the files written. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { DeliveryCounts } from './ledger.ts';
import type { MessageCost, PRICES } from './pricing.ts';
import type { ScaleRow } from './scale.ts';
import type { BusyGroupResult } from './scenarios/busy.ts';
import type { ClientBundleResult } from './scenarios/client.ts';
import type { HandlerColdStart } from './scenarios/coldstart.ts';
import type { ActionCost } from './scenarios/cost.ts';
import type { FloorResult } from './scenarios/floor.ts';
import type { HookResults } from './scenarios/hook.ts';
import type { LatencyPhaseResult } from './scenarios/latency.ts';
import type { MediaResults } from './scenarios/media.ts';
import type { PushResults } from './scenarios/push.ts';
import type { BigGroupPushResults } from './scenarios/push-big.ts';
import type { ThroughputResult } from './scenarios/throughput.ts';
import type { WavesResults } from './scenarios/waves.ts';
import type { WarmUpResult } from './warm-up.ts';

export interface CostResults {
  readonly fresh: readonly ActionCost[];
  readonly seeded: readonly ActionCost[];
  readonly seededChats: number;
  readonly perMillionMessages: Record<string, MessageCost & { assumptions: Record<string, number> }>;
  readonly notes: readonly string[];
}

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly status: 'PASS' | 'MISS' | 'SKIPPED';
}

export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  readonly durationSeconds: number;
  /** Seconds per phase of the run. */
  readonly phaseSeconds: Record<string, number>;
  readonly machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    platform: string;
    /** 1-minute load average at the start and the end of the run (other work on the machine skews figures). */
    loadAverage: { start: number; end: number };
  };
  readonly options: Record<string, unknown>;
  /** The unmeasured sends made before anything was timed (bench/warm-up.ts). */
  readonly warmUp?: WarmUpResult;
  readonly floor?: FloorResult;
  readonly latency?: readonly LatencyPhaseResult[];
  readonly throughput?: ThroughputResult;
  /** 20 members sending 100 msg/s into one group (scenarios/busy.ts). */
  readonly busy?: BusyGroupResult;
  readonly cost?: CostResults;
  readonly media?: MediaResults;
  readonly coldStart?: readonly HandlerColdStart[];
  /** The push pipeline: sendMessage with it off/on, pushes per second, units (scenarios/push.ts). */
  readonly push?: PushResults;
  /** The push pipeline for one big group of offline members (scenarios/push-big.ts). */
  readonly pushBigGroup?: BigGroupPushResults;
  /** Units per `react` at 0 and at 300 reactions on the message (scenarios/reactions.ts). */
  readonly reactions?: readonly ActionCost[];
  /** sendMessage without and with the example pre-send hook (scenarios/hook.ts). */
  readonly hook?: HookResults;
  /** A group's fan-out with each post's AWS round trip modelled, by posts in flight (scenarios/waves.ts). */
  readonly waves?: WavesResults;
  /** The client package's bundle size (client/scripts/size.ts). */
  readonly client?: ClientBundleResult;
  /** What 1M sockets and a 10,000-member group cost and need on AWS (bench/scale.ts). */
  readonly scale?: readonly ScaleRow[];
  readonly delivery: {
    expected: number;
    delivered: number;
    duplicated: number;
    missing: number;
    sendErrors: number;
  };
  readonly targets: readonly Target[];
  readonly prices: typeof PRICES;
  /** False when any delivery was missing or duplicated, or any send failed. */
  readonly ok: boolean;
}

type Totalled = Pick<DeliveryCounts, 'expected' | 'delivered' | 'duplicated' | 'missing' | 'sendErrors'>;

/** The results as the run fills them in, part by part (bench/run.ts). */
export type PartialResults = { -readonly [K in keyof BenchResults]?: BenchResults[K] };

/** The run's delivery figures: every phase's counts added up (any missing, duplicate or failed send fails the run). */
export function deliveryTotals(phases: readonly { readonly counts: Totalled }[]): Totalled {
  const total = { expected: 0, delivered: 0, duplicated: 0, missing: 0, sendErrors: 0 };
  for (const { counts } of phases) {
    for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += counts[key];
  }
  return total;
}

export const startLoad = loadavg()[0] ?? 0;

export function machine(): BenchResults['machine'] {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    node: process.version,
    platform: process.platform,
    loadAverage: {
      start: Math.round(startLoad * 100) / 100,
      end: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    },
  };
}

export function writeResults(dir: string, r: BenchResults): { latest: string; stamped: string } {
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(r, null, 2)}\n`;
  const stamped = join(dir, `${r.startedAt.replace(/[:.]/g, '-')}.json`);
  const latest = join(dir, 'latest.json');
  writeFileSync(stamped, json);
  writeFileSync(latest, json);
  return { latest, stamped };
}

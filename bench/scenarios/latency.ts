/** End-to-end latency per chat kind under steady load, with every delivery accounted for. */
import type { LatencySummary } from '../histogram.ts';
import type { DeliveryCounts } from '../ledger.ts';
import { runLoad } from '../load.ts';
import type { BenchOptions } from '../options.ts';
import type { BenchStack } from '../stack.ts';
import { type ChatKind, World } from '../world.ts';

export interface LatencyPhaseResult {
  readonly kind: ChatKind;
  /** Members per chat. */
  readonly members: number;
  readonly chats: number;
  /** Target and achieved send rate (messages/s). */
  readonly targetRate: number;
  readonly sendRate: number;
  readonly seconds: number;
  /** Sender write → each recipient's `message.created`. */
  readonly latency: LatencySummary;
  /** Sender write → sender's ack. */
  readonly ack: LatencySummary;
  readonly deliveredPerSecond: number;
  readonly counts: DeliveryCounts;
  readonly errorSamples: readonly unknown[];
}

export async function latencyPhase(
  world: World,
  kind: ChatKind,
  rate: number,
  seconds: number,
  textChars: number,
  onTick: (fraction: number) => void,
  drainMs?: number,
): Promise<LatencyPhaseResult | undefined> {
  const chats = world.chats[kind];
  if (chats.length === 0) return undefined;
  const result = await runLoad({
    world,
    chats,
    rate,
    seconds,
    textChars,
    onTick,
    ...(drainMs ? { drainMs } : {}),
  });
  const counts = { ...result.ledger.counts };
  return {
    kind,
    members: chats[0]?.members.length ?? 0,
    chats: chats.length,
    targetRate: rate,
    sendRate: round(result.sendRate),
    seconds: round(result.seconds),
    latency: result.latency.summary(),
    ack: result.ack.summary(),
    deliveredPerSecond: round(counts.delivered / Math.max(result.seconds, 1e-3)),
    counts,
    errorSamples: result.ledger.errorSamples,
  };
}

/**
 * The group of `options.bigGroup` (World.bigGroup: the world's users plus more, one group): the
 * same open-loop load as the other latency phases, its deliveries drained for 20 s. The added
 * sockets are closed afterwards, and their `$disconnect`s (roster entries, presence) finish before
 * the next phase.
 */
export async function bigGroupPhase(
  world: World,
  stack: BenchStack,
  runId: string,
  options: Pick<BenchOptions, 'bigGroup' | 'rateGroup1000' | 'phaseSeconds' | 'textChars'>,
  onTick: (fraction: number, label: string) => void,
): Promise<LatencyPhaseResult | undefined> {
  const big = await World.bigGroup(world, stack.url, runId, options.bigGroup, (f, label) =>
    onTick(f * 0.5, label),
  );
  try {
    const label = `latency: group of ${options.bigGroup} at ${options.rateGroup1000} msg/s`;
    return await latencyPhase(
      big,
      'group1000',
      options.rateGroup1000,
      options.phaseSeconds,
      options.textChars,
      (f) => onTick(0.5 + f * 0.5, label),
      20_000,
    );
  } finally {
    await big.closeExtra();
    await stack.idle();
  }
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

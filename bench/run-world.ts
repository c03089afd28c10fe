/**
 * The parts of `npm run bench` (bench/run.ts) that need a world of connected users: end-to-end
 * latency (and the big group's), the busy group, the throughput step-up and the push pipeline (and
 * a big group's push), in this order on one World, closed at the end.
 */
import type { BenchOptions } from './options.ts';
import type { Phases, Progress } from './progress.ts';
import type { PartialResults } from './results.ts';
import { busyGroup } from './scenarios/busy.ts';
import { bigGroupPhase, type LatencyPhaseResult, latencyPhase } from './scenarios/latency.ts';
import { pushPhase } from './scenarios/push.ts';
import { bigGroupPushPhase } from './scenarios/push-big.ts';
import { throughput } from './scenarios/throughput.ts';
import type { BenchStack } from './stack.ts';
import { World } from './world.ts';

/** What the run shares with its parts. */
export interface RunContext {
  readonly stack: BenchStack;
  readonly options: BenchOptions;
  readonly runId: string;
  readonly phases: Phases;
  readonly progress: Progress;
}

/** Runs the world's parts that `options.only` names, adding their figures to `partial`. */
export async function worldParts(run: RunContext, partial: PartialResults): Promise<void> {
  const { stack, options, runId, phases, progress } = run;
  const has = (part: string) => options.only.has(part);
  phases.start('world', 'connecting users');
  const world = await World.create(stack.url, options.users, runId, (f, label) => phases.tick(f, label));
  try {
    await stack.idle(); // the connects' and warm-up's tails (presence, push) before anything is timed
    if (has('latency')) {
      phases.start('latency');
      const results: LatencyPhaseResult[] = [];
      const plan = [
        ['direct', options.rateDirect],
        ['group10', options.rateGroup10],
        ['group100', options.rateGroup100],
      ] as const;
      for (const [i, [kind, rate]] of plan.entries()) {
        const r = await latencyPhase(world, kind, rate, options.phaseSeconds, options.textChars, (f) =>
          phases.tick((i + f) / plan.length, `latency: ${kind} at ${rate} msg/s`),
        );
        if (r) results.push(r);
      }
      if (options.bigGroup > 0) {
        phases.start('biggroup', `group of ${options.bigGroup}: connecting`);
        const r = await bigGroupPhase(world, stack, runId, options, (f, label) => phases.tick(f, label));
        if (r) results.push(r);
      }
      partial.latency = results;
    }
    if (has('busy') && options.busyMessages > 0) {
      phases.start('busy', 'busy group');
      await stack.idle(); // the latency phases' tails must not reach the busy group's ledger
      const busy = {
        messages: options.busyMessages,
        rate: options.rateBusy,
        textChars: options.textChars,
      };
      partial.busy = await busyGroup(world, busy, (f, label) => phases.tick(f, label));
      await stack.idle();
    }
    if (has('throughput')) {
      phases.start('throughput');
      partial.throughput = await throughput(
        world,
        {
          start: options.throughputStart,
          factor: options.throughputFactor,
          steps: options.throughputSteps,
          stepSeconds: options.throughputStepSeconds,
          textChars: options.textChars,
        },
        (f, label) => phases.tick(f, label),
      );
    }
    if (has('push')) {
      phases.start('push', 'push pipeline');
      const quick = options.quick;
      partial.push = await pushPhase(
        stack,
        world,
        {
          // 4 alternating rounds of half the phase each (200 sends a side at the default rate):
          // 2 rounds of a whole phase read anywhere from -10 % to +20 % on a quiet machine.
          rounds: quick ? 1 : 4,
          halfSeconds: quick ? options.phaseSeconds : options.phaseSeconds / 2,
          rate: options.rateDirect,
          textChars: options.textChars,
          groups: quick ? 10 : 20,
          offlinePerGroup: 10,
          messagesPerGroup: quick ? 3 : 5,
        },
        (f, label) => phases.tick(f, label),
      );
      if (!partial.push) progress.note('push skipped: the handlers run outside this process (BENCH_URL)');
      else if (options.bigGroup > 0) {
        // The big group's members all offline with a device: 2 messages quick, 3 otherwise.
        phases.start('pushbig', `push: a group of ${options.bigGroup} offline`);
        partial.pushBigGroup = await bigGroupPushPhase(
          stack,
          { members: options.bigGroup, messages: quick ? 2 : 3 },
          (f, label) => phases.tick(f, label),
        );
      }
    }
  } finally {
    await world.close();
  }
}

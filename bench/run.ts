/**
 * `npm run bench [-- --quick | --help]`: how fast and how cheap the backend is against the floor of
 * this machine, in one run. Progress on stderr; the tables on stdout; the figures as JSON under
 * bench/results/ (latest.json and a timestamped copy). Exits 1 when any delivery was missing or
 * duplicated or any send failed; a missed performance target is reported, not fatal. The parts that
 * need connected users run in run-world.ts.
 */
import './env.ts';
import { randomBytes } from 'node:crypto';
import { costResults } from './cost-results.ts';
import { parseOptions } from './options.ts';
import { PRICES } from './pricing.ts';
import { Phases, Progress } from './progress.ts';
import { render } from './report.ts';
import { type BenchResults, deliveryTotals, machine, type PartialResults, writeResults } from './results.ts';
import { worldParts } from './run-world.ts';
import { scaleModel } from './scale.ts';
import { clientBundle } from './scenarios/client.ts';
import { coldStart } from './scenarios/coldstart.ts';
import { connectMembers, costRound, seed } from './scenarios/cost.ts';
import { floor } from './scenarios/floor.ts';
import { hookLatency } from './scenarios/hook.ts';
import { mediaScenario } from './scenarios/media.ts';
import { reactionCost } from './scenarios/reactions.ts';
import { fanOutWaves } from './scenarios/waves.ts';
import { startBenchStack } from './stack.ts';
import { targets } from './targets.ts';
import { warmUp } from './warm-up.ts';

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const t0 = performance.now();
  const has = (part: string) => options.only.has(part);
  const progress = new Progress();
  // Parts whose figures are times: they run after the warm-up (bench/warm-up.ts).
  const timed =
    options.warmUpSends > 0 &&
    ['floor', 'latency', 'busy', 'throughput', 'push', 'hook', 'media', 'waves'].some(has);
  const phases = new Phases(progress, {
    coldstart: has('coldstart') ? 30 : 0,
    stack: 3,
    warmup: timed ? Math.ceil(options.warmUpSends / 40) : 0,
    // The relay (warmed) for a phase, then the writes: 1,300 back to back, 100 paced like the 1:1 phase.
    floor: has('floor') ? options.phaseSeconds + 4 + Math.ceil(100 / Math.max(1, options.rateDirect)) : 0,
    world: ['latency', 'throughput', 'push', 'busy'].some(has) ? 10 : 0,
    latency: has('latency') ? options.phaseSeconds * 3 + 6 : 0,
    biggroup: has('latency') && options.bigGroup > 0 ? options.phaseSeconds + 30 : 0,
    busy: has('busy') && options.busyMessages > 0 ? 10 : 0,
    throughput: has('throughput') ? options.throughputSteps * (options.throughputStepSeconds + 1) : 0,
    cost: has('cost') ? 40 : 0,
    push: has('push') ? options.phaseSeconds * 4 + 30 : 0,
    pushbig: has('push') && options.bigGroup > 0 ? 20 : 0,
    media: has('media') ? 15 : 0,
    client: has('client') ? 2 : 0,
    reactions: has('reactions') ? 30 : 0,
    hook: has('hook') ? 20 : 0,
    waves: has('waves') ? options.wavesSends * 4 * 0.5 + 10 : 0,
  });
  const runId = randomBytes(3).toString('hex');
  const partial: PartialResults = {};

  if (has('coldstart')) {
    phases.start('coldstart', 'cold start: bundling');
    partial.coldStart = await coldStart(options.coldStartRuns, (f, label) => phases.tick(f, label));
  }

  if (has('client')) {
    phases.start('client', 'client bundle size');
    partial.client = await clientBundle();
  }

  phases.start('stack', 'starting the stack');
  const stack = await startBenchStack({
    ...(options.url ? { url: options.url, tableName: options.table } : {}),
    ...(options.dynamoEndpoint ? { dynamoEndpoint: options.dynamoEndpoint } : {}),
  });
  try {
    if (timed) {
      phases.start('warmup', 'warming up');
      partial.warmUp = await warmUp(
        stack.url,
        { sends: options.warmUpSends, runId, textChars: options.textChars },
        (f) => phases.tick(f, `warming up: ${options.warmUpSends} unmeasured sends`),
      );
      await stack.idle();
    }
    if (has('floor')) {
      phases.start('floor', 'floor: ws relay');
      if (stack.dynamoEndpoint) {
        partial.floor = await floor(
          stack.dynamoEndpoint,
          stack.tableName,
          {
            pairs: Math.max(1, Math.floor(options.users / 2)),
            rate: options.rateDirect,
            seconds: options.phaseSeconds,
            textChars: options.textChars,
          },
          (f) => phases.tick(f, f < 0.7 ? 'floor: ws relay' : 'floor: DynamoDB PutItem'),
        );
      } else {
        progress.note('floor skipped: no DynamoDB endpoint (give DYNAMODB_ENDPOINT with BENCH_URL)');
      }
    }

    if (['latency', 'throughput', 'push', 'busy'].some(has)) {
      await worldParts({ stack, options, runId, phases, progress }, partial);
    }

    if (has('cost')) {
      phases.start('cost', 'cost: fresh table');
      await stack.idle();
      if (stack.meter) {
        const groupSize = Math.min(100, Math.max(12, options.users));
        stack.meter.exactTransactions = true;
        const others = await connectMembers(stack, `k${runId}`, groupSize - 2);
        const fresh = await costRound(stack, stack.meter, options.costRepeat, `k${runId}1`, others, (f, l) =>
          phases.tick(f * 0.4, l),
        );
        const seededChats = await seed(stack, `s${runId}`, options.seedChats, (f) =>
          phases.tick(0.4 + f * 0.2, `cost: seeding ${options.seedChats} unrelated chats`),
        );
        const seeded = await costRound(stack, stack.meter, options.costRepeat, `k${runId}2`, others, (f, l) =>
          phases.tick(0.6 + f * 0.4, `${l} (seeded table)`),
        );
        await Promise.all(others.map((c) => c.close()));
        partial.cost = costResults(fresh, seeded, seededChats, groupSize);
        partial.scale = scaleModel(fresh, partial.pushBigGroup);
      } else {
        progress.note('cost skipped: the handlers run outside this process (BENCH_URL)');
      }
    }

    if (has('reactions')) {
      phases.start('reactions', 'reactions: connecting');
      const run = { repeat: options.costRepeat, prefix: `r${runId}` };
      partial.reactions = await reactionCost(stack, run, (f, l) => phases.tick(f, l));
      if (!partial.reactions) progress.note('reactions skipped: the handlers run outside this process');
    }
    if (has('hook')) {
      phases.start('hook', 'hook: warming up');
      const run = { quick: options.quick, textChars: options.textChars, prefix: `h${runId}` };
      partial.hook = await hookLatency(stack, run, (f, l) => phases.tick(f, l));
    }
    if (has('waves')) {
      phases.start('waves', 'waves: connecting');
      const run = {
        members: 100,
        sends: options.wavesSends,
        postLatencyMs: options.postMs,
        prefix: `v${runId}`,
      };
      const settings = { concurrencies: [16, 32, 64, 128], textChars: options.textChars };
      partial.waves = await fanOutWaves(stack, { ...run, ...settings }, (f, l) => phases.tick(f, l));
      if (!partial.waves) progress.note('waves skipped: the handlers run outside this process');
    }

    if (has('media')) {
      phases.start('media', 'media: text and image messages');
      if (stack.meter) {
        stack.meter.exactTransactions = true;
        partial.media = await mediaScenario(
          stack,
          stack.meter,
          {
            repeat: options.mediaRepeat,
            imageBytes: options.mediaBytes,
            textChars: options.textChars,
            prefix: `m${runId}`,
          },
          (f, label) => phases.tick(f, `media: ${label}`),
        );
      } else {
        progress.note('media skipped: the handlers run outside this process (BENCH_URL)');
      }
    }
  } finally {
    await stack.stop();
  }
  phases.finish();

  const waves = (partial.waves?.variants ?? []).map((v) => ({ counts: { ...v, sendErrors: 0 } }));
  const busy = partial.busy ? [partial.busy] : [];
  const phasesRun = [...(partial.latency ?? []), ...busy, ...(partial.throughput?.steps ?? []), ...waves];
  const delivery = deliveryTotals(phasesRun);
  const base = {
    version: 1 as const,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((performance.now() - t0) / 1000),
    phaseSeconds: phases.seconds,
    machine: machine(),
    options: { ...options, only: [...options.only] },
    ...partial,
    delivery,
    prices: PRICES,
  };
  const results: BenchResults = {
    ...base,
    targets: targets(base),
    ok: delivery.missing + delivery.duplicated + delivery.sendErrors === 0,
  };
  process.stdout.write(`${render(results)}\n`);
  const files = writeResults(options.resultsDir, results);
  process.stdout.write(`\nResults: ${files.latest} (and ${files.stamped})\n`);
  for (const p of phasesRun) {
    const samples = 'errorSamples' in p ? p.errorSamples : [];
    if (samples.length) process.stderr.write(`send errors, e.g.: ${JSON.stringify(samples.slice(0, 3))}\n`);
  }
  return results.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);

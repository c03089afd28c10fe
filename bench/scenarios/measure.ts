/**
 * Measuring one action kind: run it alone, wait for every handler and queued job, and book the
 * DynamoDB units, posts and worker invocations of its route (and of the queue workers: fan-out, and a
 * deleted chat's retention) per action.
 */
import { WORKERS } from '../../lib/workers.ts';
import type { Frame } from '../client.ts';
import type { ActionStats, Meter } from '../meter.ts';
import type { BenchStack } from '../stack.ts';
import { round } from './latency.ts';

export interface CommandCost {
  readonly calls: number;
  readonly read: number;
  readonly write: number;
  /** Write units estimated for failed conditional writes. */
  readonly estimatedWrite: number;
}

export interface ActionCost {
  /** Label, e.g. "sendMessage (1:1, 1 KB, clientMessageId)". */
  readonly label: string;
  readonly routeKey: string;
  readonly repetitions: number;
  /** Units per action (transactional writes at 2x, failed conditional writes estimated). */
  readonly read: number;
  readonly write: number;
  readonly total: number;
  /** Management API posts per action. */
  readonly posts: number;
  /** Median handler duration (ms) in this window. */
  readonly handlerMs: number;
  /** Per DynamoDB command, per action. */
  readonly commands: Record<string, CommandCost>;
  /** Replies that were not acks (should be none). */
  readonly errors: number;
  /** Fan-out worker invocations (queued jobs) per action, when the action queues its posts. */
  readonly jobs?: number;
  /** Median worker invocation duration (ms). */
  readonly workerMs?: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface Ctx {
  readonly stack: BenchStack;
  readonly meter: Meter;
  readonly repeat: number;
  readonly prefix: string;
}

/**
 * Runs `run` `repeat` times alone and books what its route (and the fan-out worker, whose jobs the
 * route queued) consumed, per action. Waits for every queued job before reading the meter.
 */
export async function measure(
  ctx: Ctx,
  label: string,
  routeKey: string,
  run: (i: number) => Promise<Frame | undefined>,
  repeat = ctx.repeat,
): Promise<ActionCost> {
  await ctx.stack.idle();
  const before = ctx.meter.snapshot();
  let errors = 0;
  for (let i = 0; i < repeat; i++) {
    const reply = await run(i);
    if (reply && reply.type === 'error') errors++;
  }
  await ctx.stack.idle();
  const diff = ctx.meter.since(before);
  // The route's own queue workers; the push worker's jobs come from the push pipeline, whose units
  // are the push part's (scenarios/push.ts, push-big.ts), as the push function's are.
  const workers = WORKERS.filter((w) => !w.feature)
    .map((w) => diff[w.name])
    .filter((x): x is ActionStats => x !== undefined);
  return summarize(label, routeKey, diff[routeKey], repeat, errors, mergeStats(workers));
}

/** The queue workers' stats as one (only the route that ran queued their jobs). */
function mergeStats(all: readonly ActionStats[]): ActionStats | undefined {
  if (all.length <= 1) return all[0];
  const commands: ActionStats['commands'] = {};
  for (const [name, c] of all.flatMap((s) => Object.entries(s.commands))) {
    const sum = commands[name] ?? { calls: 0, read: 0, write: 0, failed: 0, estimatedWrite: 0 };
    commands[name] = sum;
    sum.calls += c.calls;
    sum.read += c.read;
    sum.write += c.write;
    sum.failed += c.failed;
    sum.estimatedWrite += c.estimatedWrite;
  }
  return {
    invocations: all.reduce((n, s) => n + s.invocations, 0),
    totalMs: all.reduce((n, s) => n + s.totalMs, 0),
    commands,
    posts: all.reduce((n, s) => n + s.posts, 0),
    failedPosts: all.reduce((n, s) => n + s.failedPosts, 0),
    durations: all.flatMap((s) => s.durations),
  };
}

export function summarize(
  label: string,
  routeKey: string,
  own: ActionStats | undefined,
  n: number,
  errors: number,
  worker?: ActionStats,
): ActionCost {
  const commands: Record<string, CommandCost> = {};
  let read = 0;
  let write = 0;
  const stats = {
    posts: (own?.posts ?? 0) + (worker?.posts ?? 0),
    durations: own?.durations ?? [],
    commands: {
      ...own?.commands,
      ...Object.fromEntries(Object.entries(worker?.commands ?? {}).map(([k, v]) => [`worker ${k}`, v])),
    },
  };
  for (const [name, c] of Object.entries(stats.commands)) {
    commands[name] = {
      calls: round(c.calls / n, 3),
      read: round(c.read / n, 3),
      write: round(c.write / n, 3),
      estimatedWrite: round(c.estimatedWrite / n, 3),
    };
    read += c.read;
    write += c.write + c.estimatedWrite;
  }
  return {
    label,
    routeKey,
    repetitions: n,
    read: round(read / n, 3),
    write: round(write / n, 3),
    total: round((read + write) / n, 3),
    posts: round(stats.posts / n, 3),
    handlerMs: round(median(stats.durations), 2),
    commands,
    errors,
    ...(worker && worker.invocations > 0
      ? { jobs: round(worker.invocations / n, 3), workerMs: round(median(worker.durations), 2) }
      : {}),
  };
}

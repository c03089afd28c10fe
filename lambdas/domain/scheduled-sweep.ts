/**
 * Scheduled messages: the sweep that puts due messages on the due queue (./scheduled-dispatch.ts
 * sends each at its time). It runs every minute (lambdas/handlers/scheduledSweep.ts).
 */
import { DUE_SHARDS } from '../data/keys.ts';
import type { DueRef } from '../data/store.ts';
import { fitsBudget, type SendBudget } from '../shared/budget.ts';
import { mapSettled } from '../shared/concurrency.ts';
import { logger } from '../shared/logger.ts';
import { putMetrics } from '../shared/metrics.ts';
import type { ScheduledDeps } from './scheduled-deps.ts';

export interface SweepReport {
  /** Messages newly due within the horizon, put on the queue. */
  readonly due: number;
  /** Messages found stuck (still to go out `STUCK_AFTER_MS` past their time) and put on the queue again. */
  readonly retried: number;
  /** Messages found and not put on the queue: the sweep's time ran out first (the next one goes on). */
  readonly left: number;
  /** How long the oldest message found is overdue (0 when none is): the sweep's view of the lag. */
  readonly overdueMs: number;
}

/**
 * A message still in the due index this long after its due time is stuck (its queue message was
 * lost or dead-lettered, or its dispatcher died): the sweep enqueues it again and postpones its
 * due-index time by as much, so it is retried every `STUCK_AFTER_MS`, not at every sweep.
 */
export const STUCK_AFTER_MS = 120_000;

/** Messages per enqueue: as many as the due queue sends at once (32 batches of 10: due-queue.ts). */
export const SWEEP_CHUNK = 320;
/** The time one chunk is given: it starts only while it can end this long before the sweep's budget. */
export const SWEEP_CHUNK_MS = 5_000;
/**
 * Kept at the end of the sweep's invocation (lambdas/handlers/scheduledSweep.ts; it times out at
 * 60 s): the last chunk's postponements, the cursor, the metric.
 */
export const SWEEP_RESERVE_MS = 5_000;

const bySendAt = (a: DueRef, b: DueRef) => (a.sendAt < b.sendAt ? -1 : a.sendAt > b.sendAt ? 1 : 0);

/**
 * The sweep. It enqueues each scheduled message when its due time enters the horizon: it reads the
 * due index from its cursor (how far the last sweep that found something got) to now + horizon,
 * enqueues what it finds with timers for the seconds left, and moves the cursor; what is due sooner
 * than the horizon when scheduled was enqueued by `scheduleMessage` (and may be enqueued once more
 * by the next sweep: at most twice in all). Messages still there `STUCK_AFTER_MS` past their time are
 * enqueued again. One Query per shard and range: the cost follows the due
 * messages, never the number of scheduled ones.
 *
 * `full` ignores the cursor and enqueues everything due within the horizon: after the queue lost
 * its messages (the local queue is in memory: `npm run dev` sweeps this way at start-up) or a
 * restore of the table.
 *
 * Within its `budget` (the invocation's time, less `SWEEP_RESERVE_MS`): what it found goes on the
 * queue in send-time order across the shards, `SWEEP_CHUNK` at a time, each chunk only while it can
 * end in time (`SWEEP_CHUNK_MS`), and the cursor moves to the last send time fully enqueued (the
 * horizon when all was): a backlog bigger than one sweep's time is enqueued over several sweeps,
 * each going on where the last stopped (the messages at the cursor's own time are read again, and
 * may go twice: the dispatcher's claim makes that harmless), instead of every sweep timing out
 * before its cursor moved and enqueuing the same first part again. Stuck ones not reached stay
 * stuck (not postponed) for the next sweep.
 */
export async function sweepDue(
  deps: ScheduledDeps,
  options: { full?: boolean; budget?: SendBudget | undefined } = {},
): Promise<SweepReport> {
  const now = deps.now();
  const until = new Date(now.getTime() + deps.horizonMs).toISOString();
  const stuckBefore = new Date(now.getTime() - STUCK_AFTER_MS).toISOString();
  const cursor = options.full ? undefined : await deps.store.due.getSweepCursor();
  const shards = Array.from({ length: DUE_SHARDS }, (_, shard) => shard);
  const inShards = async (range: { from?: string; to: string }) =>
    (await Promise.all(shards.map((shard) => deps.store.due.listDue(shard, range)))).flat();

  const due = await inShards({ from: cursor, to: until });
  // Stuck ones lie before the cursor (without a cursor the range above has them all).
  const stuckTo = cursor === undefined ? undefined : [cursor, stuckBefore].sort()[0];
  const stuck = stuckTo === undefined ? [] : await inShards({ to: stuckTo });
  const retry = new Set(stuck);
  // In send-time order across the shards (the stuck ones, before the cursor, come first).
  const found = [...stuck, ...due].sort(bySendAt);
  let enqueued = 0;
  let retried = 0;
  /** The send time up to which every newly due message is on the queue. */
  let dueUpTo: string | undefined;
  while (enqueued < found.length && fitsBudget(options.budget, SWEEP_CHUNK_MS)) {
    const chunk = found.slice(enqueued, enqueued + SWEEP_CHUNK);
    // The timers count from the enqueue, not from before the Queries (they would end after sendAt).
    await deps.queue.enqueue(chunk, deps.now());
    enqueued += chunk.length;
    const again = chunk.filter((ref) => retry.has(ref));
    retried += again.length;
    await mapSettled(again, POSTPONE_CONCURRENCY, async (ref) => {
      await deps.store.due.postpone(ref, now.toISOString());
    });
    for (const ref of chunk) if (!retry.has(ref)) dueUpTo = ref.sendAt;
  }
  const left = found.length - enqueued;
  // An empty window leaves the cursor (and the table) as it is: a quiet system writes nothing. Out
  // of time, it moves to the last send time enqueued, which the next sweep reads again (inclusive).
  if (left === 0 && due.length > 0) await deps.store.due.moveSweepCursor(until);
  else if (left > 0 && dueUpTo !== undefined) await deps.store.due.moveSweepCursor(dueUpTo);

  const oldest = found[0] ? Date.parse(found[0].sendAt) : Number.NaN;
  const overdueMs = Number.isFinite(oldest) ? Math.max(0, now.getTime() - oldest) : 0;
  // Every sweep, 0 included (a duration): the overdue alarm's metric, whatever LOG_LEVEL.
  putMetrics({ ScheduledSweepOverdue: overdueMs });
  const report = { due: enqueued - retried, retried, left, overdueMs };
  if (left > 0) logger.warn('scheduled sweep out of time: the next sweep goes on', { ...report, dueUpTo });
  logger.info('scheduled sweep', { ...report, full: options.full ?? false });
  return report;
}

const POSTPONE_CONCURRENCY = 16;

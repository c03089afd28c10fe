/**
 * What the scheduled-message domain needs beside the common dependencies: the due queue and the
 * sweep horizon. Built on `deps()` at each call (so a replaced store or fan-out is seen), with the
 * queue made once per container; replaceable in tests.
 */
import { type DueQueue, SqsDueQueue } from '../queue/due-queue.ts';
import { getSqsSender } from '../shared/clients.ts';
import { config } from '../shared/config.ts';
import { extended } from '../shared/env-use.ts';
import { type Deps, deps } from './deps.ts';

export interface ScheduledDeps extends Deps {
  readonly queue: DueQueue;
  /** Messages due within this many ms are enqueued now; later ones wait for a sweep. */
  readonly horizonMs: number;
}

let queue: DueQueue | undefined;
let replaced: ScheduledDeps | undefined;

export function scheduledDeps(): ScheduledDeps {
  if (replaced) return replaced;
  const { scheduledQueueUrl, scheduledHorizonMs } = config();
  queue ??= new SqsDueQueue(getSqsSender, scheduledQueueUrl);
  return extended(deps(), { queue, horizonMs: scheduledHorizonMs });
}

/** Replace (or with `undefined`, rebuild) the scheduled dependencies. */
export function setScheduledDeps(next: ScheduledDeps | undefined): void {
  replaced = next;
  if (next === undefined) queue = undefined;
}

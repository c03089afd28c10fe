/**
 * The domain's dependencies, wired once per container from the shared clients, and replaceable in
 * tests. Domain code receives them as an argument and knows nothing of API Gateway.
 */
import type { MediaBucket } from '../data/media-bucket.ts';
import { type ChatStore, store } from '../data/store.ts';
import { StoreDirectory, type StoreDirectoryHooks } from '../fanout/directory.ts';
import { FanOut } from '../fanout/fanout.ts';
import { type JobQueue, jobQueueAt, planOfflineCheck, planPresenceRecheck } from '../fanout/jobs.ts';
import { getManagementClient, getSqsSender } from '../shared/clients.ts';
import { CONFIG_SOURCES, config } from '../shared/config.ts';
import { type EnvSources, recordingEnvUses, unrecorded, usedThrough } from '../shared/env-use.ts';
import { logger } from '../shared/logger.ts';
import { type RetentionQueue, SqsRetentionQueue } from './retention-jobs.ts';

export interface Deps {
  readonly store: ChatStore;
  readonly fanOut: FanOut;
  readonly now: () => Date;
  /** Connection lookups in flight at once when presence is asked about many users. */
  readonly presenceConcurrency: number;
  /**
   * How long a push device stays live after its app last registered it (lambdas/domain/devices.ts).
   * @default DEVICE_STALE_AFTER_SECONDS (60 days)
   */
  readonly deviceStaleAfterSeconds?: number;
  /**
   * The media bucket (S3). Unset: the container's own, on first use (lambdas/domain/media.ts), so
   * that only the functions that handle attachments bundle and configure it.
   */
  readonly media?: MediaBucket;
  /**
   * Where `deleteChat` queues a deleted chat's retention job and, before its mark, its finish job
   * (lib/workers.ts `RETENTION_WORKER`). Unset: it expires the chat's items itself.
   */
  readonly retentionQueue?: RetentionQueue | undefined;
  /** The presence budget's window (presence.ts). @default PRESENCE_ANNOUNCEMENTS.windowSeconds */
  readonly presenceWindowSeconds?: number;
  /**
   * Queues a presence recheck of the user `delaySeconds` from now (a change refused by the
   * announcement budget, presence.ts; with `unmark`, the retry of a failed post whose mark of that
   * state is to be taken back first): a job on the fan-out queue. Unset: the change is logged only.
   */
  readonly presenceRecheck?:
    | ((userId: string, delaySeconds: number, unmark?: boolean) => Promise<void>)
    | undefined;
}

let current: Deps | undefined;
let retention: { value: RetentionQueue | undefined } | undefined;
let workerFanOuts: Map<number, FanOut> | undefined;

/** The retention queue of this deployment (lib/workers.ts), or undefined when none is configured. */
export function retentionQueue(): RetentionQueue | undefined {
  // Read at each call (the test run records each function's uses of the configuration).
  const { queueUrl, finishDelaySeconds } = config().retention;
  if (!retention) {
    retention = {
      value: queueUrl ? new SqsRetentionQueue(getSqsSender, queueUrl, finishDelaySeconds) : undefined,
    };
  }
  return retention.value;
}

/** The fan-out queue of this deployment (lib/workers.ts), or undefined when none is configured. */
export const fanOutQueue = (): JobQueue | undefined => jobQueueAt(config().fanOutQueueUrl);

/**
 * A post found a socket gone and its record removed was the user's last: its `$disconnect` may never
 * come, so the fan-out worker is asked to run what it would (presence.ts `wentOffline`, through the
 * queue: it holds the grants that takes, and the request is not held up). Without a queue, peers keep
 * the user online until their next change (as before).
 */
const hooks: StoreDirectoryHooks = {
  lastSocketGone: async (userId) => {
    const queue = fanOutQueue();
    if (queue) await queue.send([planOfflineCheck(userId)]);
    else logger.warn('a user’s last socket is gone, but no fan-out queue to announce them offline');
  },
};

/** `Deps.presenceRecheck`: a delayed job on the fan-out queue (the worker runs `recheckPresence`). */
async function queuePresenceRecheck(userId: string, delaySeconds: number, unmark?: boolean): Promise<void> {
  const queue = fanOutQueue();
  if (queue) await queue.send([planPresenceRecheck(userId, unmark)], { delaySeconds });
  else logger.warn('a presence change beyond the budget, but no fan-out queue to recheck it later');
}

const { retention: retentionSources, ...sources } = CONFIG_SOURCES;

/**
 * The variables each dependency is built from: `deps()` is built once per container, so while the
 * test run records each function's uses (lambdas/shared/env-use.ts), reading a dependency records
 * them for the current invocation.
 */
const DEPS_SOURCES: EnvSources<Deps> = {
  store: [...sources.tableName, ...sources.dynamoEndpoint],
  fanOut: [
    ...sources.fanOutConcurrency,
    ...sources.fanOutQueueUrl,
    ...sources.fanOutQueueThreshold,
    ...sources.fanOutJobSize,
  ],
  now: [],
  presenceConcurrency: sources.presenceConcurrency,
  deviceStaleAfterSeconds: sources.deviceStaleAfterSeconds,
  media: [],
  retentionQueue: [...retentionSources.queueUrl, ...retentionSources.finishDelaySeconds],
  presenceWindowSeconds: sources.presenceWindowSeconds,
  presenceRecheck: [], // reads the configuration at each call
};

/** The container's dependencies; building them is no use of the variables they come from. */
export function deps(): Deps {
  current ??= unrecorded(buildDeps);
  return recordingEnvUses() ? usedThrough(current, DEPS_SOURCES) : current;
}

function buildDeps(): Deps {
  const chatStore = store();
  const {
    fanOutConcurrency,
    presenceConcurrency,
    fanOutQueueThreshold,
    fanOutJobSize,
    deviceStaleAfterSeconds,
  } = config();
  return {
    store: chatStore,
    fanOut: new FanOut(getManagementClient, new StoreDirectory(chatStore, fanOutConcurrency, hooks), {
      concurrency: fanOutConcurrency,
      queue: fanOutQueue(),
      queueThreshold: fanOutQueueThreshold,
      jobSize: fanOutJobSize,
    }),
    now: () => new Date(),
    presenceConcurrency,
    ...(deviceStaleAfterSeconds === undefined ? {} : { deviceStaleAfterSeconds }),
    retentionQueue: retentionQueue(),
    presenceRecheck: queuePresenceRecheck,
    presenceWindowSeconds: config().presenceWindowSeconds,
  };
}

/**
 * A queue worker's fan-out: the same store and Management API client, with the worker's own posts in
 * flight (`postConcurrency` of its definition in lib/workers.ts) wherever it runs. Locally the
 * workers share the routes' process, and so would take the routes' FANOUT_CONCURRENCY.
 */
export function workerFanOut(concurrency: number): FanOut {
  workerFanOuts ??= new Map();
  let fanOut = workerFanOuts.get(concurrency);
  if (!fanOut) {
    fanOut = new FanOut(getManagementClient, new StoreDirectory(deps().store, concurrency, hooks), {
      concurrency,
    });
    workerFanOuts.set(concurrency, fanOut);
  }
  return fanOut;
}

export function setDeps(next: Deps | undefined): void {
  current = next;
  workerFanOuts = undefined;
  if (next === undefined) retention = undefined;
}

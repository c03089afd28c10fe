/**
 * The push pipeline's Lambda: a stream consumer of message-created records (filtered by the event
 * source mapping on AWS, by the local stream poller in `npm run dev` and tests). For each message it
 * plans the notifications (plan.ts) and delivers them (deliver.ts) through APNs and FCM. Pushing is
 * entirely off the sender's path: `sendMessage` only writes the message.
 */

import type { Item } from '../data/item.ts';
import type { Platform } from '../data/store.ts';
import { store } from '../data/store.ts';
import { jobQueueAt } from '../fanout/jobs.ts';
import type { Counters } from '../pipeline/metrics.ts';
import { MESSAGE_CREATED } from '../pipeline/patterns.ts';
import { type StreamConsumer, streamHandler } from '../pipeline/stream.ts';
import { config } from '../shared/config.ts';
import { readingEnv, recordingEnvUses, useEnv } from '../shared/env-use.ts';
import { logger } from '../shared/logger.ts';
import { ApnsProvider } from './apns.ts';
import { leavesTime, pushBudget, READS_MS, type SendBudget } from './budget.ts';
import { loadPushConfig, type PushConfig } from './config.ts';
import { type DeliveryDeps, deliverAll } from './deliver.ts';
import { FcmProvider } from './fcm.ts';
import { jobsFor, type PushJob, type PushJobQueue, planPushJobs, queueDeferred, queueJobs } from './jobs.ts';
import { type PlanDeps, type PushMessage, planRecipients, selectRecipients } from './plan.ts';
import type { PushProvider } from './provider.ts';
import { ProviderQuota } from './provider-quota.ts';

export interface PushRuntime {
  readonly config: PushConfig;
  readonly providers: ReadonlyMap<Platform, PushProvider>;
  /** Each provider's retry quota (lambdas/shared/retry.ts, deliver.ts): one per container, as the providers. */
  readonly quotas: ReadonlyMap<Platform, ProviderQuota>;
}

let runtime: Promise<PushRuntime> | undefined;
/** The variables the runtime was built from (collected while the test run records their uses). */
let runtimeEnv = new Set<string>();

async function startRuntime(): Promise<PushRuntime> {
  const config = await loadPushConfig(readingEnv(runtimeEnv));
  const providers = new Map<Platform, PushProvider>();
  if (config.apns) providers.set('apns', new ApnsProvider(config.apns, { idOnly: config.idOnly }));
  if (config.fcm) providers.set('fcm', new FcmProvider(config.fcm, { idOnly: config.idOnly }));
  if (providers.size === 0) logger.warn('push: no provider is configured; notifications are not sent');
  const quotas = new Map([...providers.keys()].map((platform) => [platform, new ProviderQuota()] as const));
  return { config, providers, quotas };
}

export function pushRuntime(): Promise<PushRuntime> {
  runtime ??= startRuntime().catch((error: unknown) => {
    runtime = undefined; // try again on the next record (e.g. Secrets Manager was briefly unavailable)
    runtimeEnv = new Set();
    throw error;
  });
  if (!recordingEnvUses()) return runtime;
  // Each use of the shared runtime (push function, push worker) uses what it was built from.
  const names = runtimeEnv;
  return runtime.then((value) => {
    useEnv(names);
    return value;
  });
}

/** Closes provider connections and forgets the configuration (local shutdown, tests). */
export async function resetPush(): Promise<void> {
  const current = runtime;
  runtime = undefined;
  runtimeEnv = new Set();
  for (const provider of (await current?.catch(() => undefined))?.providers.values() ?? []) provider.close();
}

/** The push queue of this deployment (lib/workers.ts `PUSH_WORKER`), or undefined when none is configured. */
export const pushJobQueue = (): PushJobQueue | undefined => jobQueueAt<PushJob>(config().pushQueueUrl);

/** What delivering needs: the providers and their retry quotas, the device store, the batch's counters. */
export const deliveryDeps = ({ providers, quotas }: PushRuntime, counters: Counters): DeliveryDeps => ({
  providers,
  quotas,
  removeDevice: (device) => store().devices.remove(device),
  // One consistent key lookup: a token someone else registered meanwhile moved (its old device is
  // deleted in that registration's transaction), a device unregistered is gone.
  stillRegistered: async (device) =>
    (await store().devices.get(device.userId, device.deviceId))?.token === device.token,
  counters,
});

export interface PushNewMessageDeps {
  readonly plan: PlanDeps;
  readonly delivery: DeliveryDeps;
  readonly counters: Counters;
  /** The push queue; without one, every notification is planned and sent here, to the end. */
  readonly queue: PushJobQueue | undefined;
  readonly jobSize: number;
  /** The invocation's send budget (budget.ts); used only with a queue to take what is left. */
  readonly budget: SendBudget | undefined;
}

/**
 * One new message's notifications: its recipients queued in jobs when they are many (plan.ts,
 * jobs.ts), else planned and sent here; with a queue, sends stop in time (budget.ts) and what is
 * left becomes a job, since a batch retried after a timeout would send all its notifications again
 * (a record reached with no time left for its lookups queues its recipients instead).
 * `at`: when the message was written (a deferred job's age counts from it).
 *
 * Once per message: a batch is retried from its lowest failed record on (lambdas/pipeline/stream.ts),
 * so a message may come again after its notifications went out. Before anything is sent or queued,
 * the message's push mark is read (`pushedBefore`: beside the planner's read of the message and its
 * chat, when planned here); a marked message is skipped. The mark is written once everything was
 * handed to the providers or queued (`markPushed`); a queue that refuses some jobs once others went
 * (or notifications were sent) does not fail the record: those are given up (jobs.ts `queueJobs`),
 * and the message is marked. A message that notifies nobody is neither
 * checked nor marked (doing it again sends nothing either).
 */
export async function pushNewMessage(deps: PushNewMessageDeps, image: Item, at: number): Promise<void> {
  const { queue, counters } = deps;
  const selected = await selectRecipients(deps.plan, image, counters);
  if (!selected) return;
  const { message, recipients } = selected;
  // Many to look up, or too little time left for the lookups: the push worker plans them.
  const budget = queue ? deps.budget : undefined;
  const jobs =
    queue &&
    (jobsFor(message, recipients, deps.jobSize) ??
      (leavesTime(budget, READS_MS) ? undefined : planPushJobs(message, recipients, deps.jobSize)));
  if (queue && jobs) {
    if (await pushedBefore(deps, message)) return;
    // Their age counts from the message, not from the queueing (a record may be retried a while).
    // Some queued and some refused: those are given up, and the message marked (jobs.ts `queueJobs`).
    await queueJobs(
      queue,
      message,
      jobs.map((job) => ({ ...job, since: at })),
      counters,
      { sent: false },
    );
    await markPushed(deps, message);
    return;
  }
  const planned = await planRecipients(deps.plan, message, recipients, counters, {
    skipIf: () => pushedBefore(deps, message),
  });
  if (planned.length === 0) return;
  const { deferred, sent } = await deliverAll(planned, deps.delivery, budget, queue !== undefined);
  if (queue) {
    await queueDeferred(queue, message, deferred, at, counters, deps.plan.now().getTime(), sent);
  }
  await markPushed(deps, message);
}

/** Whether the message's notifications went out already (its push mark: `PushRepeatSkipped`). */
async function pushedBefore(deps: PushNewMessageDeps, message: PushMessage): Promise<boolean> {
  const marked = await deps.plan.store.pushMarks.has(message.messageId);
  if (marked) deps.counters.add('PushRepeatSkipped');
  return marked;
}

/**
 * Marks the message pushed. A failure is logged and counted (`PushMarkFailed`), not thrown: failing
 * the record would only send its notifications again at once.
 */
async function markPushed(deps: PushNewMessageDeps, message: PushMessage): Promise<void> {
  try {
    await deps.plan.store.pushMarks.put(message.messageId, deps.plan.now());
  } catch (error) {
    deps.counters.add('PushMarkFailed');
    const { chatId, messageId } = message;
    logger.error('push mark not written: a retry of its record would push it again', {
      chatId,
      messageId,
      error,
    });
  }
}

export const pushConsumer: StreamConsumer = {
  name: 'push',
  filter: MESSAGE_CREATED,
  concurrency: 8,
  businessMetrics: { PushSent: 'PushesSent', PushFailed: 'PushesFailed', PushGivenUp: 'PushesGivenUp' },
  async handle(change, counters, invocation) {
    const runtime = await pushRuntime();
    if (runtime.providers.size === 0 || !change.newImage) return;
    const deps: PushNewMessageDeps = {
      plan: {
        store: store(),
        now: () => new Date(),
        deviceStaleAfterSeconds: config().deviceStaleAfterSeconds,
      },
      delivery: deliveryDeps(runtime, counters),
      counters,
      queue: pushJobQueue(),
      jobSize: config().pushJobSize,
      budget: pushBudget(invocation),
    };
    await pushNewMessage(deps, change.newImage, change.at.getTime());
  },
};

export const handler = streamHandler(pushConsumer);

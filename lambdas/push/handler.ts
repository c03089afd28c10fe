/**
 * The push pipeline's Lambda: a stream consumer of message-created records (filtered by the event
 * source mapping on AWS, by the local stream poller in `npm run dev` and tests). For each message it
 * plans the notifications (plan.ts) and delivers them (deliver.ts) through APNs and FCM. Pushing is
 * entirely off the sender's path: `sendMessage` only writes the message.
 */
import type { Platform } from '../data/store.ts';
import { store } from '../data/store.ts';
import { SqsJobQueue } from '../fanout/jobs.ts';
import type { Counters } from '../pipeline/metrics.ts';
import { MESSAGE_CREATED } from '../pipeline/patterns.ts';
import { type StreamConsumer, streamHandler } from '../pipeline/stream.ts';
import { getSqsSender } from '../shared/clients.ts';
import { config } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import { ApnsProvider } from './apns.ts';
import { loadPushConfig, type PushConfig } from './config.ts';
import { type DeliveryDeps, deliverAll } from './deliver.ts';
import { FcmProvider } from './fcm.ts';
import { jobsFor, type PushJob, type PushJobQueue } from './jobs.ts';
import { planRecipients, selectRecipients } from './plan.ts';
import type { PushProvider } from './provider.ts';

export interface PushRuntime {
  readonly config: PushConfig;
  readonly providers: ReadonlyMap<Platform, PushProvider>;
}

let runtime: Promise<PushRuntime> | undefined;

async function startRuntime(): Promise<PushRuntime> {
  const config = await loadPushConfig();
  const providers = new Map<Platform, PushProvider>();
  if (config.apns) providers.set('apns', new ApnsProvider(config.apns, { idOnly: config.idOnly }));
  if (config.fcm) providers.set('fcm', new FcmProvider(config.fcm, { idOnly: config.idOnly }));
  if (providers.size === 0) logger.warn('push: no provider is configured; notifications are not sent');
  return { config, providers };
}

export function pushRuntime(): Promise<PushRuntime> {
  runtime ??= startRuntime().catch((error: unknown) => {
    runtime = undefined; // try again on the next record (e.g. Secrets Manager was briefly unavailable)
    throw error;
  });
  return runtime;
}

/** Closes provider connections and forgets the configuration (local shutdown, tests). */
export async function resetPush(): Promise<void> {
  queue = undefined;
  const current = runtime;
  runtime = undefined;
  for (const provider of (await current?.catch(() => undefined))?.providers.values() ?? []) provider.close();
}

let queue: { value: PushJobQueue | undefined } | undefined;

/** The push queue of this deployment (lib/workers.ts `PUSH_WORKER`), or undefined when none is configured. */
function pushJobQueue(): PushJobQueue | undefined {
  if (!queue) {
    const url = config().pushQueueUrl;
    queue = { value: url ? new SqsJobQueue<PushJob>(getSqsSender, url) : undefined };
  }
  return queue.value;
}

/** What delivering needs: the providers, the device store, the batch's counters. */
export const deliveryDeps = (providers: PushRuntime['providers'], counters: Counters): DeliveryDeps => ({
  providers,
  removeDevice: (device) => store().devices.remove(device),
  counters,
});

export const pushConsumer: StreamConsumer = {
  name: 'push',
  filter: MESSAGE_CREATED,
  concurrency: 8,
  businessMetrics: { PushSent: 'PushesSent', PushFailed: 'PushesFailed', PushGivenUp: 'PushesGivenUp' },
  async handle(change, counters) {
    const { providers } = await pushRuntime();
    if (providers.size === 0 || !change.newImage) return;
    const planDeps = { store: store(), now: () => new Date() };
    const selected = await selectRecipients(planDeps, change.newImage, counters);
    if (!selected) return;
    const { message, recipients } = selected;
    // Many to look up: the push worker plans them, a job each (plan.ts, jobs.ts).
    const queue = pushJobQueue();
    const jobs = queue && jobsFor(message, recipients, config().pushJobSize);
    if (queue && jobs) {
      await queue.send(jobs);
      counters.add('PushJobsQueued', jobs.length);
      return;
    }
    const planned = await planRecipients(planDeps, message, recipients, counters);
    await deliverAll(planned, deliveryDeps(providers, counters));
  },
};

export const handler = streamHandler(pushConsumer);

/**
 * The push pipeline's Lambda: a stream consumer of message-created records (filtered by the event
 * source mapping on AWS, by the local stream poller in `npm run dev` and tests). For each message it
 * plans the notifications (plan.ts) and delivers them (deliver.ts) through APNs and FCM. Pushing is
 * entirely off the sender's path: `sendMessage` only writes the message.
 */
import type { Platform } from '../data/store.ts';
import { store } from '../data/store.ts';
import { MESSAGE_CREATED } from '../pipeline/patterns.ts';
import { type StreamConsumer, streamHandler } from '../pipeline/stream.ts';
import { logger } from '../shared/logger.ts';
import { ApnsProvider } from './apns.ts';
import { loadPushConfig, type PushConfig } from './config.ts';
import { deliver } from './deliver.ts';
import { FcmProvider } from './fcm.ts';
import { planPushes } from './plan.ts';
import type { PushProvider } from './provider.ts';

/** Notifications sent at once within one record. */
export const SEND_CONCURRENCY = 16;

interface PushRuntime {
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

function pushRuntime(): Promise<PushRuntime> {
  runtime ??= startRuntime().catch((error: unknown) => {
    runtime = undefined; // try again on the next record (e.g. Secrets Manager was briefly unavailable)
    throw error;
  });
  return runtime;
}

/** Closes provider connections and forgets the configuration (local shutdown, tests). */
export async function resetPush(): Promise<void> {
  const current = runtime;
  runtime = undefined;
  for (const provider of (await current?.catch(() => undefined))?.providers.values() ?? []) provider.close();
}

export const pushConsumer: StreamConsumer = {
  name: 'push',
  filter: MESSAGE_CREATED,
  concurrency: 8,
  businessMetrics: { PushSent: 'PushesSent', PushFailed: 'PushesFailed', PushGivenUp: 'PushesGivenUp' },
  async handle(change, counters) {
    const { providers } = await pushRuntime();
    if (providers.size === 0 || !change.newImage) return;
    const planned = await planPushes({ store: store(), now: () => new Date() }, change.newImage, counters);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < planned.length) {
        const push = planned[next++] as (typeof planned)[number];
        await deliver(push.device, push.content, {
          providers,
          removeDevice: (device) => store().devices.remove(device),
          counters,
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, planned.length) }, worker));
  },
};

export const handler = streamHandler(pushConsumer);

/**
 * The event pipeline of the local stack: the push providers' stand-ins and the stream poller that
 * feeds every consumer of lib/stream-consumers.ts (all of them: locally every feature is on).
 * local/stack.ts starts it after the table exists and mounts its HTTP routes on the gateway.
 */
import { STREAM_CONSUMERS } from '../lib/stream-consumers.ts';
import { LocalPushProviders } from './push/providers.ts';
import { type StreamLambda, StreamPoller } from './streams.ts';

export interface LocalPipelineOptions {
  /** The started push stand-ins (`startPushProviders`). */
  readonly push: LocalPushProviders;
  readonly endpoint: string;
  readonly tableName: string;
  /** Id-only pushes (the privacy option). @default false */
  readonly pushIdOnly?: boolean;
  /** Consumers' timeouts in seconds by name, instead of their own (local/stack.ts). */
  readonly timeoutSeconds?: Readonly<Record<string, number>>;
  /** Loads a consumer's handler module (`stream:<Name>` is the key given to `wrap`). */
  readonly load: (entry: string) => () => Promise<StreamLambda>;
  readonly wrap: (key: string, load: () => Promise<StreamLambda>) => () => Promise<StreamLambda>;
}

export interface LocalPipeline {
  readonly push: LocalPushProviders;
  readonly streams: StreamPoller;
  /** Environment the consumers need (push credentials and endpoints of the stand-ins). */
  readonly env: Record<string, string>;
  /** Starts reading the stream (after the handlers' environment is in place). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the APNs and FCM stand-ins (key generation takes a moment: start them early). */
export function startPushProviders(host = '127.0.0.1'): Promise<LocalPushProviders> {
  return LocalPushProviders.start(host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
}

export function createLocalPipeline(options: LocalPipelineOptions): LocalPipeline {
  const { push } = options;
  const streams = new StreamPoller({
    endpoint: options.endpoint,
    tableName: options.tableName,
    consumers: STREAM_CONSUMERS.map((c) => ({
      name: c.name,
      filter: c.filter,
      batchSize: c.batchSize,
      retryAttempts: c.retryAttempts,
      timeoutSeconds: options.timeoutSeconds?.[c.name] ?? c.timeoutSeconds,
      load: options.wrap(`stream:${c.name}`, options.load(c.entry)),
    })),
  });
  return {
    push,
    streams,
    env: push.env({ idOnly: options.pushIdOnly ?? false }),
    start: () => streams.start(),
    async stop() {
      await streams.stop();
      const { resetPush } = await import('../lambdas/push/handler.ts');
      await resetPush();
      await push.stop();
    },
  };
}

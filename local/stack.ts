/**
 * The whole product on one machine: DynamoDB Local + the table + the local S3 stand-in (media) + the
 * local gateway running the real handlers from the route table. Used by `npm run dev`, the end-to-end
 * tests and the benchmarks.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEV_JWT_SECRET } from '../lambdas/auth/verifier.ts';
import { ROUTE_TIMEOUT_SECONDS } from '../lambdas/shared/config.ts';
import { MEDIA_BUCKET_ENV, S3_ENDPOINT_ENV } from '../lib/media.ts';
import { AUTHORIZER, ROUTES } from '../lib/routes.ts';
import { MANAGEMENT_ENDPOINT_ENV, TABLE_NAME_ENV } from '../lib/table.ts';
import { RETENTION_WORKER, WORKERS } from '../lib/workers.ts';
import { assertAuthConfig, assertSecretFitsHost, usesPublicDevSecret } from './auth-config.ts';
import { DEFAULT_PORT, DEFAULT_TABLE_NAME, LOOPBACK_HOST } from './defaults.ts';
import { type DynamoLocal, startDynamoLocal, useLocalAwsEnvironment } from './dynamodb.ts';
import { ensureTable } from './dynamodb-table.ts';
import {
  type GatewayLimits,
  type GatewayOptions,
  type LambdaHandler,
  LocalGateway,
  type LocalHttpRoute,
} from './gateway.ts';
import { createLocalPipeline, type LocalPipeline, startPushProviders } from './pipeline.ts';
import { type LocalQueue, LocalSqs } from './queue.ts';
import { type LocalS3, startLocalS3 } from './s3.ts';
import { LocalScheduler } from './scheduler.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalStackOptions {
  /** Gateway port. @default {@link DEFAULT_PORT}; 0 picks a free one */
  readonly port?: number;
  /**
   * The gateway's listen address. Beyond loopback the stack refuses the public dev JWT secret.
   * @default {@link LOOPBACK_HOST}
   */
  readonly host?: string;
  /** Use a running DynamoDB (Local) instead of starting one. */
  readonly dynamoEndpoint?: string;
  /** DynamoDB Local's listen address. @default {@link LOOPBACK_HOST} */
  readonly dynamoHost?: string;
  /** Keep DynamoDB Local's data in this folder. @default in memory */
  readonly dbPath?: string;
  /** DynamoDB Local (the one started here) exited unasked: its exit and last output lines. */
  readonly onDynamoExit?: (message: string) => void;
  /** @default {@link DEFAULT_TABLE_NAME} */
  readonly tableName?: string;
  readonly limits?: Partial<GatewayLimits>;
  readonly onInvoke?: GatewayOptions['onInvoke'];
  /** The gateway's execution log. @default stderr */
  readonly onExecutionLog?: GatewayOptions['onExecutionLog'];
  /** Wraps each handler loader (route key, or `$authorizer`), e.g. to meter invocations. */
  readonly wrapLoader?: (
    routeKey: string,
    load: () => Promise<LambdaHandler>,
  ) => () => Promise<LambdaHandler>;
  /** Extra environment for the handlers (e.g. JWT_ISSUER). */
  readonly env?: Record<string, string>;
  /** Run the event pipeline (stream poller, push stand-ins, `GET /_local/push`). @default true */
  readonly pipeline?: boolean;
  /** Id-only pushes (the privacy option; `npm run dev -- --push-id-only`). @default false */
  readonly pushIdOnly?: boolean;
  /**
   * Timeouts in seconds of queue workers and stream consumers, by name (`PushWorker`, `Push`), for
   * tests that need a shorter invocation, and of routes, by route key (`createChat`), for tests whose
   * request does on DynamoDB Local (about ten times slower) what takes well under a second on AWS.
   * @default each one's own (lib/workers.ts, lib/stream-consumers.ts; ROUTE_TIMEOUT_SECONDS)
   */
  readonly timeoutSeconds?: Readonly<Record<string, number>>;
  /**
   * Visibility timeouts in seconds of queue workers' queues, by name (`PushWorker`), for tests of a
   * failed record's next receive. @default 1 (local/queue.ts: failures retried while a test waits)
   */
  readonly visibilityTimeoutSeconds?: Readonly<Record<string, number>>;
  /**
   * Milliseconds a second of a worker's `ChangeMessageVisibility` (its `retryLater` backoff) lasts,
   * by worker name (`PushWorker`), for tests of that backoff that need not wait its real seconds.
   * @default 1000 (local/queue.ts `visibilityChangeSecondMs`)
   */
  readonly visibilityChangeSecondMs?: Readonly<Record<string, number>>;
  /** How often the scheduled-message sweep runs. @default 60_000 */
  readonly sweepIntervalMs?: number;
  /** Extra local HTTP routes on the gateway's origin (the web page: local/web.ts). */
  readonly httpRoutes?: readonly LocalHttpRoute[];
}

export interface LocalStack {
  readonly url: string;
  readonly managementEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  /** The local S3 stand-in (`<s3Endpoint>/<mediaBucket>/<key>`). */
  readonly s3Endpoint: string;
  readonly mediaBucket: string;
  readonly gateway: LocalGateway;
  /** The event pipeline: push stand-ins (`pipeline.push`) and the stream poller (`pipeline.streams`). */
  readonly pipeline: LocalPipeline | undefined;
  /** Scheduled messages: the due queue and the sweep (local/scheduler.ts). */
  readonly scheduler: LocalScheduler;
  /** The SQS stand-in and its queues by worker name (lib/workers.ts). */
  readonly sqs: LocalSqs;
  readonly queues: ReadonlyMap<string, LocalQueue>;
  /**
   * Resolves when no handler invocation and no queued job is left (events all posted), but for the
   * retention queue's jobs still on their timer (deletions' finish jobs) unless `timers` is set.
   */
  idle(options?: { readonly timers?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/** Loads a handler module from the route table's entry (TypeScript, via tsx or vitest). */
export function loader(entry: string): () => Promise<LambdaHandler> {
  return async () => {
    const mod = (await import(pathToFileURL(resolve(ROOT, entry)).href)) as { handler?: LambdaHandler };
    if (typeof mod.handler !== 'function') throw new Error(`${entry} exports no handler`);
    return mod.handler;
  };
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? LOOPBACK_HOST;
  const env = { ...process.env, ...options.env };
  assertAuthConfig(env);
  assertSecretFitsHost(host, env);
  // With the public secret any web page could sign a token: refuse other sites' pages (403).
  const localOriginsOnly = usesPublicDevSecret(env);
  useLocalAwsEnvironment();
  // The media stand-in and the push stand-ins (key generation) start while DynamoDB Local does (the
  // media's next to its data when that is kept).
  const s3Starting = startLocalS3(options.dbPath ? { directory: join(options.dbPath, 's3') } : {});
  s3Starting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const providers = options.pipeline === false ? undefined : startPushProviders(host);
  providers?.catch(() => undefined);
  let dynamo: DynamoLocal | undefined;
  try {
    dynamo = options.dynamoEndpoint
      ? undefined
      : await startDynamoLocal({
          ...(options.dbPath ? { dbPath: options.dbPath } : {}),
          ...(options.dynamoHost ? { host: options.dynamoHost } : {}),
          ...(options.onDynamoExit ? { onExit: options.onDynamoExit } : {}),
        });
  } catch (error) {
    await s3Starting.then((s) => s.stop()).catch(() => undefined);
    await providers?.then((p) => p.stop()).catch(() => undefined);
    throw error;
  }
  const dynamoEndpoint = options.dynamoEndpoint ?? (dynamo as DynamoLocal).endpoint;
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  let scheduler: LocalScheduler | undefined;
  let s3: LocalS3 | undefined;
  let sqs: LocalSqs | undefined;
  let pipeline: LocalPipeline | undefined;
  try {
    s3 = await s3Starting;
    // The stream only where the pipeline reads it (local/dynamodb-table.ts says why).
    await ensureTable(dynamoEndpoint, tableName, { stream: options.pipeline !== false });
    const wrap = options.wrapLoader ?? ((_routeKey: string, load: () => Promise<LambdaHandler>) => load);
    const push = await providers;
    pipeline =
      push &&
      createLocalPipeline({
        push,
        endpoint: dynamoEndpoint,
        tableName,
        ...(options.pushIdOnly ? { pushIdOnly: true } : {}),
        ...(options.timeoutSeconds ? { timeoutSeconds: options.timeoutSeconds } : {}),
        load: loader,
        wrap,
      });
    const gateway = new LocalGateway({
      routes: ROUTES.map((r) => ({
        routeKey: r.routeKey,
        returnResponse: r.returnResponse,
        // As deployed (lib/chat-function.ts): the in-request fan-out's budget counts down from it.
        timeoutSeconds: options.timeoutSeconds?.[r.routeKey] ?? ROUTE_TIMEOUT_SECONDS,
        load: wrap(r.routeKey, loader(r.entry)),
      })),
      authorizer: {
        load: wrap('$authorizer', loader(AUTHORIZER.entry)),
        queryParameter: AUTHORIZER.queryParameter,
      },
      port: options.port ?? DEFAULT_PORT,
      host,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.onInvoke ? { onInvoke: options.onInvoke } : {}),
      ...(options.onExecutionLog ? { onExecutionLog: options.onExecutionLog } : {}),
      httpRoutes: [...(pipeline?.push.routes ?? []), ...(options.httpRoutes ?? [])],
      localOriginsOnly,
    });
    await gateway.start();
    // Queue workers: the same handlers as on AWS, invoked by the SQS stand-in (local/queue.ts).
    const queueService = new LocalSqs();
    sqs = queueService;
    await queueService.start();
    const queues = new Map<string, LocalQueue>();
    for (const worker of WORKERS) {
      const visibilitySeconds = options.visibilityTimeoutSeconds?.[worker.name];
      const changeSecondMs = options.visibilityChangeSecondMs?.[worker.name];
      const queue = queueService.createQueue(worker.name, {
        batchSize: worker.batchSize,
        maxConcurrency: worker.maxConcurrency,
        maxReceiveCount: worker.maxReceiveCount,
        timeoutMs: (options.timeoutSeconds?.[worker.name] ?? worker.timeoutSeconds) * 1000,
        ...(visibilitySeconds ? { visibilityTimeoutMs: visibilitySeconds * 1000 } : {}),
        ...(changeSecondMs ? { visibilityChangeSecondMs: changeSecondMs } : {}),
      });
      queue.consume(wrap(worker.name, loader(worker.entry)));
      queues.set(worker.name, queue);
    }
    // Scheduled messages: the due queue on the same stand-in, and the per-minute sweep.
    scheduler = new LocalScheduler({
      sqs: queueService,
      load: (name, entry) => wrap(name, loader(entry)),
      ...(options.sweepIntervalMs ? { sweepIntervalMs: options.sweepIntervalMs } : {}),
      ...(options.onInvoke
        ? { onError: (name, error) => options.onInvoke?.({ routeKey: name, connectionId: '', ms: 0, error }) }
        : {}),
    });
    // The handlers run in this process and read their configuration on first use.
    Object.assign(process.env, {
      ...Object.fromEntries(WORKERS.map((w) => [w.queueUrlEnv, queues.get(w.name)?.url])),
      [TABLE_NAME_ENV]: tableName,
      [MANAGEMENT_ENDPOINT_ENV]: gateway.managementEndpoint,
      DYNAMODB_ENDPOINT: dynamoEndpoint,
      [S3_ENDPOINT_ENV]: s3.endpoint,
      [MEDIA_BUCKET_ENV]: s3.bucket,
      ...(process.env.JWT_JWKS_URL ? {} : { JWT_SECRET: process.env.JWT_SECRET ?? DEV_JWT_SECRET }),
      ...scheduler.environment,
      ...pipeline?.env,
      ...options.env,
    });
    scheduler.begin();
    await pipeline?.start();
    const started = scheduler;
    const startedPipeline = pipeline;
    return {
      url: gateway.url,
      managementEndpoint: gateway.managementEndpoint,
      dynamoEndpoint,
      tableName,
      s3Endpoint: s3.endpoint,
      mediaBucket: s3.bucket,
      gateway,
      pipeline: startedPipeline,
      scheduler: started,
      sqs: queueService,
      queues,
      async idle(options = {}) {
        // The workers' queues drain; the due queue may hold messages on timers for minutes (its
        // scheduler waits for what is due only), and so may the retention queue: each deletion's
        // finish job waits its delay (RETENTION_FINISH_DELAY_SECONDS) and then, unless the deletion
        // was interrupted, finds nothing to do. `timers: true` waits for those too.
        const onTimers = (q: LocalQueue) => !options.timers && q.name === RETENTION_WORKER.name;
        const busy = (q: LocalQueue) => (onTimers(q) ? q.busyExceptTimers : q.depth > 0);
        do {
          await gateway.idle();
          await Promise.all([...queues.values()].map((q) => (onTimers(q) ? q.idleExceptTimers() : q.idle())));
          await started.idle();
        } while ([...queues.values()].some(busy));
        await gateway.idle();
      },
      async stop() {
        await started.stop();
        await gateway.stop();
        await queueService.stop();
        await startedPipeline?.stop();
        await s3?.stop();
        await dynamo?.stop();
      },
    };
  } catch (error) {
    await scheduler?.stop();
    await sqs?.stop();
    await (pipeline?.stop() ?? (await providers)?.stop())?.catch(() => undefined);
    await s3?.stop();
    await dynamo?.stop();
    throw error;
  }
}

/**
 * Runtime configuration, read once per container from the environment that the CDK stack (or the
 * local stack) sets. Nothing here is hard-coded to a host.
 */

import { MEDIA_BUCKET_DOMAIN_ENV, MEDIA_BUCKET_ENV, S3_ENDPOINT_ENV } from '../../lib/media.ts';
import {
  DEFAULT_HORIZON_SECONDS,
  SCHEDULED_HORIZON_ENV,
  SCHEDULED_QUEUE_URL_ENV,
} from '../../lib/scheduled-env.ts';
import { MANAGEMENT_ENDPOINT_ENV, TABLE_NAME_ENV } from '../../lib/table.ts';
import { FANOUT_QUEUE_URL_ENV, PUSH_QUEUE_URL_ENV, RETENTION_QUEUE_URL_ENV } from '../../lib/workers.ts';
import { type EnvSources, recordingEnvUses, usedThrough } from './env-use.ts';

export interface RuntimeConfig {
  /** The single table's name. */
  readonly tableName: string;
  /** API Gateway Management API endpoint, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/prod */
  readonly managementEndpoint: string | undefined;
  /** A DynamoDB endpoint override (DynamoDB Local); unset on AWS. */
  readonly dynamoEndpoint: string | undefined;
  /** Posts a fan-out has in flight towards the Management API (and its connection lookups). */
  readonly fanOutConcurrency: number;
  /** Connection lookups in flight at once when `getPresence` asks about many users. */
  readonly presenceConcurrency: number;
  /**
   * The presence announcement budget's window in seconds (presence.ts `PRESENCE_ANNOUNCEMENTS`),
   * at most 60 (tests shorten it, `PRESENCE_WINDOW_SECONDS`).
   */
  readonly presenceWindowSeconds: number;
  /** The fan-out queue (lib/workers.ts); unset: every post is made in the request. */
  readonly fanOutQueueUrl: string | undefined;
  /** Events for more sockets than this go to the fan-out queue. */
  readonly fanOutQueueThreshold: number;
  /** Sockets per queued fan-out job. */
  readonly fanOutJobSize: number;
  /** The push queue (lib/workers.ts `PUSH_WORKER`); unset: the push function plans every message itself. */
  readonly pushQueueUrl: string | undefined;
  /** Recipients to look up above which the push worker plans a message's pushes, this many a job. */
  readonly pushJobSize: number;
  /**
   * How long a push device stays live after its app last registered it, in seconds, when
   * `PUSH_DEVICE_STALE_DAYS` sets it; unset: 60 days (`DEVICE_STALE_AFTER_SECONDS`,
   * lambdas/data/items-people.ts).
   */
  readonly deviceStaleAfterSeconds: number | undefined;
  /** The region the function runs in (signs S3 URLs). */
  readonly region: string;
  /** The media bucket; unset for functions that do not touch media. */
  readonly mediaBucket: string | undefined;
  /** The media bucket's regional domain name, e.g. `b.s3.eu-west-1.amazonaws.com`. */
  readonly mediaBucketDomain: string | undefined;
  /** An S3 endpoint override (the local stand-in: path-style URLs); unset on AWS. */
  readonly s3Endpoint: string | undefined;
  /** The due queue of scheduled messages (set for the functions that enqueue). */
  readonly scheduledQueueUrl: string | undefined;
  /** Scheduled messages due within this many ms are enqueued at once (see lib/scheduled-functions.ts). */
  readonly scheduledHorizonMs: number;
  /**
   * The write path's time bounds in ms (lambdas/domain/timing.ts), when set: WRITE_DEADLINE_MS,
   * ALLOC_TIMEOUT_MS, CLAIM_DEADLINE_MS, CLOCK_SKEW_MS. Every function of a deployment must agree.
   */
  readonly writeTiming: {
    readonly writeDeadlineMs?: number;
    readonly allocTimeoutMs?: number;
    readonly claimDeadlineMs?: number;
    readonly skewMarginMs?: number;
  };
  /**
   * A deleted chat's retention (lib/workers.ts `RETENTION_WORKER`): its queue (unset: `deleteChat`
   * expires the partition itself), and per job the keys of a page, the pages and the time budget.
   */
  readonly retention: {
    readonly queueUrl: string | undefined;
    readonly pageSize: number;
    readonly maxPages: number;
    readonly budgetMs: number;
    /**
     * The delay of a deletion's finish job (SQS `DelaySeconds`, 1–900): after it the job finishes a
     * `deleteChat` interrupted after its mark (lambdas/domain/chat-deletion.ts). Far beyond a
     * request's timeout, and short, since until then the leftover memberships count toward caps.
     * The deletion's retention job waits it too: past every write in flight at the mark.
     */
    readonly finishDelaySeconds: number;
  };
}

/**
 * Posts in flight per fan-out in the request. A post takes tens of milliseconds on AWS, so a group's
 * 99 posts are ⌈99 / this⌉ waves one after another: 64 makes them 2 (16 made them 7). Measured with
 * the post's round trip modelled (`npm run bench -- --only waves`, docs/performance.md).
 */
/**
 * Every function's timeout unless it sets its own (lib/chat-function.ts): the routes' among them.
 * sendMessage counts on it to know a send stored this long ago has ended (lambdas/domain/announce.ts).
 */
export const ROUTE_TIMEOUT_SECONDS = 10;
export const DEFAULT_FANOUT_CONCURRENCY = 64;
/** Where a deployment sets it (ChatApiProps.fanOutConcurrency, context `fanOutConcurrency`). */
export const FANOUT_CONCURRENCY_ENV = 'FANOUT_CONCURRENCY';

/**
 * Days a push device stays live after its app last registered it: registerDevice reads it, and the
 * push function and worker (the window they give a device stored before devices had a TTL).
 */
export const DEVICE_STALE_DAYS_ENV = 'PUSH_DEVICE_STALE_DAYS';

/** Seconds before a deletion's finish job runs (`RuntimeConfig.retention.finishDelaySeconds`). */
export const RETENTION_FINISH_DELAY_ENV = 'RETENTION_FINISH_DELAY_SECONDS';

/** The presence announcement budget's window (`RuntimeConfig.presenceWindowSeconds`). */
export const PRESENCE_WINDOW_ENV = 'PRESENCE_WINDOW_SECONDS';

let cached: RuntimeConfig | undefined;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  return {
    tableName: env[TABLE_NAME_ENV] ?? 'chat',
    managementEndpoint: env[MANAGEMENT_ENDPOINT_ENV] || undefined,
    dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    fanOutConcurrency: positiveInt(env[FANOUT_CONCURRENCY_ENV], DEFAULT_FANOUT_CONCURRENCY),
    presenceConcurrency: positiveInt(env.PRESENCE_CONCURRENCY, 16),
    presenceWindowSeconds: Math.min(60, positiveInt(env[PRESENCE_WINDOW_ENV], 60)),
    fanOutQueueUrl: env[FANOUT_QUEUE_URL_ENV] || undefined,
    fanOutQueueThreshold: positiveInt(env.FANOUT_QUEUE_THRESHOLD, 200),
    fanOutJobSize: positiveInt(env.FANOUT_JOB_SIZE, 200),
    pushQueueUrl: env[PUSH_QUEUE_URL_ENV] || undefined,
    // At most 1,000 a job: a job's body (about 40 bytes a recipient) stays far below SQS's 256 KB.
    pushJobSize: Math.min(1000, positiveInt(env.PUSH_JOB_SIZE, 200)),
    deviceStaleAfterSeconds: env[DEVICE_STALE_DAYS_ENV]
      ? positiveInt(env[DEVICE_STALE_DAYS_ENV], 60) * 86_400
      : undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    mediaBucket: env[MEDIA_BUCKET_ENV] || undefined,
    mediaBucketDomain: env[MEDIA_BUCKET_DOMAIN_ENV] || undefined,
    s3Endpoint: env[S3_ENDPOINT_ENV] || undefined,
    scheduledQueueUrl: env[SCHEDULED_QUEUE_URL_ENV] || undefined,
    scheduledHorizonMs: positiveInt(env[SCHEDULED_HORIZON_ENV], DEFAULT_HORIZON_SECONDS) * 1000,
    writeTiming: {
      ...optionalMs('writeDeadlineMs', env.WRITE_DEADLINE_MS),
      ...optionalMs('allocTimeoutMs', env.ALLOC_TIMEOUT_MS),
      ...optionalMs('claimDeadlineMs', env.CLAIM_DEADLINE_MS),
      ...optionalMs('skewMarginMs', env.CLOCK_SKEW_MS),
    },
    retention: {
      queueUrl: env[RETENTION_QUEUE_URL_ENV] || undefined,
      pageSize: positiveInt(env.RETENTION_PAGE_SIZE, 500),
      maxPages: positiveInt(env.RETENTION_MAX_PAGES, 100),
      budgetMs: positiveInt(env.RETENTION_BUDGET_MS, 42_000),
      finishDelaySeconds: Math.min(900, positiveInt(env[RETENTION_FINISH_DELAY_ENV], 60)),
    },
  };
}

function optionalMs(name: string, value: string | undefined): Record<string, number> {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? { [name]: n } : {};
}

/**
 * The variables each field of the configuration comes from (as `loadConfig` reads them): while the
 * test run records which variables each function uses (lambdas/shared/env-use.ts), reading a field
 * of `config()` records its variables for the current invocation.
 */
export const CONFIG_SOURCES = {
  tableName: [TABLE_NAME_ENV],
  managementEndpoint: [MANAGEMENT_ENDPOINT_ENV],
  dynamoEndpoint: ['DYNAMODB_ENDPOINT'],
  fanOutConcurrency: [FANOUT_CONCURRENCY_ENV],
  presenceConcurrency: ['PRESENCE_CONCURRENCY'],
  presenceWindowSeconds: [PRESENCE_WINDOW_ENV],
  fanOutQueueUrl: [FANOUT_QUEUE_URL_ENV],
  fanOutQueueThreshold: ['FANOUT_QUEUE_THRESHOLD'],
  fanOutJobSize: ['FANOUT_JOB_SIZE'],
  pushQueueUrl: [PUSH_QUEUE_URL_ENV],
  pushJobSize: ['PUSH_JOB_SIZE'],
  deviceStaleAfterSeconds: [DEVICE_STALE_DAYS_ENV],
  region: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
  mediaBucket: [MEDIA_BUCKET_ENV],
  mediaBucketDomain: [MEDIA_BUCKET_DOMAIN_ENV],
  s3Endpoint: [S3_ENDPOINT_ENV],
  scheduledQueueUrl: [SCHEDULED_QUEUE_URL_ENV],
  scheduledHorizonMs: [SCHEDULED_HORIZON_ENV],
  // Used whole (lambdas/domain/timing.ts).
  writeTiming: ['WRITE_DEADLINE_MS', 'ALLOC_TIMEOUT_MS', 'CLAIM_DEADLINE_MS', 'CLOCK_SKEW_MS'],
  retention: {
    queueUrl: [RETENTION_QUEUE_URL_ENV],
    pageSize: ['RETENTION_PAGE_SIZE'],
    maxPages: ['RETENTION_MAX_PAGES'],
    budgetMs: ['RETENTION_BUDGET_MS'],
    finishDelaySeconds: [RETENTION_FINISH_DELAY_ENV],
  },
} satisfies EnvSources<RuntimeConfig>;

/**
 * The container's configuration (read on first use). Read it where a value is used, not once into
 * a cache of one's own: the test run records each function's uses through it.
 */
export function config(): RuntimeConfig {
  cached ??= loadConfig();
  return recordingEnvUses() ? usedThrough(cached, CONFIG_SOURCES) : cached;
}

/** Tests and the local stack may reset the cached configuration after changing the environment. */
export function resetConfig(): void {
  cached = undefined;
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

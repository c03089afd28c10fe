/**
 * The stack under test. By default: DynamoDB Local (started here, or `DYNAMODB_ENDPOINT`), a fresh
 * table and the local gateway running the real handlers from the route table in this process, with
 * every handler wrapped for metering (see meter.ts). With `BENCH_URL`, a running gateway is used
 * instead and nothing is metered (handlers run elsewhere).
 */

import { randomBytes } from 'node:crypto';
import { DEV_JWT_SECRET } from '../lambdas/auth/verifier.ts';
import { setStore } from '../lambdas/data/store.ts';
import { setDeps } from '../lambdas/domain/deps.ts';
import { setClients } from '../lambdas/shared/clients.ts';
import { RETENTION_FINISH_DELAY_ENV, resetConfig } from '../lambdas/shared/config.ts';
import { RATE_LIMIT_FACTOR_ENV } from '../lambdas/shared/rate-limits.ts';
import { useLocalAwsEnvironment } from '../local/dynamodb.ts';
import type { LocalGateway } from '../local/gateway.ts';
import type { LocalPipeline } from '../local/pipeline.ts';
import { startLocalStack } from '../local/stack.ts';
import { Meter } from './meter.ts';

export interface BenchStack {
  /** ws URL clients connect to (without the token). */
  readonly url: string;
  /** DynamoDB endpoint (undefined with BENCH_URL). */
  readonly dynamoEndpoint: string | undefined;
  readonly tableName: string | undefined;
  /** The local S3 stand-in and its media bucket (undefined with BENCH_URL). */
  readonly s3Endpoint: string | undefined;
  readonly mediaBucket: string | undefined;
  /** Present when the handlers run in this process. */
  readonly meter: Meter | undefined;
  readonly gateway: LocalGateway | undefined;
  /** The local event pipeline (stream poller, push stand-ins) when the handlers run here. */
  readonly pipeline: LocalPipeline | undefined;
  /** Resolves when no handler invocation and no queued fan-out job is left (in-process stack only). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchStack(
  options: { url?: string; dynamoEndpoint?: string; tableName?: string } = {},
): Promise<BenchStack> {
  useLocalAwsEnvironment();
  process.env.JWT_SECRET ??= DEV_JWT_SECRET;
  // The per-user limits stay on (their window write is part of every figure) but far above what the
  // load generator's few users send: the bench measures the design, not the limits' refusals.
  process.env[RATE_LIMIT_FACTOR_ENV] ??= '1000';
  if (options.url) {
    return {
      url: options.url.replace(/\/?(\?.*)?$/, ''),
      dynamoEndpoint: options.dynamoEndpoint,
      // The running stack's table (the floor writes to it): a fresh one would answer slower.
      tableName: options.dynamoEndpoint ? options.tableName : undefined,
      s3Endpoint: undefined,
      mediaBucket: undefined,
      meter: undefined,
      gateway: undefined,
      pipeline: undefined,
      idle: async () => {},
      stop: async () => {},
    };
  }
  const meter = new Meter();
  const stack = await startLocalStack({
    port: 0,
    tableName: `bench-${randomBytes(4).toString('hex')}`,
    ...(options.dynamoEndpoint ? { dynamoEndpoint: options.dynamoEndpoint } : {}),
    wrapLoader: (routeKey, load) => meter.wrapLoader(routeKey, load),
    // A deletion's finish job (and its retention job, which waits the same delay) after 1 s, not
    // 60: `idle` waits for them, so their units are booked to the deleteChat that queued them, not
    // to whatever runs a minute later.
    env: { [RETENTION_FINISH_DELAY_ENV]: '1' },
  });
  // Every handler of this process talks to AWS through the metering clients.
  resetConfig();
  setClients({
    documentClient: meter.documentClient(stack.dynamoEndpoint),
    managementClient: meter.managementClient(stack.managementEndpoint),
  });
  setStore(undefined);
  setDeps(undefined);
  return {
    url: stack.url,
    dynamoEndpoint: stack.dynamoEndpoint,
    tableName: stack.tableName,
    s3Endpoint: stack.s3Endpoint,
    mediaBucket: stack.mediaBucket,
    meter,
    gateway: stack.gateway,
    pipeline: stack.pipeline,
    idle: () => stack.idle({ timers: true }),
    stop: () => stack.stop(),
  };
}

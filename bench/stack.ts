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
import { resetConfig } from '../lambdas/shared/config.ts';
import { AUTHORIZER, ROUTES } from '../lib/routes.ts';
import { MANAGEMENT_ENDPOINT_ENV, TABLE_NAME_ENV } from '../lib/table.ts';
import { type DynamoLocal, startDynamoLocal, useLocalAwsEnvironment } from '../local/dynamodb.ts';
import { LocalGateway } from '../local/gateway.ts';
import { loader } from '../local/stack.ts';
import { ensureTable } from '../local/table.ts';
import { Meter } from './meter.ts';

export interface BenchStack {
  /** ws URL clients connect to (without the token). */
  readonly url: string;
  /** DynamoDB endpoint (undefined with BENCH_URL). */
  readonly dynamoEndpoint: string | undefined;
  readonly tableName: string | undefined;
  /** Present when the handlers run in this process. */
  readonly meter: Meter | undefined;
  readonly gateway: LocalGateway | undefined;
  stop(): Promise<void>;
}

export async function startBenchStack(
  options: { url?: string; dynamoEndpoint?: string } = {},
): Promise<BenchStack> {
  useLocalAwsEnvironment();
  process.env.JWT_SECRET ??= DEV_JWT_SECRET;
  if (options.url) {
    return {
      url: options.url.replace(/\/?(\?.*)?$/, ''),
      dynamoEndpoint: options.dynamoEndpoint,
      tableName: undefined,
      meter: undefined,
      gateway: undefined,
      stop: async () => {},
    };
  }
  const dynamo: DynamoLocal | undefined = options.dynamoEndpoint ? undefined : await startDynamoLocal();
  const dynamoEndpoint = options.dynamoEndpoint ?? (dynamo as DynamoLocal).endpoint;
  const tableName = `bench-${randomBytes(4).toString('hex')}`;
  const meter = new Meter();
  try {
    await ensureTable(dynamoEndpoint, tableName);
    const gateway = new LocalGateway({
      routes: ROUTES.map((r) => ({
        routeKey: r.routeKey,
        returnResponse: r.returnResponse,
        load: meter.wrapLoader(r.routeKey, loader(r.entry)),
      })),
      authorizer: {
        load: meter.wrapLoader('$authorizer', loader(AUTHORIZER.entry)),
        queryParameter: AUTHORIZER.queryParameter,
      },
      port: 0,
    });
    await gateway.start();
    Object.assign(process.env, {
      [TABLE_NAME_ENV]: tableName,
      [MANAGEMENT_ENDPOINT_ENV]: gateway.managementEndpoint,
      DYNAMODB_ENDPOINT: dynamoEndpoint,
    });
    resetConfig();
    setClients({
      documentClient: meter.documentClient(dynamoEndpoint),
      managementClient: meter.managementClient(gateway.managementEndpoint),
    });
    setStore(undefined);
    setDeps(undefined);
    return {
      url: gateway.url,
      dynamoEndpoint,
      tableName,
      meter,
      gateway,
      async stop() {
        await gateway.stop();
        await dynamo?.stop();
      },
    };
  } catch (error) {
    await dynamo?.stop();
    throw error;
  }
}

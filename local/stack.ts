/**
 * The whole product on one machine: DynamoDB Local + the table + the local gateway running the real
 * handlers from the route table. Used by `npm run dev`, the end-to-end tests and the benchmarks.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEV_JWT_SECRET } from '../lambdas/auth/verifier.ts';
import { AUTHORIZER, ROUTES } from '../lib/routes.ts';
import { MANAGEMENT_ENDPOINT_ENV, TABLE_NAME_ENV } from '../lib/table.ts';
import { type DynamoLocal, startDynamoLocal, useLocalAwsEnvironment } from './dynamodb.ts';
import { type GatewayLimits, type GatewayOptions, type LambdaHandler, LocalGateway } from './gateway.ts';
import { LocalScheduler } from './scheduler.ts';
import { ensureTable } from './table.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalStackOptions {
  /** Gateway port. @default 3001; 0 picks a free one */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Use a running DynamoDB (Local) instead of starting one. */
  readonly dynamoEndpoint?: string;
  /** Keep DynamoDB Local's data in this folder. @default in memory */
  readonly dbPath?: string;
  /** @default 'chat' */
  readonly tableName?: string;
  readonly limits?: Partial<GatewayLimits>;
  readonly onInvoke?: GatewayOptions['onInvoke'];
  /** Wraps each handler loader (route key, or `$authorizer`), e.g. to meter invocations. */
  readonly wrapLoader?: (
    routeKey: string,
    load: () => Promise<LambdaHandler>,
  ) => () => Promise<LambdaHandler>;
  /** Extra environment for the handlers (e.g. JWT_ISSUER). */
  readonly env?: Record<string, string>;
  /** How often the scheduled-message sweep runs. @default 60_000 */
  readonly sweepIntervalMs?: number;
}

export interface LocalStack {
  readonly url: string;
  readonly managementEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly gateway: LocalGateway;
  /** Scheduled messages: the due queue and the sweep (local/scheduler.ts). */
  readonly scheduler: LocalScheduler;
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
  useLocalAwsEnvironment();
  const dynamo: DynamoLocal | undefined = options.dynamoEndpoint
    ? undefined
    : await startDynamoLocal(options.dbPath ? { dbPath: options.dbPath } : {});
  const dynamoEndpoint = options.dynamoEndpoint ?? (dynamo as DynamoLocal).endpoint;
  const tableName = options.tableName ?? 'chat';
  let scheduler: LocalScheduler | undefined;
  try {
    await ensureTable(dynamoEndpoint, tableName);
    const wrap = options.wrapLoader ?? ((_routeKey: string, load: () => Promise<LambdaHandler>) => load);
    scheduler = new LocalScheduler({
      load: (name, entry) => wrap(name, loader(entry)),
      ...(options.sweepIntervalMs ? { sweepIntervalMs: options.sweepIntervalMs } : {}),
      ...(options.onInvoke
        ? { onError: (name, error) => options.onInvoke?.({ routeKey: name, connectionId: '', ms: 0, error }) }
        : {}),
    });
    await scheduler.start();
    const gateway = new LocalGateway({
      routes: ROUTES.map((r) => ({
        routeKey: r.routeKey,
        returnResponse: r.returnResponse,
        load: wrap(r.routeKey, loader(r.entry)),
      })),
      authorizer: {
        load: wrap('$authorizer', loader(AUTHORIZER.entry)),
        queryParameter: AUTHORIZER.queryParameter,
      },
      port: options.port ?? 3001,
      host: options.host ?? '127.0.0.1',
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.onInvoke ? { onInvoke: options.onInvoke } : {}),
    });
    await gateway.start();
    // The handlers run in this process and read their configuration on first use.
    Object.assign(process.env, {
      [TABLE_NAME_ENV]: tableName,
      [MANAGEMENT_ENDPOINT_ENV]: gateway.managementEndpoint,
      DYNAMODB_ENDPOINT: dynamoEndpoint,
      ...(process.env.JWT_JWKS_URL ? {} : { JWT_SECRET: process.env.JWT_SECRET ?? DEV_JWT_SECRET }),
      ...scheduler.environment,
      ...options.env,
    });
    scheduler.begin();
    const started = scheduler;
    return {
      url: gateway.url,
      managementEndpoint: gateway.managementEndpoint,
      dynamoEndpoint,
      tableName,
      gateway,
      scheduler: started,
      async stop() {
        await started.stop();
        await gateway.stop();
        await dynamo?.stop();
      },
    };
  } catch (error) {
    await scheduler?.stop();
    await dynamo?.stop();
    throw error;
  }
}

/** The WebSocket API's settings (lib/chat-api.ts builds them into the stack): props, defaults and their checks. */
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ChatAuth } from './auth.ts';
import type { LogLevel } from './chat-function.ts';
import type { ChatMedia } from './chat-media.ts';
import type { ChatTable } from './chat-table.ts';
import { reservedConcurrencyFor } from './concurrency.ts';
import type { PreSendHookSettings } from './pre-send-hook.ts';
import type { RouteDefinition, RouteThrottle } from './routes.ts';

/** The stage's default route throttling. Per-route `throttle` in the route table overrides it. */
export const DEFAULT_THROTTLE: RouteThrottle = { rateLimit: 1000, burstLimit: 500 };

/** JSON access log line: one per connect, message and disconnect. */
export const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    connectionId: '$context.connectionId',
    eventType: '$context.eventType',
    routeKey: '$context.routeKey',
    status: '$context.status',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    principalId: '$context.authorizer.principalId',
    authorizerError: '$context.authorizer.error',
    error: '$context.error.message',
    integrationError: '$context.integration.error',
    integrationStatus: '$context.integration.status',
    integrationLatency: '$context.integration.latency',
  }),
);

export interface ChatApiProps {
  /** The table every route function reads and writes. */
  readonly table: ChatTable;
  /** Token verification for the `$connect` authorizer. */
  readonly auth: ChatAuth;
  /**
   * The media bucket, for routes with `mediaActions`.
   * @default - none (a route table with media actions then fails to synthesize)
   */
  readonly media?: ChatMedia;
  /**
   * The route table.
   * @default ROUTES from lib/routes.ts
   */
  readonly routes?: readonly RouteDefinition[];
  /**
   * Stage name (the last path segment of the URL).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Default route throttling of the stage.
   * @default DEFAULT_THROTTLE
   */
  readonly throttle?: RouteThrottle;
  /**
   * Retention of the function and access logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * A throwaway stack: log groups are deleted with it.
   * @default false
   */
  readonly destroyable?: boolean;
  /**
   * Threshold of the functions' structured logs.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Point the account's API Gateway settings (once per account and region) at a role that may write to
   * CloudWatch Logs; WebSocket access logging fails without it. Turn off where the account already has one.
   * @default true
   */
  readonly configureAccountLogging?: boolean;
  /**
   * Reserved concurrency per function, by function name (`Authorizer`, `SendMessage`, … as in
   * `lib/routes.ts`), or `*` for every function without its own entry. See ChatFunctionProps.
   * @default - no reserved concurrency
   */
  readonly reservedConcurrency?: Readonly<Record<string, number>>;
  /**
   * Names of the stack's functions outside the API (queue workers, scheduled messages, stream
   * consumers: lib/chat-stack.ts) that `reservedConcurrency` may name too; their constructs read the
   * same map.
   * @default - none
   */
  readonly otherFunctionNames?: readonly string[];
  /**
   * CloudWatch metrics per route (`$connect`, `sendMessage`, …), not only per stage. Billed as custom
   * metrics (about $0.30 per metric a month for each metric that receives data: about 5 per route).
   * @default true
   */
  readonly detailedMetrics?: boolean;
  /**
   * Posts a function keeps in flight when it pushes events (`FANOUT_CONCURRENCY` of every route
   * function that posts, and of the scheduled messages' dispatcher, which reads
   * `ChatApi.fanOutEnvironment`). Each post is a Management API call of tens of milliseconds, so a
   * fan-out of N sockets takes ⌈N / this⌉ waves; lower it when many large groups sending at once
   * meet the account's API Gateway throttle (the `FanOutRetries` metric). The same number bounds the
   * fan-out's connection lookups. 1–1,000. Only for fan-outs a function posts itself (up to 200
   * sockets): the fan-out worker keeps its own (`postConcurrency` in lib/workers.ts).
   * @default 64 (lambdas/shared/config.ts; the functions then get no variable)
   */
  readonly fanOutConcurrency?: number;
  /**
   * The pre-send hook, bundled into the `sendMessage` function (lib/pre-send-hook.ts).
   * @default - no hook
   */
  readonly preSendHook?: PreSendHookSettings;
}

/**
 * Checks `reservedConcurrency` against the functions there are (`*` or a function's name) and
 * returns each function's setting for ChatFunctionProps.
 */
export function reservedConcurrencyOf(
  concurrency: Readonly<Record<string, number>>,
  functionNames: readonly string[],
): (name: string) => { reservedConcurrency?: number } {
  for (const name of Object.keys(concurrency)) {
    if (name !== '*' && !functionNames.includes(name)) {
      throw new Error(
        `reservedConcurrency names no function "${name}"; use * or one of ${functionNames.join(', ')}`,
      );
    }
  }
  return (name) => reservedConcurrencyFor(name, concurrency);
}

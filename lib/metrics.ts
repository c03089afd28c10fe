/**
 * Metrics the alarms and the dashboard are built from, beyond what each construct offers:
 *
 * - the business metrics the functions emit as EMF (lambdas/shared/metrics.ts), one dimension `Stack`;
 * - `authorizerFaults`: the authorizer's Lambda errors minus the tokens it refused. A refused token must
 *   be answered 401, which a REQUEST authorizer can only do by throwing `Unauthorized`, and Lambda counts
 *   every throw as an error; so refusals are counted separately and subtracted;
 * - `estimatedCostUsd`: what the stack's traffic costs, from the few metrics that drive the bill;
 * - `tableSystemErrors` and `tableThrottles`: DynamoDB's own faults and throttling of the table.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { PRICES } from '../bench/pricing.ts';
import {
  BUSINESS_METRICS,
  type BusinessMetric,
  METRICS_DIMENSION,
  METRICS_NAMESPACE,
} from '../lambdas/shared/metrics.ts';
import type { ChatApi } from './chat-api.ts';
import type { ChatTable } from './chat-table.ts';
import { TABLE } from './table.ts';

export const PERIOD = Duration.minutes(5);

/** One business metric of this stack (Sum over `period`). */
export function businessMetric(scope: Construct, name: BusinessMetric, period = PERIOD): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [METRICS_DIMENSION]: Stack.of(scope).stackName },
    statistic: 'Sum',
    period,
    label: BUSINESS_METRICS[name],
  });
}

/** The authorizer's real faults: its errors that were not refused tokens (never below 0). */
export function authorizerFaults(scope: Construct, api: ChatApi): MathExpression {
  return new MathExpression({
    expression: 'IF(FILL(errors, 0) - FILL(refused, 0) > 0, FILL(errors, 0) - FILL(refused, 0), 0)',
    usingMetrics: {
      errors: api.authorizerFunction.function.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      refused: businessMetric(scope, 'TokensRefused'),
    },
    period: PERIOD,
    label: 'Authorizer faults (errors that were not refused tokens)',
  });
}

/**
 * The table operations the functions call (lambdas/data: Get, Put, Update, Delete, Query, BatchGet,
 * BatchWrite and TransactWrite commands; a transaction's ConditionCheck is part of TransactWriteItems).
 * `SystemErrors` exists only per operation (dimensions TableName and Operation): the alarm sums these.
 */
export const TABLE_OPERATIONS = [
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactWriteItems',
] as const;

/** An alarm on a metric math expression may read at most 10 metrics. */
const MATH_METRICS_MAX = 10;

/** `FILL(id, 0)` of each metric, summed: a period in which one of them has no data still counts. */
function sumOf(metrics: Record<string, Metric>, period: Duration, label: string): MathExpression {
  const ids = Object.keys(metrics);
  if (ids.length > MATH_METRICS_MAX)
    throw new Error(`${label}: ${ids.length} metrics, at most 10 in an alarm`);
  return new MathExpression({
    expression: ids.map((id) => `FILL(${id}, 0)`).join(' + '),
    usingMetrics: metrics,
    period,
    label,
  });
}

/**
 * DynamoDB's 500s on the table (after which the SDK retries; a request still failing is answered
 * `INTERNAL`): `SystemErrors` of every operation the functions call, summed.
 */
export function tableSystemErrors(table: ChatTable, period = PERIOD): MathExpression {
  const metrics = Object.fromEntries(
    TABLE_OPERATIONS.map((operation) => [
      `se${operation}`,
      table.table.metric('SystemErrors', {
        period,
        statistic: 'Sum',
        dimensionsMap: { TableName: table.tableName, Operation: operation },
      }),
    ]),
  );
  return sumOf(metrics, period, 'DynamoDB system errors (500)');
}

/**
 * Requests DynamoDB throttled, on the table and on each global index (an on-demand table throttles
 * beyond a partition's 3,000 reads or 1,000 writes a second, or a sudden doubling of its peak): the
 * `ReadThrottleEvents` and `WriteThrottleEvents` of each, summed. (`ThrottledRequests` exists only
 * per operation; a local index's throttles are its table's.) The SDK retries them; the routes answer
 * a throttle still failing `RATE_LIMITED`, so no `INTERNAL` shows it.
 */
export function tableThrottles(table: ChatTable, period = PERIOD): MathExpression {
  const scopes: [string, Record<string, string>][] = [
    ['table', {}],
    ...TABLE.globalSecondaryIndexes.map(
      (index) =>
        [index.indexName, { GlobalSecondaryIndexName: index.indexName }] as [string, Record<string, string>],
    ),
  ];
  const metrics = Object.fromEntries(
    scopes.flatMap(([id, dimensions]) =>
      (['Read', 'Write'] as const).map((kind) => [
        `${kind.toLowerCase()}${id[0]?.toUpperCase()}${id.slice(1)}`,
        table.table.metric(`${kind}ThrottleEvents`, {
          period,
          statistic: 'Sum',
          dimensionsMap: { TableName: table.tableName, ...dimensions },
        }),
      ]),
    ),
  );
  return sumOf(metrics, period, 'DynamoDB throttle events (table and global indexes)');
}

/**
 * Average Lambda cost of one invocation assumed by the estimate: 100 ms at the functions' memory (the
 * measured handlers take 20–60 ms; cold starts and fan-outs to large groups take longer).
 */
const LAMBDA_INVOCATION_USD =
  PRICES.lambdaRequestsPerMillion / 1e6 + 0.1 * (PRICES.lambdaMemoryMb / 1024) * PRICES.lambdaGbSecond;

/**
 * Estimated spend (USD) of the stack's traffic per `period`: API Gateway messages, DynamoDB request units
 * (the table and each index) and Lambda invocations, at the list prices of bench/pricing.ts. Lambda
 * invocations are bounded from above by every message and three per connection (authorizer, `$connect`,
 * `$disconnect`). Logs, X-Ray and connection minutes are left out (under 10 % in docs/deploy.md's model).
 * An alarm on a metric math expression may use 10 metrics: 4 plus one per global index.
 */
export function estimatedCostUsd(api: ChatApi, table: ChatTable, period: Duration): MathExpression {
  const stage = (name: string) => api.stage.metric(name, { period, statistic: 'Sum' });
  // Only global indexes have their own write units; a local index's writes are the table's.
  const indexNames = TABLE.globalSecondaryIndexes.map((index) => index.indexName);
  const indexWrites = Object.fromEntries(
    indexNames.map((indexName, i) => [
      `gsiw${i}`,
      table.table.metricConsumedWriteCapacityUnits({
        period,
        statistic: 'Sum',
        dimensionsMap: { TableName: table.tableName, GlobalSecondaryIndexName: indexName },
      }),
    ]),
  );
  // Plain decimals: metric math has no exponent notation.
  const decimal = (x: number) => x.toFixed(12).replace(/0+$/, '');
  const perMillion = (x: number) => decimal(x / 1e6);
  const terms = [
    `FILL(messages, 0) * ${perMillion(PRICES.apiGatewayMessagesPerMillion)}`,
    `(FILL(messages, 0) + 3 * FILL(connects, 0)) * ${decimal(LAMBDA_INVOCATION_USD)}`,
    `FILL(wru, 0) * ${perMillion(PRICES.dynamoWritePerMillion)}`,
    `FILL(rru, 0) * ${perMillion(PRICES.dynamoReadPerMillion)}`,
    ...Object.keys(indexWrites).map((id) => `FILL(${id}, 0) * ${perMillion(PRICES.dynamoWritePerMillion)}`),
  ];
  return new MathExpression({
    expression: terms.join(' + '),
    usingMetrics: {
      messages: stage('MessageCount'),
      connects: stage('ConnectCount'),
      wru: table.table.metricConsumedWriteCapacityUnits({ period, statistic: 'Sum' }),
      rru: table.table.metricConsumedReadCapacityUnits({ period, statistic: 'Sum' }),
      ...indexWrites,
    },
    period,
    label: `Estimated cost (USD per ${period.toHumanString()})`,
  });
}

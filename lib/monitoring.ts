/**
 * Alarms and a dashboard for the chat API. Alarms fire on faults, never on callers' mistakes:
 *
 * - every route function: `Errors` (a handler answers bad input with an error frame; it throws only on a
 *   fault) and `Throttles`;
 * - frames answered `INTERNAL` (`InternalErrors`): an action route's unexpected error becomes an error
 *   frame and the invocation succeeds, so its `Errors` never count it (a bug, a dependency failing after
 *   its retries, a missing grant);
 * - the table: DynamoDB's own 500s (`SystemErrors` of the operations the functions call) and throttled
 *   requests (`Read`/`WriteThrottleEvents` of the table and its global indexes);
 * - the authorizer: its faults, i.e. errors that were not refused tokens (lib/metrics.ts explains why a
 *   refusal is an error to Lambda), its `Throttles`, and the token issuer's keys being unreachable
 *   (`KeySourceErrors`: a JWKS outage refuses everyone, so it pages on the first one);
 * - a chat nearing DynamoDB's 10 GB limit on its partition (`ChatStorageNearFull`: a send found it at
 *   8 GB or more); past the limit the chat refuses every write, so it pages before that;
 * - a deleted chat's retention neither queued nor finished in its request (`RetentionNotQueued`: the
 *   retention queue refused its job twice): part of its items keep no TTL until the job is sent;
 * - an account deletion whose job the retention queue refused (`AccountDeletionNotQueued`): the
 *   user's chats are not left until `deleteUser` is repeated;
 * - sockets the server meant to close and could not (DeleteConnection failed twice, the Management
 *   API's fault): told `TOKEN_EXPIRED` (`ExpiredSocketsLeftOpen`) or flooding after `RATE_LIMITED`
 *   (`FloodingSocketsLeftOpen`), or a deleted account's after `deleteAccount`'s ack
 *   (`DeletedSocketsLeftOpen`);
 * - the stage: server-side errors (ExecutionError + IntegrationError, the WebSocket API's "5xx") and the
 *   p99 IntegrationLatency;
 * - cost: the estimated spend of an hour's traffic (lib/metrics.ts) above a daily budget's share, and
 *   a day's media downloads (S3 request metrics: lib/chat-media.ts) whose egress reaches that budget.
 *
 * ClientError (4xx: refused tokens, throttled clients, unknown routes), refused tokens, deactivated
 * users' refused handshakes (`DeactivatedRefused`), rate-limited frames and flooding sockets
 * closed (`FloodingSocketsClosed`) are charted, not alarmed. Each standard alarm costs $0.10 a month
 * (a metric math alarm $0.10 per metric it reads); see docs/deploy.md.
 */
import { Duration } from 'aws-cdk-lib';
import { type Alarm, type Dashboard, MathExpression, type Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PRICES } from '../bench/pricing.ts';
import { ChatAlarms } from './alarms.ts';
import type { ChatApi } from './chat-api.ts';
import type { ChatFunction } from './chat-function.ts';
import type { ChatMedia } from './chat-media.ts';
import type { ChatTable } from './chat-table.ts';
import { type AlarmGroup, buildDashboard } from './dashboard.ts';
import {
  authorizerFaults,
  businessMetric,
  estimatedCostUsd,
  PERIOD,
  tableSystemErrors,
  tableThrottles,
} from './metrics.ts';

export interface ChatMonitoringProps {
  readonly api: ChatApi;
  readonly table: ChatTable;
  /**
   * Where alarms (and their recovery) are sent.
   * @default - no action; alarms show in the console and on the dashboard
   */
  readonly alarmTopic?: ITopic;
  /**
   * p99 integration latency that raises the latency alarm (3 periods of 5 minutes in a row).
   * @default Duration.seconds(2)
   */
  readonly latencyThreshold?: Duration;
  /**
   * The cost alarm fires when an hour's estimated spend exceeds 1/24 of this (US dollars per day), i.e.
   * when the stack runs at a rate above this daily budget, and the media downloads alarm when a day's
   * downloads cost this much in egress (`media`). 0 turns both off.
   * @default 10
   */
  readonly dailyCostThresholdUsd?: number;
  /**
   * The media bucket: its downloads are alarmed against the same daily budget (at
   * `PRICES.s3EgressGb` a GB out), since a presigned GET URL serves anyone for its hour.
   * @default - no downloads alarm
   */
  readonly media?: ChatMedia;
  /**
   * The stack's other alarms (queue workers, scheduled messages, stream consumers: their constructs
   * make them), shown on the dashboard after these.
   * @default - none
   */
  readonly otherAlarms?: readonly AlarmGroup[];
  /**
   * The stack's functions outside the API, charted on the dashboard with the API's.
   * @default - none
   */
  readonly otherFunctions?: readonly ChatFunction[];
  /**
   * The push stream consumer is deployed: the dashboard charts the push business metrics.
   * @default false
   */
  readonly push?: boolean;
}

/** The cost alarm's period: an hour's spend against a day's budget. */
export const COST_PERIOD = Duration.hours(1);
/** The downloads alarm's period: a day's media egress against the day's budget. */
export const DOWNLOAD_PERIOD = Duration.days(1);

export class ChatMonitoring extends Construct {
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ChatMonitoringProps) {
    super(scope, id);
    const { api, table } = props;
    const stage = api.stage;
    // Every alarm states its datapoints to alarm (all of its evaluation periods).
    const alarms = new ChatAlarms(this, { topic: props.alarmTopic, defaults: { datapointsToAlarm: 1 } });
    const authorizer = api.authorizerFunction;
    alarms.add(`${authorizer.node.id}Faults`, {
      metric: authorizerFaults(this, api),
      description: `${authorizer.node.id}: the function failed (refused tokens are not counted)`,
    });
    alarms.add('KeySourceErrors', {
      metric: businessMetric(this, 'KeySourceErrors'),
      description:
        "Authorizer: the token issuer's keys (JWKS, or the HS256 secret read again after a rotation) could not be fetched; connects fail until they can",
    });
    alarms.add('InternalErrors', {
      metric: businessMetric(this, 'InternalErrors'),
      description:
        'Routes: a frame was answered INTERNAL (an unexpected error: a bug, a dependency failing after its retries, a missing grant); the `request failed` ERROR line names the route and the cause',
    });
    alarms.add('TableSystemErrors', {
      metric: tableSystemErrors(table),
      description: 'DynamoDB: the table answered internal server errors (500)',
    });
    alarms.add('TableThrottles', {
      metric: tableThrottles(table),
      description:
        'DynamoDB: requests to the table or a global index were throttled (a hot partition, or traffic more than doubling its peak)',
    });
    alarms.add('ChatStorageNearFull', {
      metric: businessMetric(this, 'ChatStorageNearFull'),
      description:
        'Storage: a chat reached 8 GB of the 10 GB its partition can hold; once full it refuses every write (FORBIDDEN). The `chat storage near its limit` WARN line names it; docs/operations.md says what to do',
    });
    alarms.add('RetentionNotQueued', {
      metric: businessMetric(this, 'RetentionNotQueued'),
      description:
        "Retention: a deleted chat's retention job was refused by the retention queue twice and the request could not expire its partition in time; part of its items keep no TTL. The ERROR line names the chat and the job to send; docs/operations.md says what to do",
    });
    alarms.add('AccountDeletionNotQueued', {
      metric: businessMetric(this, 'AccountDeletionNotQueued'),
      description:
        "Retention: an account deletion's job was refused by the retention queue; the account is deleted (tombstone) but its chats are not left nor its messages erased until deleteUser is repeated. The ERROR line names the user and eraseMessages; docs/operations.md says what to do",
    });
    alarms.add('ExpiredSocketsLeftOpen', {
      metric: businessMetric(this, 'ExpiredSocketsLeftOpen'),
      description:
        'Routes: a socket told TOKEN_EXPIRED could not be closed (DeleteConnection failed twice); it stays open until its next frame',
    });
    alarms.add('FloodingSocketsLeftOpen', {
      metric: businessMetric(this, 'FloodingSocketsLeftOpen'),
      description:
        'Routes: a socket flooding after RATE_LIMITED could not be closed (DeleteConnection failed twice); each of its frames still invokes a function',
    });
    alarms.add('DeletedSocketsLeftOpen', {
      metric: businessMetric(this, 'DeletedSocketsLeftOpen'),
      description:
        "Routes: a deleted account's socket could not be closed after deleteAccount's ack (DeleteConnection failed twice); it stays open until API Gateway's 2-hour limit",
    });
    for (const fn of api.allFunctions) {
      const name = fn.node.id;
      // The authorizer's errors include the tokens it refuses: its faults are alarmed above.
      const errors = fn === authorizer ? undefined : `${name}Errors`;
      alarms.addFunctionAlarms(fn, { errors, throttles: `${name}Throttles` });
    }

    const stageMetric = (metricName: string, statistic = 'Sum'): Metric =>
      stage.metric(metricName, { period: PERIOD, statistic });
    const serverErrors = new MathExpression({
      expression: 'FILL(executionErrors, 0) + FILL(integrationErrors, 0)',
      usingMetrics: {
        executionErrors: stageMetric('ExecutionError'),
        integrationErrors: stageMetric('IntegrationError'),
      },
      period: PERIOD,
      label: 'Server errors (5xx)',
    });
    alarms.add('ApiServerErrors', {
      metric: serverErrors,
      description: 'WebSocket API: execution or integration errors (5xx)',
    });
    const latencyMs = (props.latencyThreshold ?? Duration.seconds(2)).toMilliseconds();
    alarms.add('ApiIntegrationLatency', {
      metric: stageMetric('IntegrationLatency', 'p99'),
      description: `WebSocket API: p99 integration latency at or above ${latencyMs} ms for 15 minutes`,
      threshold: latencyMs,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    const dailyUsd = props.dailyCostThresholdUsd ?? 10;
    if (dailyUsd < 0 || !Number.isFinite(dailyUsd))
      throw new Error('dailyCostThresholdUsd must be 0 or more');
    if (dailyUsd > 0) {
      alarms.add('EstimatedCost', {
        metric: estimatedCostUsd(api, table, COST_PERIOD),
        description:
          `Estimated spend of the last hour's traffic (API Gateway, Lambda, DynamoDB) is above $${dailyUsd} per day ` +
          '(an estimate at list prices; the bill is in AWS Budgets)',
        threshold: dailyUsd / 24,
      });
    }
    if (dailyUsd > 0 && props.media) {
      // The estimate above sees request traffic only. One getAttachmentUrl frame's URL can serve a
      // 200 MB video to anyone, any number of times, for an hour: free hosting at this stack's egress.
      const gib = dailyUsd / PRICES.s3EgressGb;
      alarms.add('MediaBytesDownloaded', {
        metric: props.media.metricBytesDownloaded(DOWNLOAD_PERIOD),
        description:
          `Media downloads of the last day (${Math.round(gib)} GB out: $${dailyUsd} at $${PRICES.s3EgressGb} a GB) ` +
          'reached the daily cost budget: presigned URLs may be passed around (docs/operations.md)',
        threshold: Math.round(gib * 1024 ** 3),
      });
    }
    this.alarms = alarms.all;
    this.dashboard = buildDashboard(this, 'Dashboard', {
      api,
      table,
      alarms: [{ title: 'Alarms: API', alarms: alarms.all }, ...(props.otherAlarms ?? [])],
      functions: [...api.allFunctions, ...(props.otherFunctions ?? [])],
      push: props.push ?? false,
    });
  }
}

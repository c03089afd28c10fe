/**
 * The CloudWatch dashboard of the chat API: traffic and business metrics first (the push ones when
 * push is deployed), then errors, latency, every function of the stack, DynamoDB, cost and every alarm
 * of the stack. Its name carries the stack name and the region (dashboard names are unique per
 * account, so two regions' stacks of one name must not collide).
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  type Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { ChatApi } from './chat-api.ts';
import type { ChatFunction } from './chat-function.ts';
import type { ChatTable } from './chat-table.ts';
import {
  authorizerFaults,
  businessMetric,
  estimatedCostUsd,
  PERIOD,
  tableSystemErrors,
  tableThrottles,
} from './metrics.ts';

/** Alarms shown together under one title. */
export interface AlarmGroup {
  readonly title: string;
  readonly alarms: readonly Alarm[];
}

export interface DashboardProps {
  readonly api: ChatApi;
  readonly table: ChatTable;
  /** Every alarm of the stack, in groups (an alarm status widget each, or more above 100 alarms). */
  readonly alarms: readonly AlarmGroup[];
  /** Every function of the stack (the API's first): charted for errors, invocations, duration, throttles. */
  readonly functions: readonly ChatFunction[];
  /**
   * The push stream consumer is deployed (docs/push.md): its business metrics (`PushesSent`,
   * `PushesFailed`, `PushesGivenUp`) get a widget. Without it nothing emits them.
   * @default false
   */
  readonly push?: boolean;
}

/** The most alarms one alarm status widget may show (CloudWatch's dashboard body limit). */
export const ALARMS_PER_WIDGET = 100;

/** Alarm status widgets of a group: at most ALARMS_PER_WIDGET alarms each, tall enough for them. */
function alarmWidgets(group: AlarmGroup): AlarmStatusWidget[] {
  const widgets: AlarmStatusWidget[] = [];
  const parts = Math.ceil(group.alarms.length / ALARMS_PER_WIDGET);
  for (let i = 0; i < parts; i++) {
    const alarms = group.alarms.slice(i * ALARMS_PER_WIDGET, (i + 1) * ALARMS_PER_WIDGET);
    const title = parts > 1 ? `${group.title} (${i + 1}/${parts})` : group.title;
    // About six alarms a row on a full-width widget.
    widgets.push(
      new AlarmStatusWidget({ title, alarms, width: 24, height: 2 + Math.ceil(alarms.length / 6) }),
    );
  }
  return widgets;
}

export function buildDashboard(scope: Construct, id: string, props: DashboardProps): Dashboard {
  const { api, table, functions } = props;
  const stage = api.stage;
  const stageMetric = (metricName: string, statistic = 'Sum', label?: string): Metric =>
    stage.metric(metricName, { period: PERIOD, statistic, ...(label ? { label } : {}) });
  const fnMetrics = (pick: (fn: ChatFunction) => IMetric): IMetric[] => functions.map(pick);
  const business = (...names: Parameters<typeof businessMetric>[1][]) =>
    names.map((name) => businessMetric(scope, name));
  const width = 12;

  const dashboard = new Dashboard(scope, id, {
    dashboardName: `${Stack.of(scope).stackName}-chat-${Aws.REGION}`,
    defaultInterval: Duration.hours(3),
  });
  dashboard.addWidgets(
    new TextWidget({
      markdown:
        `# Chat API\nStage \`${stage.stageName}\`. Function logs are JSON lines with \`connectionId\`, \`routeKey\`, ` +
        '`requestId`, `chatId` and `messageId`; business metrics are in the `ServerlessChat` namespace.',
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Connections and messages',
      width,
      left: [stageMetric('ConnectCount', 'Sum', 'Connects'), stageMetric('MessageCount', 'Sum', 'Messages')],
    }),
    new GraphWidget({
      title: 'Messages sent and delivered',
      width,
      left: business('MessagesSent', 'FanOutPosts'),
      right: business(
        'FanOutFailures',
        'FanOutRetries',
        'StaleConnectionsRemoved',
        'ChatStorageNearFull',
        'RetentionNotQueued',
        'AccountDeletionNotQueued',
      ),
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Refused and limited (callers)',
      width,
      left: [
        ...business('TokensRefused', 'DeactivatedRefused', 'RateLimitedFrames', 'FloodingSocketsClosed'),
        stageMetric('ClientError', 'Sum', 'Client errors (4xx)'),
      ],
    }),
    new GraphWidget({
      title: 'Faults',
      width,
      left: [
        stageMetric('ExecutionError', 'Sum', 'Execution errors'),
        stageMetric('IntegrationError', 'Sum', 'Integration errors'),
        authorizerFaults(scope, api),
        ...business(
          'InternalErrors',
          'KeySourceErrors',
          'ExpiredSocketsLeftOpen',
          'FloodingSocketsLeftOpen',
          'DeletedSocketsLeftOpen',
        ),
      ],
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Scheduled messages: lag and overdue sweep (ms, max)',
      width,
      left: business('ScheduledDispatchLag', 'ScheduledSweepOverdue').map((m) =>
        m.with({ statistic: 'Maximum' }),
      ),
    }),
    new GraphWidget({ title: 'Scheduled messages given up', width, left: business('ScheduledGivenUp') }),
  );
  if (props.push) {
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Push notifications: accepted (left), refused and given up (right)',
        width: 24,
        left: business('PushesSent'),
        right: business('PushesFailed', 'PushesGivenUp'),
      }),
    );
  }
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Integration latency (ms)',
      width,
      left: [
        stageMetric('IntegrationLatency', 'p50', 'p50'),
        stageMetric('IntegrationLatency', 'p99', 'p99'),
      ],
    }),
    new GraphWidget({
      title: 'Function errors',
      width,
      left: fnMetrics((fn) => fn.function.metricErrors({ period: PERIOD, label: fn.node.id })),
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Function invocations',
      width,
      stacked: true,
      left: fnMetrics((fn) => fn.function.metricInvocations({ period: PERIOD, label: fn.node.id })),
    }),
    new GraphWidget({
      title: 'Function duration p99 (ms)',
      width,
      left: fnMetrics((fn) =>
        fn.function.metricDuration({ period: PERIOD, statistic: 'p99', label: fn.node.id }),
      ),
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'DynamoDB: capacity consumed (left), throttles and 500s (right)',
      width,
      left: [
        table.table.metricConsumedReadCapacityUnits({ period: PERIOD, label: 'Read units' }),
        table.table.metricConsumedWriteCapacityUnits({ period: PERIOD, label: 'Write units' }),
      ],
      right: [tableThrottles(table), tableSystemErrors(table)],
    }),
    new GraphWidget({
      title: 'Function throttles',
      width,
      left: fnMetrics((fn) => fn.function.metricThrottles({ period: PERIOD, label: fn.node.id })),
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Estimated cost of the traffic (USD per hour)',
      width: 24,
      left: [estimatedCostUsd(api, table, Duration.hours(1))],
    }),
  );
  for (const group of props.alarms) {
    if (group.alarms.length > 0) dashboard.addWidgets(...alarmWidgets(group));
  }
  return dashboard;
}

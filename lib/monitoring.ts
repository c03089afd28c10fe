/**
 * Alarms and a dashboard for the chat API:
 *
 * - per function (the authorizer and every route): Errors and Throttles;
 * - per stage: server-side errors (ExecutionError + IntegrationError, the WebSocket API's "5xx") and the
 *   p99 IntegrationLatency.
 *
 * ClientError (4xx: refused tokens, throttled clients, unknown routes) is caused by callers and is charted,
 * not alarmed. Each standard alarm costs $0.10 a month; see docs/deploy.md.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  type Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ChatApi } from './chat-api.ts';
import type { ChatFunction } from './chat-function.ts';
import type { ChatTable } from './chat-table.ts';

const PERIOD = Duration.minutes(5);

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
}

export class ChatMonitoring extends Construct {
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ChatMonitoringProps) {
    super(scope, id);
    const { api, table } = props;
    const stage = api.stage;
    const functions = api.allFunctions;
    const alarms: Alarm[] = [];
    const alarm = (
      alarmId: string,
      metric: IMetric,
      description: string,
      threshold = 1,
      periods = 1,
    ): Alarm => {
      const a = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmTopic) {
        a.addAlarmAction(new SnsAction(props.alarmTopic));
        a.addOkAction(new SnsAction(props.alarmTopic));
      }
      alarms.push(a);
      return a;
    };

    for (const fn of functions) {
      const name = fn.node.id;
      alarm(
        `${name}Errors`,
        fn.function.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        `${name}: the function failed`,
      );
      alarm(
        `${name}Throttles`,
        fn.function.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        `${name}: invocations were throttled (concurrency limit)`,
      );
    }

    const stageMetric = (metricName: string, statistic = 'Sum', label?: string): Metric =>
      stage.metric(metricName, { period: PERIOD, statistic, ...(label ? { label } : {}) });
    const serverErrors = new MathExpression({
      expression: 'FILL(executionErrors, 0) + FILL(integrationErrors, 0)',
      usingMetrics: {
        executionErrors: stageMetric('ExecutionError'),
        integrationErrors: stageMetric('IntegrationError'),
      },
      period: PERIOD,
      label: 'Server errors (5xx)',
    });
    alarm('ApiServerErrors', serverErrors, 'WebSocket API: execution or integration errors (5xx)');
    const latencyMs = (props.latencyThreshold ?? Duration.seconds(2)).toMilliseconds();
    alarm(
      'ApiIntegrationLatency',
      stageMetric('IntegrationLatency', 'p99'),
      `WebSocket API: p99 integration latency at or above ${latencyMs} ms for 15 minutes`,
      latencyMs,
      3,
    );
    this.alarms = alarms;

    const fnMetrics = (pick: (fn: ChatFunction) => IMetric): IMetric[] => functions.map(pick);
    const width = 12;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-chat`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Chat API\nStage \`${stage.stageName}\`. Function logs are structured JSON with \`connectionId\` and \`requestId\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Connections and messages',
        width,
        left: [
          stageMetric('ConnectCount', 'Sum', 'Connects'),
          stageMetric('MessageCount', 'Sum', 'Messages'),
        ],
      }),
      new GraphWidget({
        title: 'API errors',
        width,
        left: [
          stageMetric('ClientError', 'Sum', 'Client errors (4xx)'),
          stageMetric('ExecutionError', 'Sum', 'Execution errors'),
          stageMetric('IntegrationError', 'Sum', 'Integration errors'),
        ],
      }),
    );
    this.dashboard.addWidgets(
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
    this.dashboard.addWidgets(
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
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'DynamoDB capacity consumed',
        width,
        left: [
          table.table.metricConsumedReadCapacityUnits({ period: PERIOD, label: 'Read units' }),
          table.table.metricConsumedWriteCapacityUnits({ period: PERIOD, label: 'Write units' }),
        ],
      }),
      new GraphWidget({
        title: 'Function throttles',
        width,
        left: fnMetrics((fn) => fn.function.metricThrottles({ period: PERIOD, label: fn.node.id })),
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 }));
  }
}

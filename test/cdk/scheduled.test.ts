/**
 * Scheduled messages as CloudFormation: the per-minute rule, the due queue with its dead-letter
 * queue, the dispatcher's event source mapping, least-privilege roles and the alarms.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics.ts';
import { ChatStack } from '../../lib/chat-stack.ts';
import { ACTION_ROUTES } from '../../lib/routes.ts';
import { SCHEDULED_FUNCTIONS } from '../../lib/scheduled-functions.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import {
  actionsOf,
  leadingKeysByAction,
  logicalId,
  NO_BUNDLING,
  resourcesOf,
  statementsOf,
  useSynth,
} from './support.ts';

const { s, resources } = useSynth({}, 120_000);

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
const ref = (construct: Parameters<typeof logicalId>[1]) => ({ Ref: logicalId(s.stack, construct) });
const arnOf = (construct: Parameters<typeof logicalId>[1]) => ({
  'Fn::GetAtt': [logicalId(s.stack, construct), 'Arn'],
});
type AlarmProps = Record<string, unknown>;
interface MetricStat {
  Metric: { Namespace: string; MetricName: string; Dimensions?: unknown };
  Stat: string;
  Period: number;
}
/** The alarm on one metric, whether CloudFormation has it as MetricName or as a `Metrics` entry. */
function emfAlarm(alarms: readonly AlarmProps[], name: string) {
  for (const a of alarms) {
    if (a.MetricName === name) {
      const metric = { Namespace: a.Namespace, MetricName: name, Dimensions: a.Dimensions };
      return { metric, stat: a.Statistic, period: a.Period, threshold: a.Threshold };
    }
    const stat = ((a.Metrics ?? []) as { MetricStat?: MetricStat }[]).find(
      (m) => m.MetricStat?.Metric.MetricName === name,
    )?.MetricStat;
    if (stat) return { metric: stat.Metric, stat: stat.Stat, period: stat.Period, threshold: a.Threshold };
  }
  return undefined;
}
const LOGGING = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const TRACING = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

describe('scheduled messages on AWS', { timeout: 60_000 }, () => {
  it('sweeps every minute: an EventBridge rule invokes the sweeper, with retries', () => {
    const { sweeper, rule } = s.stack.scheduled;
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: arnOf(sweeper.function),
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 },
        },
      ],
    });
    expect(rule.ruleArn).toBeDefined();
  });

  it('has an encrypted, TLS-only due queue with a dead-letter queue after 5 receives', () => {
    const { queue, deadLetters } = s.stack.scheduled;
    const props = resources[logicalId(s.stack, queue)]?.Properties;
    expect(props).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 120,
      RedrivePolicy: { deadLetterTargetArn: arnOf(deadLetters), maxReceiveCount: 5 },
    });
    expect(resources[logicalId(s.stack, deadLetters)]?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
    });
    const policies = ofType('AWS::SQS::QueuePolicy').map((p) => JSON.stringify(p.Properties));
    for (const q of [queue, deadLetters]) {
      expect(
        policies.some((p) => p.includes(logicalId(s.stack, q)) && p.includes('aws:SecureTransport')),
      ).toBe(true);
    }
  });

  it('feeds the dispatcher from the due queue in batches of 10 with partial batch failures', () => {
    const { queue, dispatcher } = s.stack.scheduled;
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(queue),
      FunctionName: ref(dispatcher.function),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // One mapping reads the due queue (the other queue is the fan-out worker's: test/cdk/workers.test.ts).
    const fromDueQueue = ofType('AWS::Lambda::EventSourceMapping').filter(
      (m) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify(arnOf(queue)),
    );
    expect(fromDueQueue).toHaveLength(1);
  });

  it('grants the sweeper a Query on the due index only, its items in two partitions, and the queue', () => {
    const { sweeper, queue } = s.stack.scheduled;
    const statements = statementsOf(s, sweeper);
    expect(statements.flatMap(actionsOf).sort()).toEqual(
      [
        ...LOGGING,
        ...TRACING,
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'sqs:SendMessage',
      ].sort(),
    );
    const query = statements.find((st) => actionsOf(st).includes('dynamodb:Query'));
    expect(actionsOf(query as NonNullable<typeof query>)).toEqual(['dynamodb:Query']);
    expect(JSON.stringify(resourcesOf(query as NonNullable<typeof query>))).toMatch(
      /\/index\/gsi2"\]\]\}\]$/,
    );
    const items = statements.find((st) => actionsOf(st).includes('dynamodb:UpdateItem')) as unknown as {
      Resource: unknown;
      Condition: unknown;
    };
    expect(items.Resource).toEqual(s.stack.resolve(s.stack.table.table.tableArn));
    expect(items.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SWEEP', 'USER#*'] },
    });
    // Its cursor read (SWEEP) and nothing else: a stuck message's postponing only updates (USER#).
    expect(leadingKeysByAction(statements, s.stack.resolve(s.stack.table.table.tableArn))).toEqual({
      'dynamodb:GetItem': ['SWEEP'],
      'dynamodb:UpdateItem': ['SWEEP', 'USER#*'],
    });
    const send = statements.find((st) => actionsOf(st).includes('sqs:SendMessage'));
    expect(resourcesOf(send as NonNullable<typeof send>)).toEqual([arnOf(queue)]);
  });

  it('grants the dispatcher sendMessage’s table and media actions, the connections, and its queue', () => {
    const { dispatcher, queue } = s.stack.scheduled;
    const route = ACTION_ROUTES.sendMessage;
    if (route === 'planned') throw new Error('sendMessage is deployed');
    expect(SCHEDULED_FUNCTIONS.dispatcher.tableActions).toEqual(
      expect.arrayContaining([...route.tableActions]),
    );
    expect(SCHEDULED_FUNCTIONS.dispatcher.mediaActions).toEqual(
      expect.arrayContaining([...(route.media ?? [])]),
    );
    const statements = statementsOf(s, dispatcher);
    const consume = [
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ];
    // `dynamodb:Query:<index>` and `dynamodb:DeleteItem:userPartitions` are IAM's Query and DeleteItem.
    const iamActions = SCHEDULED_FUNCTIONS.dispatcher.tableActions.map((a) =>
      a.split(':').slice(0, 2).join(':'),
    );
    expect([...new Set(statements.flatMap(actionsOf))].sort()).toEqual(
      [
        ...new Set([
          ...LOGGING,
          ...TRACING,
          ...iamActions,
          'execute-api:ManageConnections',
          'sqs:SendMessage',
          ...consume,
          ...SCHEDULED_FUNCTIONS.dispatcher.mediaActions,
        ]),
      ].sort(),
    );
    // SQS on two queues only: its own due queue, and the fan-out queue that a big group's send, and
    // the posts it has no time left for, go to (with the queue's URL in its environment).
    const fanOutQueue = arnOf(s.stack.fanOutWorker.queue);
    const onFanOut = (st: (typeof statements)[number]) =>
      JSON.stringify(resourcesOf(st)) === JSON.stringify([fanOutQueue]);
    for (const st of statements.filter((x) => actionsOf(x).some((a) => a.startsWith('sqs:')))) {
      if (onFanOut(st)) expect(actionsOf(st)).toEqual(['sqs:SendMessage']);
      else expect(resourcesOf(st)).toEqual([arnOf(queue)]);
    }
    expect(statements.filter(onFanOut)).toHaveLength(1);
    const env = resources[logicalId(s.stack, dispatcher.function)]?.Properties?.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(env.Variables[FANOUT_WORKER.queueUrlEnv]).toEqual(ref(s.stack.fanOutWorker.queue));
  });

  it('gives scheduleMessage (and no other route) the due queue URL and sqs:SendMessage on it', () => {
    const { queue } = s.stack.scheduled;
    for (const [routeKey, fn] of s.stack.chatApi.functions) {
      const props = resources[logicalId(s.stack, fn.function)]?.Properties;
      const env = (props?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {};
      const sqs = statementsOf(s, fn).filter(
        (st) =>
          actionsOf(st).some((a) => a.startsWith('sqs:')) &&
          resourcesOf(st).some((r) => JSON.stringify(r) === JSON.stringify(arnOf(queue))),
      );
      if (routeKey === 'scheduleMessage') {
        expect(env.SCHEDULED_QUEUE_URL).toEqual(ref(queue));
        expect(sqs.flatMap(actionsOf)).toEqual(['sqs:SendMessage']);
      } else {
        expect(env.SCHEDULED_QUEUE_URL, routeKey).toBeUndefined();
        expect(sqs, routeKey).toEqual([]);
      }
    }
  });

  it('alarms on errors, throttles, dead letters, lag, a stopped sweep and give-ups', () => {
    const { sweeper, dispatcher, deadLetters } = s.stack.scheduled;
    const alarms = ofType('AWS::CloudWatch::Alarm').map((a) => a.Properties);
    for (const fn of [sweeper, dispatcher]) {
      for (const metric of ['Errors', 'Throttles']) {
        const found = alarms.filter(
          (a) =>
            a.MetricName === metric && JSON.stringify(a.Dimensions).includes(logicalId(s.stack, fn.function)),
        );
        expect(found, `${fn.node.id} ${metric}`).toHaveLength(1);
      }
    }
    expect(
      alarms.find(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions).includes(logicalId(s.stack, deadLetters)),
      ),
    ).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(
      alarms.find(
        (a) =>
          a.MetricName === 'Invocations' &&
          JSON.stringify(a.Dimensions).includes(logicalId(s.stack, sweeper.function)),
      ),
    ).toMatchObject({ Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
    // The functions' EMF metrics (not log metric filters: LOG_LEVEL would drop their lines), with
    // the business metrics' Stack dimension.
    const stackDimension = [{ Name: 'Stack', Value: 'ChatTest' }];
    for (const name of ['ScheduledDispatchLag', 'ScheduledSweepOverdue']) {
      expect(emfAlarm(alarms, name)).toMatchObject({
        metric: { Namespace: METRICS_NAMESPACE, MetricName: name, Dimensions: stackDimension },
        stat: 'Maximum',
        period: 60,
        threshold: 60_000,
      });
    }
    expect(emfAlarm(alarms, 'ScheduledGivenUp')).toMatchObject({
      metric: { Namespace: METRICS_NAMESPACE, Dimensions: stackDimension },
      stat: 'Sum',
      period: 300,
      threshold: 1,
    });
    expect(ofType('AWS::Logs::MetricFilter')).toEqual([]);
    expect(s.stack.scheduled.alarms).toHaveLength(9);
  });
});

describe('scheduled messages’ alarms, one stack per developer', { timeout: 120_000 }, () => {
  it('read their own stack’s metrics: two stacks in one region name different Stack dimensions', () => {
    const app = new App({ context: NO_BUNDLING });
    const metricsOf = (stack: ChatStack) => {
      const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map(
        (a) => a.Properties as AlarmProps,
      );
      return ['ScheduledDispatchLag', 'ScheduledSweepOverdue', 'ScheduledGivenUp'].map((name) => ({
        name,
        dimensions: emfAlarm(alarms, name)?.metric.Dimensions,
      }));
    };
    const stacks = [new ChatStack(app, 'ChatAlice'), new ChatStack(app, 'ChatBob')] as const;
    const [alice, bob] = stacks.map(metricsOf);
    if (!alice || !bob) throw new Error('two stacks');
    for (const [metrics, stack] of [
      [alice, 'ChatAlice'],
      [bob, 'ChatBob'],
    ] as const) {
      for (const m of metrics)
        expect(m.dimensions, `${stack} ${m.name}`).toEqual([{ Name: 'Stack', Value: stack }]);
    }
    expect(JSON.stringify(alice)).not.toBe(JSON.stringify(bob));
  });
});

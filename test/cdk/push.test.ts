/**
 * The event pipeline as CloudFormation: the table's stream, and — only when a provider secret is
 * configured — the push function, its event source mapping (filter criteria, partial batch
 * responses, bisection, retries, on-failure queue), least-privilege role, alarms and cdk-nag. Its
 * settings (reserved concurrency, context): test/cdk/push-settings.test.ts.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { MESSAGE_CREATED } from '../../lambdas/pipeline/patterns.ts';
import { STREAM_CONSUMERS } from '../../lib/stream-consumers.ts';
import { PUSH_WORKER, tableActionsOf } from '../../lib/workers.ts';
import {
  actionsOf,
  leadingKeysByAction,
  logicalId,
  privilegeViolations,
  type Resources,
  resourcesOf,
  type Synthesized,
  statementsOf,
  synth,
  useSynth,
} from './support.ts';

const APNS = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/apns-AbCdEf';
const FCM = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/fcm-GhIjKl';
const PUSH_DEF = STREAM_CONSUMERS.find((c) => c.name === 'Push');

const ofType = (s: Synthesized, type: string) =>
  Object.entries(s.template.toJSON().Resources as Resources).filter(([, r]) => r.Type === type);

const { s: plain } = useSynth();
const { s } = useSynth({ push: { apnsSecretArn: APNS, fcmSecretArn: FCM } });

const pushFunction = (x: Synthesized) => {
  const fn = x.stack.streams.functions.get('Push');
  if (!fn) throw new Error('no push function');
  return fn;
};

describe('without push configured', { timeout: 60_000 }, () => {
  it('deploys the table with its stream and no consumer, queue or push alarm', () => {
    plain.template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    expect(plain.stack.streams.functions.size).toBe(0);
    expect(plain.stack.streams.failureQueues.size).toBe(0);
    // The other event source mappings read queues (fan-out, scheduled messages), none the stream.
    expect(JSON.stringify(ofType(plain, 'AWS::Lambda::EventSourceMapping'))).not.toContain('StreamArn');
    expect(ofType(plain, 'AWS::SQS::Queue').filter(([id]) => id.includes('Push'))).toEqual([]);
    expect(JSON.stringify(plain.template.toJSON())).not.toMatch(/PUSH_|PushesGivenUp/);
  });
});

describe('with push configured', { timeout: 60_000 }, () => {
  it('feeds the push function from the table stream with the message-created filter', () => {
    const fn = pushFunction(s);
    const fromStream = ofType(s, 'AWS::Lambda::EventSourceMapping').filter(([, r]) =>
      JSON.stringify(r.Properties.EventSourceArn).includes('StreamArn'),
    );
    expect(fromStream).toHaveLength(1);
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(s.stack, fn.function) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(s.stack, s.stack.table.table), 'StreamArn'] },
      StartingPosition: 'LATEST',
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify(MESSAGE_CREATED) }] },
      BatchSize: PUSH_DEF?.batchSize,
      ParallelizationFactor: PUSH_DEF?.parallelizationFactor,
      MaximumRetryAttempts: PUSH_DEF?.retryAttempts,
      MaximumRecordAgeInSeconds: PUSH_DEF?.maxRecordAgeSeconds,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [logicalId(s.stack, s.stack.streams.failureQueues.get('Push') as never), 'Arn'],
          },
        },
      },
    });
  });

  it('runs nodejs24.x on arm64 and gets secret ARNs, never secret values', () => {
    const props = ofType(s, 'AWS::Lambda::Function').find(
      ([id]) => id === logicalId(s.stack, pushFunction(s).function),
    )?.[1].Properties;
    expect(props).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: PUSH_DEF?.timeoutSeconds,
      TracingConfig: { Mode: 'Active' },
      Description: 'Chat stream consumer Push',
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: logicalId(s.stack, s.stack.table.table) },
          METRICS_NAMESPACE: 'ChatTest',
          METRICS_STACK: 'ChatTest',
          PUSH_APNS_SECRET_ARN: APNS,
          PUSH_FCM_SECRET_ARN: FCM,
          PUSH_ID_ONLY: 'false',
        },
      },
    });
  });

  it('holds exactly its table actions, each on the partitions it uses it on (CHAT#, ROSTER#, USER#, TOKEN#, PUSHED#), this stream, its queue and the two secrets', () => {
    const fn = pushFunction(s);
    const statements = statementsOf(s, fn);
    const byAction = (action: string) => statements.filter((st) => actionsOf(st).includes(action));
    // Item actions on the table, each index query on its own index (lib/chat-table.ts grantActions).
    const table = s.stack.resolve(s.stack.table.table.tableArn);
    const streamActions = /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/;
    const granted = statements
      .flatMap((st) => actionsOf(st).flatMap((a) => resourcesOf(st).map((r) => [a, r] as const)))
      .filter(([a]) => a.startsWith('dynamodb:') && !streamActions.test(a))
      .map((pair) => JSON.stringify(pair));
    const expected = tableActionsOf(PUSH_DEF?.itemActions ?? {}, PUSH_DEF?.indexQueries).map((a) =>
      JSON.stringify(
        a.startsWith('dynamodb:Query:')
          ? ['dynamodb:Query', s.stack.resolve(s.stack.table.indexArn(a.split(':')[2] as string))]
          : [a, table],
      ),
    );
    expect(granted.sort()).toEqual(expected.sort());
    // Its push marks (lambdas/data/push-marks.ts): PutItem, which the push worker does not hold.
    expect(granted).toContain(JSON.stringify(['dynamodb:PutItem', table]));
    expect(PUSH_WORKER.itemActions).not.toHaveProperty('dynamodb:PutItem');
    // Each action on the partitions its code uses it on, never the whole table: the worker's
    // (lib/workers.ts PUSH_ITEM_ACTIONS), and the chat's members and a group's roster queried
    // (CHAT#, ROSTER#), its push marks read and written (PUSHED#).
    const dynamo = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('dynamodb:')));
    expect(leadingKeysByAction(dynamo, table)).toEqual({
      'dynamodb:BatchGetItem': ['USER#*'],
      'dynamodb:DeleteItem': ['TOKEN#*', 'USER#*'],
      'dynamodb:GetItem': ['CHAT#*', 'PUSHED#*', 'USER#*'],
      'dynamodb:PutItem': ['PUSHED#*'],
      'dynamodb:Query': ['CHAT#*', 'ROSTER#*', 'USER#*'],
      'dynamodb:UpdateItem': ['TOKEN#*', 'USER#*'],
    });
    expect(byAction('dynamodb:GetRecords').flatMap(resourcesOf)).toEqual([
      s.stack.resolve(s.stack.table.table.tableStreamArn),
    ]);
    expect(JSON.stringify(byAction('dynamodb:ListStreams').flatMap(resourcesOf))).toContain('/stream/*');
    expect(byAction('secretsmanager:GetSecretValue').flatMap(resourcesOf).sort()).toEqual([APNS, FCM].sort());
    // Its on-failure queue, and the push worker's queue (jobs: test/cdk/push-worker.test.ts).
    const worker = s.stack.streams.pushWorker;
    expect(
      byAction('sqs:SendMessage')
        .flatMap(resourcesOf)
        .map((r) => JSON.stringify(r))
        .sort(),
    ).toEqual(
      [
        { 'Fn::GetAtt': [logicalId(s.stack, s.stack.streams.failureQueues.get('Push') as never), 'Arn'] },
        { 'Fn::GetAtt': [logicalId(s.stack, worker?.queue as never), 'Arn'] },
      ]
        .map((r) => JSON.stringify(r))
        .sort(),
    );
    const all = new Set(statements.flatMap(actionsOf));
    expect([...all].filter((a) => a.includes('*') || a === 'dynamodb:Scan')).toEqual([]);
    const allowed = [
      ...s.stack.chatApi.functions.values(),
      ...s.stack.scheduled.functions,
      s.stack.fanOutWorker.worker,
      s.stack.retentionWorker.worker,
      ...(worker ? [worker.worker] : []),
      fn,
    ].map((f) => logicalId(s.stack, f.role));
    expect(privilegeViolations(s.template, allowed)).toEqual([]);
  });

  it('keeps failed records on an encrypted queue that refuses plain HTTP', () => {
    const queue = logicalId(s.stack, s.stack.streams.failureQueues.get('Push') as never);
    expect(ofType(s, 'AWS::SQS::Queue').find(([id]) => id === queue)?.[1].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    s.template.hasOutput('PushFailureQueueUrl', {});
  });

  it('alarms on errors, throttles, iterator age, failed records and pushes given up', () => {
    expect(s.stack.streams.alarms).toHaveLength(5);
    const props = ofType(s, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    const fnRef = { Ref: logicalId(s.stack, pushFunction(s).function) };
    const find = (metric: string) => props.filter((p) => p.MetricName === metric);
    expect(
      find('IteratorAge').filter((p) => JSON.stringify(p.Dimensions).includes(JSON.stringify(fnRef))),
    ).toEqual([expect.objectContaining({ Statistic: 'Maximum', Threshold: 60_000 })]);
    // The business metric the push function emits (lambdas/shared/metrics.ts: PushesGivenUp), read
    // through a labelled metric (CloudFormation's Metrics form).
    type Stat = { MetricStat?: { Metric: Record<string, unknown>; Stat: string } };
    const givenUp = props.flatMap((p) =>
      ((p.Metrics ?? []) as Stat[])
        .filter((m) => m.MetricStat?.Metric.MetricName === 'PushesGivenUp')
        .map((m) => ({ alarm: p, stat: m.MetricStat })),
    );
    expect(givenUp).toHaveLength(1);
    expect(givenUp[0]?.stat).toEqual({
      Metric: {
        Namespace: 'ServerlessChat',
        MetricName: 'PushesGivenUp',
        Dimensions: [{ Name: 'Stack', Value: 'ChatTest' }],
      },
      Period: 300,
      Stat: 'Sum',
    });
    expect(givenUp[0]?.alarm).toMatchObject({ Threshold: 5 });
    const queueName = {
      'Fn::GetAtt': [logicalId(s.stack, s.stack.streams.failureQueues.get('Push') as never), 'QueueName'],
    };
    expect(
      find('ApproximateNumberOfMessagesVisible').filter((p) =>
        JSON.stringify(p.Dimensions).includes(JSON.stringify(queueName)),
      ),
    ).toHaveLength(1);
    for (const metric of ['Errors', 'Throttles']) {
      expect(
        find(metric).filter(
          (p) => JSON.stringify(p.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: fnRef }]),
        ),
      ).toHaveLength(1);
    }
  });
});

describe('cdk-nag', { timeout: 120_000 }, () => {
  const findings = (x: Synthesized) =>
    new AwsSolutionsChecks()
      .validateScope(x.stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.resourceLogicalId}`));

  it('has no unacknowledged findings with push, with complete or partial ARNs and an alarm topic', () => {
    expect(findings(s)).toEqual([]);
    const partial = synth({
      push: { apnsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/apns' },
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms',
      destroyable: true,
    });
    expect(findings(partial)).toEqual([]);
  });
});

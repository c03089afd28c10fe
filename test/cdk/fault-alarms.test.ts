/**
 * The alarms of faults no Lambda error shows: frames answered `INTERNAL` (an action route's
 * invocation succeeds with its error frame), a chat nearing its storage limit (its sends still
 * succeed) and the table's own 500s and throttles (lib/monitoring.ts);
 * and the synth warning of a stack whose alarms would notify nobody (lib/chat-stack.ts).
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics.ts';
import { ChatStack, type ChatStackProps } from '../../lib/chat-stack.ts';
import { logicalId, synth, testApp } from './support.ts';

const s = synth();
type Props = Record<string, unknown>;
const alarms = (t = s.template): Props[] =>
  Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as Props);
interface MathMetric {
  Id: string;
  Expression?: string;
  MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: unknown } };
}
const metricsOf = (a: Props | undefined) => (a?.Metrics ?? []) as MathMetric[];
const reads = (a: Props, name: string) =>
  a.MetricName === name || metricsOf(a).some((m) => m.MetricStat?.Metric.MetricName === name);

describe('fault alarms', { timeout: 180_000 }, () => {
  it('alarms on the first frame answered INTERNAL (its invocation succeeds: Lambda counts no error)', () => {
    const internal = alarms().filter((a) => reads(a, 'InternalErrors'));
    expect(internal).toHaveLength(1);
    expect(internal[0]).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(metricsOf(internal[0]).find((m) => m.MetricStat)?.MetricStat).toMatchObject({
      Metric: { Namespace: METRICS_NAMESPACE, Dimensions: [{ Name: 'Stack', Value: 'ChatTest' }] },
      Stat: 'Sum',
      Period: 300,
    });
  });

  it('alarms on the first message stored in a chat near its storage limit (ChatStorageNearFull)', () => {
    const nearFull = alarms().filter((a) => reads(a, 'ChatStorageNearFull'));
    expect(nearFull).toHaveLength(1);
    expect(nearFull[0]).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.stringContaining('docs/operations.md'),
    });
    expect(metricsOf(nearFull[0]).find((m) => m.MetricStat)?.MetricStat).toMatchObject({
      Metric: { Namespace: METRICS_NAMESPACE, Dimensions: [{ Name: 'Stack', Value: 'ChatTest' }] },
      Stat: 'Sum',
    });
  });

  it.each([
    ['the first deleted chat whose retention was neither queued nor finished', 'RetentionNotQueued'],
    ['the first account deletion whose job was refused (its chats not left)', 'AccountDeletionNotQueued'],
  ])('alarms on %s (%s)', (_what, metric) => {
    const notQueued = alarms().filter((a) => reads(a, metric));
    expect(notQueued).toHaveLength(1);
    expect(notQueued[0]).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.stringContaining('docs/operations.md'),
    });
  });

  it('alarms on the table’s 500s (every operation the functions call) and its throttles (table and global indexes)', () => {
    const table = { Ref: logicalId(s.stack, s.stack.table.table) };
    const read = (name: string) => {
      const found = alarms().filter((a) => reads(a, name));
      expect(found, name).toHaveLength(1);
      expect(found[0], name).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      const metrics = metricsOf(found[0]);
      expect(metrics.length, name).toBeLessThanOrEqual(11); // at most 10 metrics (+ the expression)
      const stats = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
      for (const m of stats) expect(m, name).toMatchObject({ Namespace: 'AWS/DynamoDB', MetricName: name });
      // Every metric counts even in a period in which it has no data.
      const expression = metrics.find((m) => m.Expression)?.Expression ?? '';
      for (const m of metrics.filter((m) => m.MetricStat)) expect(expression).toContain(`FILL(${m.Id}, 0)`);
      return stats.map((m) => m.Dimensions);
    };
    expect(read('SystemErrors')).toEqual(
      [
        'GetItem',
        'PutItem',
        'UpdateItem',
        'DeleteItem',
        'Query',
        'BatchGetItem',
        'BatchWriteItem',
        'TransactWriteItems',
      ].map((operation) => [
        { Name: 'Operation', Value: operation },
        { Name: 'TableName', Value: table },
      ]),
    );
    const throttles = alarms().find((a) => reads(a, 'ReadThrottleEvents'));
    const dims = metricsOf(throttles).flatMap((m) =>
      m.MetricStat ? [[m.MetricStat.Metric.MetricName, JSON.stringify(m.MetricStat.Metric.Dimensions)]] : [],
    );
    const tableOnly = JSON.stringify([{ Name: 'TableName', Value: table }]);
    const index = (name: string) =>
      JSON.stringify([
        { Name: 'GlobalSecondaryIndexName', Value: name },
        { Name: 'TableName', Value: table },
      ]);
    expect(dims.sort()).toEqual(
      [
        ['ReadThrottleEvents', tableOnly],
        ['WriteThrottleEvents', tableOnly],
        ...['gsi1', 'gsi2'].flatMap((i) => [
          ['ReadThrottleEvents', index(i)],
          ['WriteThrottleEvents', index(i)],
        ]),
      ].sort(),
    );
    // `ThrottledRequests` and `UserErrors` (callers' conditional checks and the like) are not alarmed.
    expect(alarms().filter((a) => reads(a, 'ThrottledRequests') || reads(a, 'UserErrors'))).toEqual([]);
  });
});

describe('who hears of the alarms', { timeout: 180_000 }, () => {
  /** The warnings naming alarmTopicArn of a stack built as bin/app.ts builds it (not acknowledged). */
  const warnings = (props: ChatStackProps) =>
    Annotations.fromStack(new ChatStack(testApp(), 'Deployed', props)).findWarning(
      '*',
      Match.stringLikeRegexp('alarmTopicArn'),
    );

  it('warns at synth when a stack that keeps data has no alarm topic', () => {
    const found = warnings({});
    expect(found).toHaveLength(1);
    expect(found[0]?.entry.data).toMatch(/notify nobody.*alarmTopicArn.*cdk\.json's context/);
  });

  it('does not with a topic, nor for a destroyable stack', () => {
    expect(warnings({ alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:chat-alarms' })).toEqual([]);
    expect(warnings({ destroyable: true })).toEqual([]);
  });
});

/**
 * Alarms that mean something (faults, never callers' mistakes), the business metrics the functions emit
 * the cost alarm and the media downloads alarm. The dashboard: test/cdk/dashboard.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PRICES } from '../../bench/pricing.ts';
import { emfDocument, METRICS_NAMESPACE } from '../../lambdas/shared/metrics.ts';
import { MEDIA_DOWNLOAD_METRICS_ID } from '../../lib/chat-media.ts';
import { MEDIA } from '../../lib/media.ts';
import { logicalId, synth } from './support.ts';

const s = synth();
type Props = Record<string, unknown>;
const alarms = (t = s.template): Props[] =>
  Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as Props);
const fnRef = (fn: { function: object }) => ({
  Ref: logicalId(s.stack, fn.function as Parameters<typeof logicalId>[1]),
});
const lambdaAlarm = (metric: string, fn: { function: object }) =>
  alarms().filter(
    (a) =>
      a.Namespace === 'AWS/Lambda' &&
      a.MetricName === metric &&
      JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: fnRef(fn) }]),
  );
interface MathMetric {
  Id: string;
  Expression?: string;
  MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: unknown } };
}
const metricsOf = (a: Props | undefined) => (a?.Metrics ?? []) as MathMetric[];

describe('alarms', { timeout: 180_000 }, () => {
  it('alarms on errors of every route function and throttles of every function', () => {
    for (const fn of s.stack.chatApi.allFunctions) {
      const errors = lambdaAlarm('Errors', fn);
      expect(errors, fn.node.id).toHaveLength(fn === s.stack.chatApi.authorizerFunction ? 0 : 1);
      const throttles = lambdaAlarm('Throttles', fn);
      expect(throttles, fn.node.id).toHaveLength(1);
      for (const a of [...errors, ...throttles]) {
        expect(a).toMatchObject({
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    }
  });

  it('alarms on the authorizer’s faults only: its errors minus the tokens it refused', () => {
    const faults = alarms().find((a) =>
      String(a.AlarmDescription).startsWith('Authorizer: the function failed'),
    );
    const metrics = metricsOf(faults);
    const expression = metrics.find((m) => m.Expression)?.Expression;
    expect(expression).toMatch(/errors.*-.*refused/);
    const errors = metrics.find((m) => m.Id === 'errors')?.MetricStat?.Metric;
    expect(errors).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: fnRef(s.stack.chatApi.authorizerFunction) }],
    });
    const refused = metrics.find((m) => m.Id === 'refused')?.MetricStat?.Metric;
    expect(refused).toEqual({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'TokensRefused',
      Dimensions: [{ Name: 'Stack', Value: 'ChatTest' }],
    });
  });

  const reads = (a: Props, name: string) =>
    a.MetricName === name || metricsOf(a).some((m) => m.MetricStat?.Metric.MetricName === name);

  it('alarms on the first JWKS outage, apart from refused tokens', () => {
    const outage = alarms().filter((a) => reads(a, 'KeySourceErrors'));
    expect(outage).toHaveLength(1);
    expect(outage[0]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const metric: unknown = metricsOf(outage[0]).find((m) => m.MetricStat)?.MetricStat?.Metric ?? outage[0];
    expect(metric).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [{ Name: 'Stack', Value: 'ChatTest' }],
    });
    // Refused tokens, rate-limited frames and flooding sockets closed are callers' doing: charted,
    // never alarmed on their own.
    expect(alarms().filter((a) => reads(a, 'RateLimitedFrames'))).toEqual([]);
    expect(alarms().filter((a) => reads(a, 'FloodingSocketsClosed'))).toEqual([]);
    expect(alarms().filter((a) => reads(a, 'TokensRefused') && !reads(a, 'Errors'))).toEqual([]);
  });

  it('alarms on the first socket the server could not close: expired token, flooding, a deleted account’s', () => {
    for (const name of ['ExpiredSocketsLeftOpen', 'FloodingSocketsLeftOpen', 'DeletedSocketsLeftOpen']) {
      const leftOpen = alarms().filter((a) => reads(a, name));
      expect(leftOpen, name).toHaveLength(1);
      expect(leftOpen[0], name).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      const stat = metricsOf(leftOpen[0]).find((m) => m.MetricStat)?.MetricStat;
      expect(stat, name).toMatchObject({
        Metric: { Namespace: METRICS_NAMESPACE, Dimensions: [{ Name: 'Stack', Value: 'ChatTest' }] },
        Stat: 'Sum',
      });
    }
  });

  it('alarms when an hour of traffic costs more than the daily budget’s share', () => {
    const cost = alarms().find((a) => String(a.AlarmDescription).startsWith('Estimated spend'));
    expect(cost?.Threshold).toBeCloseTo(10 / 24, 6);
    const metrics = metricsOf(cost);
    const names = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort();
    expect(names).toEqual([
      'ConnectCount',
      'ConsumedReadCapacityUnits',
      'ConsumedWriteCapacityUnits',
      'ConsumedWriteCapacityUnits', // gsi1
      'ConsumedWriteCapacityUnits', // gsi2 (the due index of scheduled messages)
      'MessageCount',
    ]);
    expect(metrics.length).toBeLessThanOrEqual(11); // an alarm reads at most 10 metrics (+ the expression)
    const expression = metrics.find((m) => m.Expression)?.Expression ?? '';
    expect(expression).not.toMatch(/e-/); // metric math has no exponent notation
    expect(expression).toContain('FILL(messages, 0) * 0.000001');
    const none = synth({ dailyCostAlarmUsd: 0 });
    expect(alarms(none.template).some((a) => String(a.AlarmDescription).startsWith('Estimated spend'))).toBe(
      false,
    );
    const custom = synth({ dailyCostAlarmUsd: 48 });
    expect(
      alarms(custom.template).find((a) => String(a.AlarmDescription).startsWith('Estimated spend'))
        ?.Threshold,
    ).toBe(2);
  });

  it('alarms when a day of media downloads costs more than the daily budget (presigned URLs are bearer links)', () => {
    // S3 request metrics on the media prefix: what BytesDownloaded needs (not published without them).
    const bucketId = logicalId(s.stack, s.stack.media.bucket);
    const bucket = s.template.toJSON().Resources[bucketId].Properties as Props;
    expect(bucket.MetricsConfigurations).toEqual([{ Id: MEDIA_DOWNLOAD_METRICS_ID, Prefix: MEDIA.prefix }]);
    const downloads = alarms().filter((a) => a.MetricName === 'BytesDownloaded');
    expect(downloads).toHaveLength(1);
    expect(downloads[0]).toMatchObject({
      Namespace: 'AWS/S3',
      Dimensions: [
        { Name: 'BucketName', Value: { Ref: bucketId } },
        { Name: 'FilterId', Value: MEDIA_DOWNLOAD_METRICS_ID },
      ],
      Statistic: 'Sum',
      Period: 86_400,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    // The default budget of $10 a day at $0.09 per GB out: ~111 GB (GiB, as AWS bills them).
    expect(downloads[0]?.Threshold).toBe(Math.round((10 / PRICES.s3EgressGb) * 1024 ** 3));
    expect(String(downloads[0]?.AlarmDescription)).toMatch(/^Media downloads of the last day/);
    const none = synth({ dailyCostAlarmUsd: 0 });
    expect(alarms(none.template).some((a) => a.MetricName === 'BytesDownloaded')).toBe(false);
    const custom = synth({ dailyCostAlarmUsd: 45 });
    expect(alarms(custom.template).find((a) => a.MetricName === 'BytesDownloaded')?.Threshold).toBe(
      500 * 1024 ** 3,
    );
  });

  it('alarms on the stage’s server errors and p99 integration latency; nothing else', () => {
    const stageDims = [
      { Name: 'ApiId', Value: { Ref: logicalId(s.stack, s.stack.chatApi.api) } },
      { Name: 'Stage', Value: 'prod' },
    ];
    const serverErrors = alarms().find((a) => JSON.stringify(a.Metrics ?? '').includes('ExecutionError'));
    const names = metricsOf(serverErrors).flatMap((m) =>
      m.MetricStat ? [m.MetricStat.Metric.MetricName] : [],
    );
    expect(names.sort()).toEqual(['ExecutionError', 'IntegrationError']);
    expect(alarms().find((a) => a.MetricName === 'IntegrationLatency')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      ExtendedStatistic: 'p99',
      Dimensions: stageDims,
    });
    const fns = s.stack.chatApi.allFunctions.length;
    // errors of the routes, throttles of all, authorizer faults, JWKS outage, INTERNAL frames, the
    // table's 500s and throttles, a chat near full, a deleted chat's retention not queued, an account
    // deletion's job not queued, the three
    // sockets left open (expired, flooding, a deleted account's), 5xx, latency, cost, media downloads,
    // + the fan-out and retention workers' own four each (test/cdk/workers.test.ts,
    // test/cdk/retention-worker.test.ts) and the scheduled messages' own (lib/scheduled-messages.ts,
    // test/cdk/scheduled.test.ts)
    expect(alarms()).toHaveLength(
      fns -
        1 +
        fns +
        15 +
        s.stack.fanOutWorker.alarms.length +
        s.stack.retentionWorker.alarms.length +
        s.stack.scheduled.alarms.length,
    );
  });

  it('sends alarms to a topic when one is given', () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:chat-alarms';
    const all = alarms(synth({ alarmTopicArn: topic }).template);
    expect(all.length).toBeGreaterThan(0);
    for (const a of all) {
      expect(a.AlarmActions).toEqual([topic]);
      expect(a.OKActions).toEqual([topic]);
    }
    for (const a of alarms()) expect(a.AlarmActions).toBeUndefined();
  });
});

describe('business metrics', { timeout: 180_000 }, () => {
  it('every function emits them under its stack’s name (METRICS_STACK)', () => {
    const fns = s.template.findResources('AWS::Lambda::Function');
    // The workers and the dispatcher post too (FanOutPosts, FanOutRetries, …): not only the routes.
    const all = [
      ...s.stack.chatApi.allFunctions,
      s.stack.scheduled.dispatcher,
      s.stack.scheduled.sweeper,
      s.stack.fanOutWorker.worker,
      s.stack.retentionWorker.worker,
    ];
    for (const fn of all) {
      const props = fns[logicalId(s.stack, fn.function)]?.Properties as Props;
      expect((props.Environment as { Variables: Props }).Variables.METRICS_STACK, fn.node.id).toBe(
        'ChatTest',
      );
    }
  });

  it('the EMF document names the namespace, the Stack dimension and each metric as a Count', () => {
    const doc = emfDocument({ MessagesSent: 1, FanOutPosts: 3 }, 'ChatTest', 1_700_000_000_000);
    expect(doc).toMatchObject({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['Stack']],
            Metrics: [
              { Name: 'MessagesSent', Unit: 'Count' },
              { Name: 'FanOutPosts', Unit: 'Count' },
            ],
          },
        ],
      },
      Stack: 'ChatTest',
      MessagesSent: 1,
      FanOutPosts: 3,
    });
  });
});

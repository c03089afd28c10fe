/**
 * The alarm periods docs/operations.md states ("Alarms, and what to do"): 5 minutes, but for the
 * queue workers' dead letters and oldest job and the scheduled messages' lag and overdue sweep
 * (1 minute), the API's latency (three 5-minute periods), the cost estimate (1 hour) and the media
 * downloads (1 day). Counted from
 * a stack with push, which has every queue worker.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/chat-function.ts';
import { type Resources, synth } from './support.ts';

const PUSH = { apnsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/apns-AbCdEf' };

/** Each alarm's logical id (without CDK's hash) and how it evaluates: `<seconds>` or `<n>x<seconds>`. */
function periods(): Map<string, string> {
  const resources = synth({ push: PUSH }).template.toJSON().Resources as Resources;
  const found = new Map<string, string>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
    const p = r.Properties as {
      Period?: number;
      EvaluationPeriods: number;
      Metrics?: { MetricStat?: { Period: number } }[];
    };
    const seconds = new Set(
      p.Period ? [p.Period] : (p.Metrics ?? []).flatMap((m) => (m.MetricStat ? [m.MetricStat.Period] : [])),
    );
    expect(seconds.size, id).toBe(1);
    const each = [...seconds][0];
    found.set(
      id.replace(/[0-9A-F]{8}$/, ''),
      p.EvaluationPeriods > 1 ? `${p.EvaluationPeriods}x${each}` : `${each}`,
    );
  }
  return found;
}

describe('docs/operations.md alarm periods', { timeout: 180_000 }, () => {
  it('are 5 minutes but for the alarms it names, with their periods', () => {
    const others = Object.fromEntries([...periods()].filter(([, period]) => period !== '300'));
    expect(others).toEqual({
      FanOutDeadLettersAlarm: '60',
      FanOutOldestJobAlarm: '60',
      RetentionDeadLettersAlarm: '60',
      RetentionOldestJobAlarm: '60',
      StreamsPushJobsDeadLettersAlarm: '60',
      StreamsPushJobsOldestJobAlarm: '60',
      ScheduledDispatchLagAlarm: '60',
      ScheduledSweepOverdueAlarm: '60',
      MonitoringApiIntegrationLatency: '3x300',
      MonitoringEstimatedCost: '3600',
      MonitoringMediaBytesDownloaded: '86400',
    });
    const doc = readFileSync(join(PROJECT_ROOT, 'docs/operations.md'), 'utf8').replace(/\s+/g, ' ');
    for (const sentence of [
      "The period is 5 minutes but for: the queue workers' dead letters and oldest job (fan-out, retention, push jobs: 1 minute",
      "the scheduled messages' `DispatchLag` and `SweepOverdue` (1 minute;",
      '`ApiIntegrationLatency` (three 5-minute periods in a row)',
      '`EstimatedCost` (1 hour) and `MediaBytesDownloaded` (1 day)',
    ]) {
      expect(doc).toContain(sentence);
    }
  });
});

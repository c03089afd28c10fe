/**
 * The dashboard: named per stack and region, charts every business metric and function, shows every
 * alarm's state, and stays within CloudWatch's limits, for the default stack and with push.
 */
import { describe, expect, it } from 'vitest';
import { BUSINESS_METRICS, METRICS_DIMENSION, METRICS_NAMESPACE } from '../../lambdas/shared/metrics.ts';
import { synth } from './support.ts';

const s = synth();
type Props = Record<string, unknown>;
const APNS = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:apns-AbCdEf';
const variants = [
  ['default', s],
  ['push', synth({ push: { apnsSecretArn: APNS } })],
] as const;
const bodyOf = (t = s.template) =>
  Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody as {
    'Fn::Join': [string, unknown[]];
  };
/** The body's widgets (tokens, i.e. ARNs, function names, the region, read `TOKEN`). */
const widgetsOf = (t = s.template) => {
  const [, parts] = bodyOf(t)['Fn::Join'];
  // Tokens stand inside JSON strings: a placeholder keeps it JSON.
  const text = parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  const widgets = (JSON.parse(text) as { widgets: { type: string; properties: Props }[] }).widgets;
  return { text, parts, widgets };
};
/** The push business metrics: emitted by the push stream consumer, deployed with push only. */
const PUSH_METRICS = new Set(['PushesSent', 'PushesFailed', 'PushesGivenUp']);

describe('dashboard', { timeout: 180_000 }, () => {
  const dashboards = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'));

  it('is named after the stack and the region, so stacks of one name in two regions do not collide', () => {
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties.DashboardName).toEqual({
      'Fn::Join': ['', ['ChatTest-chat-', { Ref: 'AWS::Region' }]],
    });
  });

  it('charts every business metric the stack emits, as emitted (namespace, Stack dimension), and the cost estimate', () => {
    for (const [name, v] of variants) {
      // A metric is [namespace, name, dimension, value, options] (math expressions' are inside too).
      const charted = widgetsOf(v.template)
        .widgets.flatMap((w) => (w.properties.metrics ?? []) as unknown[][])
        .filter((m) => m[0] === METRICS_NAMESPACE);
      for (const m of charted) {
        // The functions emit them with METRICS_STACK = the stack's name (test/cdk/monitoring.test.ts).
        expect(m.slice(2, 4), `${name}: ${String(m[1])}`).toEqual([METRICS_DIMENSION, 'ChatTest']);
      }
      const names = new Set(charted.map((m) => m[1]));
      const emitted = Object.keys(BUSINESS_METRICS).filter((n) => name === 'push' || !PUSH_METRICS.has(n));
      expect(
        emitted.filter((n) => !names.has(n)),
        `${name}: business metrics not charted`,
      ).toEqual([]);
      // Without push nothing emits the push metrics: no empty widget.
      expect(
        [...PUSH_METRICS].some((n) => names.has(n)),
        name,
      ).toBe(name === 'push');
      expect(JSON.stringify(bodyOf(v.template)), name).toContain('Estimated cost');
    }
  });
});

describe('dashboard of the whole stack', { timeout: 300_000 }, () => {
  const idsOf = (t: typeof s.template, type: string) => Object.keys(t.findResources(type));

  it('shows every alarm’s state and charts every function, with push too', () => {
    for (const [name, v] of variants) {
      const body = JSON.stringify(bodyOf(v.template));
      const alarmIds = idsOf(v.template, 'AWS::CloudWatch::Alarm');
      expect(alarmIds.length, name).toBeGreaterThan(80);
      expect(
        alarmIds.filter((id) => !body.includes(`{"Fn::GetAtt":["${id}","Arn"]}`)),
        `${name}: alarms missing from the dashboard`,
      ).toEqual([]);
      const functionIds = idsOf(v.template, 'AWS::Lambda::Function');
      expect(
        functionIds.filter((id) => !body.includes(`{"Ref":"${id}"}`)),
        `${name}: functions missing from the dashboard`,
      ).toEqual([]);
    }
  });

  it('stays within CloudWatch’s dashboard limits', () => {
    for (const [name, v] of variants) {
      const { text, parts, widgets } = widgetsOf(v.template);
      const alarmWidgets = widgets.filter((w) => w.type === 'alarm');
      for (const w of alarmWidgets)
        expect((w.properties.alarms as unknown[]).length, name).toBeLessThanOrEqual(100);
      const metricCounts = widgets.map((w) => ((w.properties.metrics ?? []) as unknown[]).length);
      for (const n of metricCounts) expect(n, name).toBeLessThanOrEqual(500);
      expect(
        metricCounts.reduce((a, b) => a + b, 0),
        name,
      ).toBeLessThanOrEqual(2500);
      expect(widgets.length, name).toBeLessThanOrEqual(100);
      // Deployed, each token is at most an alarm's ARN (about 120 characters with a long stack
      // name): the body (about 90 KB with push) stays within a 200 KB budget, so that growth shows.
      expect(text.length + 120 * parts.length, name).toBeLessThan(200_000);
    }
  });
});

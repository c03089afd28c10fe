/**
 * The dashboard: named per stack and region, charts every business metric and function, shows every
 * alarm's state, and stays within CloudWatch's limits, for the default stack and with push.
 */
import { describe, expect, it } from 'vitest';
import { BUSINESS_METRICS } from '../../lambdas/shared/metrics.ts';
import { synth } from './support.ts';

const s = synth();
type Props = Record<string, unknown>;

describe('dashboard', { timeout: 180_000 }, () => {
  const dashboards = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'));

  it('is named after the stack and the region, so stacks of one name in two regions do not collide', () => {
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties.DashboardName).toEqual({
      'Fn::Join': ['', ['ChatTest-chat-', { Ref: 'AWS::Region' }]],
    });
  });

  it('charts every business metric of the default stack (push and scheduled ones in their own widgets) and the cost estimate', () => {
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    const elsewhere = new Set(['PushesSent', 'PushesFailed', 'PushesGivenUp']); // the push variant's
    for (const name of Object.keys(BUSINESS_METRICS).filter((n) => !elsewhere.has(n))) {
      expect(body, name).toContain(`\\"${name}\\"`);
    }
    expect(body).toContain('Estimated cost');
  });
});

describe('dashboard of the whole stack', { timeout: 300_000 }, () => {
  const APNS = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:apns-AbCdEf';
  const variants = [
    ['default', s],
    ['push', synth({ push: { apnsSecretArn: APNS } })],
  ] as const;
  const bodyOf = (t = s.template) =>
    Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody as {
      'Fn::Join': [string, unknown[]];
    };
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
      const [, parts] = bodyOf(v.template)['Fn::Join'];
      // Tokens (ARNs, function names, the region) stand inside JSON strings: a placeholder keeps it JSON.
      const text = parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
      const widgets = (JSON.parse(text) as { widgets: { type: string; properties: Props }[] }).widgets;
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

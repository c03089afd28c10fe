/**
 * The figures docs/deploy.md and the README state about a deployed stack, counted from the synthesized
 * template: the alarms (and what they cost at rest), the routes, the stack's resources (of
 * CloudFormation's 500) and what a route adds, the resources a default stack retains on `cdk destroy`
 * (the tear-down list), and the functions `npm run bundle-size` measures. A change that adds an alarm,
 * a route or a resource fails here until the docs say so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/chat-function.ts';
import { ROUTES, type RouteDefinition } from '../../lib/routes.ts';
import { stackFunctions } from '../../scripts/stack-functions.ts';
import { actionsOf, type Resources, statementsOf, synth } from './support.ts';

const deployDoc = readFileSync(join(PROJECT_ROOT, 'docs/deploy.md'), 'utf8').replace(/\s+/g, ' ');
const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
const PUSH = {
  apnsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/apns-AbCdEf',
  fcmSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/fcm-GhIjKl',
};
/** CloudWatch's price of one alarm metric a month, and of the dashboard (docs/deploy.md "Costs"). */
const ALARM_METRIC_USD = 0.1;
const DASHBOARD_USD = 3;

function figures(push: boolean, routes?: readonly RouteDefinition[]) {
  const { stack, template } = synth({ ...(push ? { push: PUSH } : {}), ...(routes ? { routes } : {}) });
  const resources = template.toJSON().Resources as Resources;
  const all = Object.values(resources);
  const alarms = all.filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties);
  const math = alarms.filter((a) => Array.isArray(a.Metrics));
  const mathMetrics = math
    .flatMap((a) => a.Metrics as { MetricStat?: unknown }[])
    .filter((m) => m.MetricStat !== undefined).length;
  const retained = all.filter((r) => r.DeletionPolicy === 'Retain');
  return {
    stack,
    functions: stackFunctions(stack).length,
    single: alarms.length - math.length,
    math: math.length,
    mathMetrics,
    alarmUsd: (alarms.length - math.length + mathMetrics) * ALARM_METRIC_USD,
    routes: all.filter((r) => r.Type === 'AWS::ApiGatewayV2::Route').length,
    resources: all.length,
    queues: retained.filter((r) => r.Type === 'AWS::SQS::Queue').length,
    retainedTypes: new Set(retained.map((r) => r.Type)),
  };
}

/** The numbers `pattern`'s groups capture in `text` (the test fails when the sentence is gone). */
function stated(text: string, pattern: RegExp): number[] {
  const match = pattern.exec(text);
  expect(match, `the docs no longer say ${pattern}`).not.toBeNull();
  return (match?.slice(1) ?? []).map(Number);
}

const usd = (n: number) => Math.round(n * 100) / 100;

describe('docs/deploy.md figures', { timeout: 180_000 }, () => {
  const plain = figures(false);
  const withPush = figures(true);

  it('the at-rest alarms: counts and cost of a default stack, and with push', () => {
    const [single, math, mathMetrics, cost] = stated(
      deployDoc,
      /CloudWatch alarms: (\d+) single-metric alarms and (\d+) metric math alarms reading (\d+) metrics \| \$(\d+\.\d\d)/,
    );
    expect({ single, math, mathMetrics, cost }).toEqual({
      single: plain.single,
      math: plain.math,
      mathMetrics: plain.mathMetrics,
      cost: usd(plain.alarmUsd),
    });
    const [pSingle, pMath, pMetrics, pCost] = stated(
      deployDoc,
      /With push, (\d+) single-metric and (\d+) math alarms reading (\d+) metrics: \$(\d+\.\d\d)/,
    );
    expect([pSingle, pMath, pMetrics, pCost]).toEqual([
      withPush.single,
      withPush.math,
      withPush.mathMetrics,
      usd(withPush.alarmUsd),
    ]);
    // The total is the alarms and the dashboard; the README rounds it.
    const [total] = stated(deployDoc, /\*\*≈ \$(\d+\.\d\d)\*\*/);
    expect(total).toBe(usd(plain.alarmUsd + DASHBOARD_USD));
    const [readmeTotal] = stated(readme, /about \$(\d+) a month at rest/);
    expect(readmeTotal).toBe(Math.round(plain.alarmUsd + DASHBOARD_USD));
  });

  it('what push adds: its queues, and its alarms with their cost (deploy.md and push.md)', () => {
    const alarms = withPush.single + withPush.math - (plain.single + plain.math);
    const cost = usd(withPush.alarmUsd - plain.alarmUsd);
    expect(
      stated(
        deployDoc,
        /\("Push queue" above: (\d+) queues in all\) and (\d+) alarms \(\$(\d+\.\d\d) a month/,
      ),
    ).toEqual([withPush.queues - plain.queues, alarms, cost]);
    const pushDoc = readFileSync(join(PROJECT_ROOT, 'docs/push.md'), 'utf8').replace(/\s+/g, ' ');
    expect(stated(pushDoc, /(\d+) alarms add \$(\d+\.\d\d) a month/)).toEqual([alarms, cost]);
  });

  it('the routes whose per-route metrics are billed', () => {
    expect(stated(deployDoc, /with all (\d+) routes busy/)).toEqual([plain.routes]);
  });

  it('the resources of a stack (CloudFormation holds 500), and what an action route adds', () => {
    const oneLess = figures(
      false,
      ROUTES.filter((r) => r.routeKey !== 'getChat'),
    );
    // `cdk deploy` adds one the test's synth has not: AWS::CDK::Metadata (the CLI's version
    // reporting), which CloudFormation counts against the 500 too.
    const deployed = (stackFigures: { resources: number }) => stackFigures.resources + 1;
    expect(
      stated(deployDoc, /\*\*Size\*\*: (\d+) CloudFormation resources \((\d+) with push\) of the 500/),
    ).toEqual([deployed(plain), deployed(withPush)]);
    // Over 500 `cdk deploy` fails: split the stack first (docs/deploy.md, "Size").
    expect(
      deployed(withPush),
      'over the 500 CloudFormation allows: see docs/deploy.md, "Size"',
    ).toBeLessThanOrEqual(500);
    const perRoute = plain.resources - oneLess.resources;
    expect(stated(deployDoc, /Each action route adds (\d+) /)).toEqual([perRoute]);
    expect(stated(deployDoc, /so about (\d+) more routes fit with push/)).toEqual([
      Math.floor((500 - deployed(withPush)) / perRoute),
    ]);
  });

  it('the tear-down list names every kind of resource a default stack retains, with the queue counts', () => {
    const tearDown = deployDoc.slice(deployDoc.indexOf('## Tear down'), deployDoc.indexOf('## Bundle sizes'));
    const named: Record<string, string> = {
      'AWS::DynamoDB::Table': '**table**',
      'AWS::Cognito::UserPool': '**user pool**',
      'AWS::Cognito::UserPoolClient': '**app client**',
      'AWS::Cognito::UserPoolGroup': '**`admin` group**',
      'AWS::Logs::LogGroup': '**log group**',
      'AWS::S3::Bucket': '**buckets**',
      'AWS::SQS::Queue': '**SQS queues**',
      'AWS::IAM::Role': '**logging role**',
      'AWS::ApiGateway::Account': 'account setting',
    };
    for (const type of [...plain.retainedTypes, ...withPush.retainedTypes]) {
      expect(named[type], `${type} is retained: name it in "Tear down"`).toBeDefined();
      expect(tearDown).toContain(named[type]);
    }
    expect(tearDown).toContain('aws sqs delete-queue');
    expect(stated(tearDown, /\*\*SQS queues\*\* \((\d+):.*?; (\d+) with push/)).toEqual([
      plain.queues,
      withPush.queues,
    ]);
    expect(stated(deployDoc, /SQS: (\d+) queues \((\d+) with push\)/)).toEqual([
      plain.queues,
      withPush.queues,
    ]);
  });

  it('npm run bundle-size measures every function of the stack, each under a name of its own', () => {
    for (const { stack } of [plain, withPush]) {
      const all = stack.node.findAll().filter((c) => c instanceof NodejsFunction);
      const measured = stackFunctions(stack);
      expect(new Set(measured.map((m) => m.fn.function))).toEqual(new Set(all));
      expect(new Set(measured.map((m) => m.name)).size).toBe(measured.length);
    }
    expect(stated(deployDoc, /measures all (\d+) functions of a default stack \((\d+) with push\)/)).toEqual([
      plain.functions,
      withPush.functions,
    ]);
  });
});

describe('docs/deploy.md media grants', { timeout: 180_000 }, () => {
  /** The S3 actions each function of a stack may use, by lower-cased function name. */
  function templateGrants(s: ReturnType<typeof synth>): Map<string, string[]> {
    const grants = new Map<string, string[]>();
    for (const { name, fn } of stackFunctions(s.stack)) {
      const actions = statementsOf(s, fn)
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('s3:'));
      if (actions.length > 0) grants.set(name.toLowerCase(), [...new Set(actions)].sort());
    }
    return grants;
  }

  /** The table under "**Grants**": the functions (backticked) of each row and their actions. */
  function documentedGrants(): Map<string, string[]> {
    const text = readFileSync(join(PROJECT_ROOT, 'docs/deploy.md'), 'utf8');
    const table = text.slice(text.indexOf('- **Grants**'));
    const rows = table
      .slice(table.indexOf('\n  |'), table.indexOf('\n\n', table.indexOf('\n  |')))
      .split('\n')
      .slice(3);
    const grants = new Map<string, string[]>();
    for (const row of rows) {
      const [, functions = '', actions = ''] = row.split('|');
      const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
      for (const name of ticked(functions)) grants.set(name.toLowerCase(), ticked(actions).sort());
    }
    return grants;
  }

  it('lists every function with media access and exactly its S3 actions, with push too', () => {
    const documented = documentedGrants();
    expect(documented.size).toBeGreaterThan(10);
    for (const push of [false, true]) {
      const s = synth(push ? { push: PUSH } : {});
      expect(Object.fromEntries(templateGrants(s)), push ? 'with push' : 'default').toEqual(
        Object.fromEntries(documented),
      );
    }
  });
});

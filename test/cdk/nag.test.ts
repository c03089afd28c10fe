/**
 * cdk-nag AwsSolutions: no unacknowledged error or warning in any configuration of the stack, every
 * acknowledgement gives its reason, and the check does catch a finding (it is not silently off).
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ChatStack, type ChatStackProps } from '../../lib/chat-stack.ts';
import type { TableAction } from '../../lib/routes.ts';
import { synth, testApp } from './support.ts';

const findings = (scope: IConstruct): string[] =>
  new AwsSolutionsChecks()
    .validateScope(scope)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} (${v.severity}) at ${r.resourceLogicalId}`),
    );

const CONFIGURATIONS: [string, ChatStackProps][] = [
  ['cognito (default)', {}],
  [
    'oidc',
    {
      auth: {
        mode: 'oidc',
        issuer: 'https://id.example.com/',
        jwksUrl: 'https://id.example.com/jwks',
        audience: 'chat',
      },
    },
  ],
  ['hs256 with a created secret', { auth: { mode: 'hs256' } }],
  [
    'hs256 with an existing secret',
    { auth: { mode: 'hs256', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf' } },
  ],
  [
    'destroyable, alarm topic, no account logging role',
    {
      destroyable: true,
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms',
      configureAccountLogging: false,
    },
  ],
  [
    'customer managed key, reserved concurrency, SES mail, no per-route metrics',
    {
      auth: { mode: 'cognito', email: { fromEmail: 'chat@example.com', sesRegion: 'eu-west-1' } },
      tableEncryptionKey: true,
      reservedConcurrency: { '*': 5 },
      detailedMetrics: false,
    },
  ],
];

describe('cdk-nag AwsSolutions', { timeout: 300_000 }, () => {
  it.each(CONFIGURATIONS)('%s: no unacknowledged findings', (_name, props) => {
    const { stack } = synth(props);
    expect(findings(stack)).toEqual([]);
  });

  it('passes the synth-time validation that `cdk synth` runs (bin/app.ts registers the same plugin)', () => {
    const app = testApp({}, { validate: true });
    new ChatStack(app, 'NagSynth');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('names a reason for every acknowledgement', () => {
    const { stack } = synth({ auth: { mode: 'hs256' } });
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason.length, id).toBeGreaterThanOrEqual(40);
    }
    // Stored as `Annotation::AwsSolutions-…` (aws-cdk-lib's namespace for unprefixed ids; cdk-nag strips it).
    const rules = new Set(acknowledged.map(([id]) => id.replace(/^\w+::/, '').replace(/\[.*$/, '')));
    expect([...rules].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
    ]);
  });

  it('catches a new finding: a wildcard DynamoDB action fails both checks', () => {
    const app = testApp();
    const stack = new ChatStack(app, 'NagBad');
    const fn = stack.chatApi.functions.get('$default');
    if (!fn) throw new Error('no $default function');
    stack.table.grantActions(fn, ['dynamodb:*' as TableAction]);
    expect(findings(stack).some((f) => f.startsWith('AwsSolutions-IAM5[Action::dynamodb:*] (error)'))).toBe(
      true,
    );
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/[Vv]alidation/);
  });
});

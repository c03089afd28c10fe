/**
 * Deploy-time settings: Lambda's JSON log format, reserved concurrency, a customer managed table key,
 * per-route stage metrics, the CDK feature flags, construct names, and how context selects each.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ChatStack } from '../../lib/chat-stack.ts';
import { concurrencyFromContext, settingsFromContext } from '../../lib/context.ts';
import { FEATURE_FLAGS, FLAG_EXCEPTIONS } from '../../lib/feature-flags.ts';
import { ROUTES } from '../../lib/routes.ts';
import { actionsOf, logicalId, statementsOf, synth, testApp } from './support.ts';

const s = synth();
type Props = Record<string, unknown>;
const functionProps = (stack: ChatStack, t = s.template) => {
  const fns = t.findResources('AWS::Lambda::Function');
  return stack.chatApi.allFunctions.map((fn) => ({
    name: fn.node.id,
    props: fns[logicalId(stack, fn.function)]?.Properties as Props,
  }));
};

describe('functions', { timeout: 180_000 }, () => {
  it('log in Lambda’s JSON format and leave the filtering to LOG_LEVEL (EMF lines carry no level)', () => {
    for (const { name, props } of functionProps(s.stack)) {
      expect(props.LoggingConfig, name).toMatchObject({
        LogFormat: 'JSON',
        ApplicationLogLevel: 'TRACE',
        SystemLogLevel: 'INFO',
      });
    }
  });

  it('have no reserved concurrency unless asked; a number for all, or per function name', () => {
    for (const { props } of functionProps(s.stack))
      expect(props.ReservedConcurrentExecutions).toBeUndefined();
    const custom = synth({ reservedConcurrency: { '*': 5, SendMessage: 50 } });
    for (const { name, props } of functionProps(custom.stack, custom.template)) {
      expect(props.ReservedConcurrentExecutions, name).toBe(name === 'SendMessage' ? 50 : 5);
    }
    expect(() => synth({ reservedConcurrency: { SendMesage: 5 } })).toThrow(/SendMesage.*SendMessage/);
  });

  it('refuses a route named Default (CDK’s default child) or after the authorizer', () => {
    const base = ROUTES.filter((r) => r.routeKey.startsWith('$'));
    expect(ROUTES.some((r) => r.name === 'Default')).toBe(false);
    const fallback = base.find((r) => r.routeKey === '$default');
    if (!fallback) throw new Error('$default');
    const renamed = (name: string) => base.map((r) => (r === fallback ? { ...r, name } : r));
    expect(() => synth({ routes: renamed('Default') })).toThrow(/name Default is reserved/);
    expect(() => synth({ routes: renamed('Authorizer') })).toThrow(/reserved/);
  });
});

describe('stage metrics', { timeout: 180_000 }, () => {
  it('turns per-route metrics off on request', () => {
    const off = synth({ detailedMetrics: false });
    const [stage] = Object.values(off.template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stage?.Properties.DefaultRouteSettings.DetailedMetricsEnabled).toBe(false);
    for (const settings of Object.values(stage?.Properties.RouteSettings ?? {})) {
      expect((settings as Props).DetailedMetricsEnabled).toBe(false);
    }
  });
});

describe('customer managed table key', { timeout: 180_000 }, () => {
  const kms = synth({ tableEncryptionKey: true });

  it('is off by default (AWS owned key, no KMS grants)', () => {
    s.template.resourceCountIs('AWS::KMS::Key', 0);
    for (const fn of s.stack.chatApi.allFunctions) {
      expect(
        statementsOf(s, fn)
          .flatMap(actionsOf)
          .some((a) => a.startsWith('kms:')),
      ).toBe(false);
    }
  });

  it('creates a rotating key, encrypts the table with it and keeps it as long as the table', () => {
    kms.template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 },
    });
    const [keyId] = Object.keys(kms.template.findResources('AWS::KMS::Key'));
    kms.template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      },
    });
  });

  it('lets each table user use the key through DynamoDB only; readers may only decrypt', () => {
    const [keyId] = Object.keys(kms.template.findResources('AWS::KMS::Key'));
    for (const def of ROUTES) {
      const fn = kms.stack.chatApi.functions.get(def.routeKey);
      if (!fn) throw new Error(def.routeKey);
      const keyStatements = statementsOf(kms, fn).filter((st) =>
        actionsOf(st).some((a) => a.startsWith('kms:')),
      );
      if (def.tableActions.length === 0) {
        expect(keyStatements, def.routeKey).toEqual([]);
        continue;
      }
      expect(keyStatements, def.routeKey).toHaveLength(1);
      const [st] = keyStatements as [(typeof keyStatements)[0]];
      expect(st.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      expect(JSON.stringify((st as { Condition?: unknown }).Condition)).toContain('kms:ViaService');
      const readOnly = def.tableActions.every((a) => /GetItem|Query/.test(a));
      expect(actionsOf(st).includes('kms:Encrypt'), def.routeKey).toBe(!readOnly);
      expect(actionsOf(st)).toContain('kms:Decrypt');
    }
    expect(statementsOf(kms, kms.stack.chatApi.authorizerFunction).flatMap(actionsOf)).not.toContain(
      'kms:Decrypt',
    );
  });

  it('uses an existing key by ARN', () => {
    const arn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const existing = synth({ tableEncryptionKey: arn });
    existing.template.resourceCountIs('AWS::KMS::Key', 0);
    existing.template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arn },
    });
  });
});

describe('feature flags', () => {
  const require = createRequire(import.meta.url);
  const recommended = JSON.parse(
    readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
  ) as Record<string, unknown>;

  it('cdk.json sets every flag aws-cdk-lib recommends, to the recommended value or a reasoned exception', () => {
    const wrong = Object.entries(recommended)
      .filter(([flag, value]) => {
        const exception = FLAG_EXCEPTIONS[flag];
        const expected = exception ? exception.value : value;
        return JSON.stringify(FEATURE_FLAGS[flag]) !== JSON.stringify(expected);
      })
      .map(([flag]) => flag);
    expect(wrong).toEqual([]);
    for (const [flag, e] of Object.entries(FLAG_EXCEPTIONS)) {
      expect(flag in recommended, flag).toBe(true);
      expect(e.reason.length, flag).toBeGreaterThan(20);
    }
  });
});

describe('context', { timeout: 180_000 }, () => {
  const settings = (context: Record<string, unknown>) => settingsFromContext(new App({ context }).node);

  it('reads every stack setting from the app context', () => {
    expect(
      settings({
        stackName: 'ChatDev',
        destroyable: 'true',
        stageName: 'dev',
        logLevel: 'debug',
        alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:t',
        configureAccountLogging: 'false',
        nag: false,
        auth: 'hs256',
        reservedConcurrency: '10',
        tableEncryptionKey: 'true',
        detailedMetrics: 'false',
        dailyCostAlarmUsd: '25',
      }),
    ).toEqual({
      stackName: 'ChatDev',
      nag: false,
      props: {
        auth: { mode: 'hs256' },
        destroyable: true,
        configureAccountLogging: false,
        stageName: 'dev',
        alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:t',
        logLevel: 'DEBUG',
        reservedConcurrency: { '*': 10 },
        tableEncryptionKey: true,
        detailedMetrics: false,
        dailyCostAlarmUsd: 25,
      },
    });
    expect(() => settings({ destroyable: 'yes' })).toThrow(/true or false/);
  });

  it('reads reserved concurrency as a number or JSON by function name, and refuses nonsense', () => {
    const lookup = (v: unknown) => (key: string) => (key === 'reservedConcurrency' ? v : undefined);
    expect(concurrencyFromContext(lookup(undefined))).toBeUndefined();
    expect(concurrencyFromContext(lookup(3))).toEqual({ '*': 3 });
    expect(concurrencyFromContext(lookup('{"*":20,"SendMessage":100}'))).toEqual({
      '*': 20,
      SendMessage: 100,
    });
    expect(() => concurrencyFromContext(lookup('-1'))).toThrow(/whole number/);
    expect(() => concurrencyFromContext(lookup('{"x":'))).toThrow(/JSON/);
  });

  it('refuses a tableEncryptionKey that is neither a boolean nor a KMS key ARN, and a negative budget', () => {
    expect(() => settings({ tableEncryptionKey: 'my-key' })).toThrow(/KMS key ARN/);
    expect(() => settings({ dailyCostAlarmUsd: '-3' })).toThrow(/dailyCostAlarmUsd/);
  });

  it('synthesizes what bin/app.ts deploys by default', () => {
    const app = testApp();
    const stack = new ChatStack(app, 'Default', settingsFromContext(app.node).props);
    expect(stack.auth.mode).toBe('cognito');
  });
});

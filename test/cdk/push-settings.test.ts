/**
 * The push settings as CloudFormation: the push function's reserved concurrency, and the context
 * that configures push (provider secrets, the privacy option, the device window) with what each
 * sets on the functions. The stream, the push function's wiring and grants: test/cdk/push.test.ts.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { settingsFromContext } from '../../lib/context.ts';
import {
  actionsOf,
  logicalId,
  type Resources,
  resourcesOf,
  type Synthesized,
  statementsOf,
  synth,
  testApp,
  useSynth,
} from './support.ts';

const APNS = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/apns-AbCdEf';
const FCM = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/fcm-GhIjKl';

const ofType = (s: Synthesized, type: string) =>
  Object.entries(s.template.toJSON().Resources as Resources).filter(([, r]) => r.Type === type);

const { s } = useSynth({ push: { apnsSecretArn: APNS, fcmSecretArn: FCM } });

const pushFunction = (x: Synthesized) => {
  const fn = x.stack.streams.functions.get('Push');
  if (!fn) throw new Error('no push function');
  return fn;
};

describe('reserved concurrency', { timeout: 120_000 }, () => {
  const reservedOf = (x: Synthesized) =>
    ofType(x, 'AWS::Lambda::Function').find(
      ([id]) => id === logicalId(x.stack, pushFunction(x).function),
    )?.[1].Properties.ReservedConcurrentExecutions;

  it('comes from the reservedConcurrency setting: its own entry (Push), else *, else none', () => {
    expect(reservedOf(s)).toBeUndefined();
    const push = { apnsSecretArn: APNS };
    const own = synth({ push, reservedConcurrency: { '*': 5, Push: 7, SendMessage: 20 } });
    expect(reservedOf(own)).toBe(7);
    const send = own.stack.chatApi.functions.get('sendMessage');
    const sendProps = ofType(own, 'AWS::Lambda::Function').find(
      ([id]) => send && id === logicalId(own.stack, send.function),
    )?.[1].Properties;
    expect(sendProps?.ReservedConcurrentExecutions).toBe(20);
    expect(reservedOf(synth({ push, reservedConcurrency: { '*': 5 } }))).toBe(5);
  });

  it('accepts Push as a function name even without push configured', () => {
    expect(() => synth({ reservedConcurrency: { Push: 3 } })).not.toThrow();
    expect(() => synth({ reservedConcurrency: { Pushh: 3 } })).toThrow(/Pushh.*Push/);
  });
});

describe('context', { timeout: 60_000 }, () => {
  const settings = (context: Record<string, unknown>) => settingsFromContext(testApp(context).node);

  it('reads the push secrets and the privacy option', () => {
    expect(settings({}).props.push).toBeUndefined();
    expect(settings({ pushFcmSecretArn: FCM, pushIdOnly: 'true' }).props.push).toEqual({
      fcmSecretArn: FCM,
      idOnly: true,
    });
    expect(() => settings({ pushIdOnly: 'true' })).toThrow(/pushIdOnly needs push/);
    expect(() => settings({ pushApnsSecretArn: 'my-secret' })).toThrow(/by ARN/);
  });

  it('reads the device window (pushDeviceStaleDays), 1–365 days, with push only', () => {
    expect(settings({ pushFcmSecretArn: FCM, pushDeviceStaleDays: '30' }).props.push).toEqual({
      fcmSecretArn: FCM,
      idOnly: false,
      deviceStaleDays: 30,
    });
    expect(() => settings({ pushDeviceStaleDays: '30' })).toThrow(/pushDeviceStaleDays needs push/);
    for (const bad of ['0', '366', 'a month', '1.5']) {
      expect(() => settings({ pushFcmSecretArn: FCM, pushDeviceStaleDays: bad })).toThrow(/1 to 365/);
    }
  });

  it('sets PUSH_DEVICE_STALE_DAYS on registerDevice, the push function and its worker only, when configured', () => {
    const withEnv = (x: Synthesized) =>
      ofType(x, 'AWS::Lambda::Function').filter(([, r]) =>
        JSON.stringify(r.Properties?.Environment ?? {}).includes('PUSH_DEVICE_STALE_DAYS'),
      );
    const x = synth({ push: { apnsSecretArn: APNS, deviceStaleDays: 30 } });
    // registerDevice sets a device's window; the push function and worker start the window of a
    // device stored before devices had a TTL (lambdas/push/devices-now.ts).
    const owners = [
      x.stack.chatApi.functions.get('registerDevice'),
      x.stack.streams.functions.get('Push'),
      x.stack.streams.pushWorker?.worker,
    ].map((f) => f && logicalId(x.stack, f.function));
    const found = withEnv(x);
    expect(found.map(([id]) => id).sort()).toEqual(owners.sort());
    for (const [, r] of found)
      expect(JSON.stringify(r.Properties?.Environment)).toContain('"PUSH_DEVICE_STALE_DAYS":"30"');
    expect(withEnv(s)).toEqual([]);
    expect(() => synth({ push: { apnsSecretArn: APNS, deviceStaleDays: 0 } })).toThrow(/1 to 365/);
  });

  it('sets PUSH_ID_ONLY and grants a partial secret ARN through its -?????? suffix', () => {
    const partial = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/apns';
    const x = synth({ push: { apnsSecretArn: partial, idOnly: true } });
    const fn = pushFunction(x);
    const secrets = statementsOf(x, fn).filter((st) =>
      actionsOf(st).includes('secretsmanager:GetSecretValue'),
    );
    expect(secrets.flatMap(resourcesOf)).toEqual([`${partial}-??????`]);
    x.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PUSH_ID_ONLY: 'true', PUSH_APNS_SECRET_ARN: partial }) },
    });
    expect(JSON.stringify(x.template.toJSON())).not.toContain('PUSH_FCM_SECRET_ARN');
  });
});

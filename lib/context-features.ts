/**
 * The optional features' settings from CDK context (the keys are listed in lib/context.ts): the
 * pre-send hook and push.
 */
import { checkDeviceStaleDays, type PushSettings } from './chat-stream.ts';
import { bool, type Lookup, str } from './context-values.ts';
import { checkPreSendHook, type PreSendHookSettings } from './pre-send-hook.ts';

/** The pre-send hook from context, or undefined when `preSendHook` is unset (its other keys then too). */
export function preSendHookFromContext(lookup: Lookup): PreSendHookSettings | undefined {
  const module = str(lookup, 'preSendHook');
  const others = ['preSendHookTimeoutMs', 'preSendHookFallback', 'preSendHookEnv'].filter(
    (k) => lookup(k) !== undefined && lookup(k) !== null && lookup(k) !== '',
  );
  if (!module) {
    if (others.length > 0) throw new Error(`${others.join(', ')} need preSendHook (cdk.json's context)`);
    return undefined;
  }
  const timeout = lookup('preSendHookTimeoutMs');
  const timeoutMs =
    timeout === undefined || timeout === null || timeout === ''
      ? undefined
      : Number(timeout as string | number);
  const fallback = str(lookup, 'preSendHookFallback');
  let environment = lookup('preSendHookEnv');
  if (typeof environment === 'string' && environment !== '') {
    try {
      environment = JSON.parse(environment);
    } catch {
      throw new Error('context preSendHookEnv is not valid JSON');
    }
  }
  if (environment !== undefined && environment !== null && environment !== '') {
    if (typeof environment !== 'object' || Array.isArray(environment)) {
      throw new Error('context preSendHookEnv must be an object of names and string values');
    }
  }
  const settings: PreSendHookSettings = {
    module,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(fallback === undefined ? {} : { fallback: fallback as 'allow' | 'deny' }),
    ...(environment && typeof environment === 'object'
      ? { environment: environment as Record<string, string> }
      : {}),
  };
  checkPreSendHook(settings);
  return settings;
}

/** Push settings from context, or undefined when no provider secret is configured. */
export function pushFromContext(lookup: Lookup): PushSettings | undefined {
  const apnsSecretArn = str(lookup, 'pushApnsSecretArn');
  const fcmSecretArn = str(lookup, 'pushFcmSecretArn');
  const idOnly = bool(lookup, 'pushIdOnly', false);
  const stale = lookup('pushDeviceStaleDays');
  const deviceStaleDays =
    stale === undefined || stale === null || stale === ''
      ? undefined
      : checkDeviceStaleDays(
          typeof stale === 'string' && /^\d+$/.test(stale) ? Number(stale) : stale,
          'context pushDeviceStaleDays',
        );
  for (const arn of [apnsSecretArn, fcmSecretArn]) {
    if (arn && !arn.startsWith('arn:')) throw new Error(`push secrets are given by ARN (got ${arn})`);
  }
  if (!apnsSecretArn && !fcmSecretArn) {
    if (idOnly || deviceStaleDays !== undefined)
      throw new Error(
        `${idOnly ? 'pushIdOnly' : 'pushDeviceStaleDays'} needs push: set pushApnsSecretArn and/or pushFcmSecretArn (cdk.json's context)`,
      );
    return undefined;
  }
  return {
    ...(apnsSecretArn ? { apnsSecretArn } : {}),
    ...(fcmSecretArn ? { fcmSecretArn } : {}),
    idOnly,
    ...(deviceStaleDays === undefined ? {} : { deviceStaleDays }),
  };
}

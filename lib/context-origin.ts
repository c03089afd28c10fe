/**
 * Where the settings of a synth came from. The CDK CLI hands the app one merged context: cdk.json's
 * "context", then `-c key=value` (and ~/.cdk.json). A `-c` counts for that one command, so a setting
 * the app was given that cdk.json does not hold is gone at the next deploy without it, silently
 * (docs/deploy.md, "Settings"): bin/app.ts warns, naming it.
 */
import { Annotations, type Stack } from 'aws-cdk-lib';
import type { Lookup } from './context-values.ts';

/** Every key lib/context.ts reads (test/cdk/settings-origin.test.ts keeps this list and deploy.md's in step). */
export const SETTING_KEYS = [
  'stackName',
  'destroyable',
  'stageName',
  'auth',
  'jwtIssuer',
  'jwtJwksUrl',
  'jwtAudience',
  'jwtAlgorithms',
  'jwtSecretArn',
  'jwtMaxLifetimeSeconds',
  'uploadMbPerDay',
  'textMbPerDay',
  'sesFromEmail',
  'sesFromName',
  'sesRegion',
  'sesVerifiedDomain',
  'logLevel',
  'alarmTopicArn',
  'dailyCostAlarmUsd',
  'reservedConcurrency',
  'detailedMetrics',
  'fanOutConcurrency',
  'tableEncryptionKey',
  'configureAccountLogging',
  'nag',
  'pushApnsSecretArn',
  'pushFcmSecretArn',
  'pushIdOnly',
  'pushDeviceStaleDays',
  'rolesClaim',
  'preSendHook',
  'preSendHookTimeoutMs',
  'preSendHookFallback',
  'preSendHookEnv',
] as const;

/** The warning of a synth given settings that cdk.json's context does not hold. */
export const SETTINGS_NOT_IN_CDK_JSON_WARNING = 'chat:settingsNotInCdkJson';

/** A value as `-c` gives it (a string) or cdk.json holds it (JSON), comparable either way. */
const comparable = (v: unknown): string =>
  typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);

/** The settings `lookup` has that `file` (cdk.json's context) does not hold with the same value. */
export function settingsNotInCdkJson(lookup: Lookup, file: Readonly<Record<string, unknown>>): string[] {
  return SETTING_KEYS.filter((key) => {
    const given = lookup(key);
    // `nag` only chooses the synth's checks: nothing deployed changes with it (`cdk synth -c nag=false`).
    if (given === undefined || key === 'nag') return false;
    return !(key in file) || comparable(given) !== comparable(file[key]);
  }).sort();
}

/** Warns on `stack` when the synth was given settings that cdk.json's context does not hold. */
export function warnSettingsNotInCdkJson(
  stack: Stack,
  lookup: Lookup,
  file: Readonly<Record<string, unknown>>,
): void {
  const keys = settingsNotInCdkJson(lookup, file);
  if (keys.length === 0) return;
  Annotations.of(stack).addWarningV2(
    SETTINGS_NOT_IN_CDK_JSON_WARNING,
    `${keys.join(', ')} ${keys.length === 1 ? 'is' : 'are'} not set so in cdk.json's context (given with -c?). ` +
      'A -c value is not remembered: the next deploy without it puts the setting back. ' +
      'Keep settings in cdk.json\'s "context" (docs/deploy.md, "Settings").',
  );
}

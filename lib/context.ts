/**
 * Stack settings from CDK context (`-c key=value` or cdk.json "context"), so that every option of
 * ChatStackProps can be chosen at deploy time:
 *
 * | key | meaning |
 * |---|---|
 * | `stackName` | stack name (default `ServerlessChat`) |
 * | `destroyable` | `true`: a throwaway dev stack, deleted entirely by `cdk destroy` |
 * | `stageName` | stage name (default `prod`) |
 * | `auth` | `cognito` (default), `oidc` or `hs256`; inferred from `jwtJwksUrl` / `jwtSecretArn` when unset |
 * | `jwtIssuer`, `jwtJwksUrl`, `jwtAudience`, `jwtAlgorithms` | the OIDC issuer (`jwtAlgorithms`: comma list, default RS256) |
 * | `jwtSecretArn` | hs256: an existing secret (default: the stack creates one); `jwtIssuer`/`jwtAudience` optional |
 * | `logLevel` | `DEBUG`, `INFO` (default), `WARN` or `ERROR` |
 * | `alarmTopicArn` | SNS topic for alarm notifications |
 * | `configureAccountLogging` | `false` when the account already has API Gateway's CloudWatch Logs role |
 * | `nag` | `false` skips the cdk-nag checks at synth (bin/app.ts) |
 * | `pushApnsSecretArn`, `pushFcmSecretArn` | push: Secrets Manager secrets of the APNs key and the FCM service account (docs/push.md); without either, no push |
 * | `pushIdOnly` | `true`: pushes carry ids only (no text or names through Apple or Google) |
 */
import type { Node } from 'constructs';
import type { AuthConfig } from './auth.ts';
import type { LogLevel } from './chat-function.ts';
import type { ChatStackProps } from './chat-stack.ts';
import type { PushSettings } from './chat-stream.ts';

export const DEFAULT_STACK_NAME = 'ServerlessChat';

export interface ContextSettings {
  readonly stackName: string;
  readonly nag: boolean;
  readonly props: ChatStackProps;
}

type Lookup = (key: string) => unknown;

function str(lookup: Lookup, key: string): string | undefined {
  const v = lookup(key);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new Error(`context ${key} must be a string`);
  return v;
}

function bool(lookup: Lookup, key: string, fallback: boolean): boolean {
  const v = lookup(key);
  if (v === undefined || v === null || v === '') return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new Error(`context ${key} must be true or false`);
}

export function authFromContext(lookup: Lookup): AuthConfig {
  const jwksUrl = str(lookup, 'jwtJwksUrl');
  const secretArn = str(lookup, 'jwtSecretArn');
  const issuer = str(lookup, 'jwtIssuer');
  const audience = str(lookup, 'jwtAudience');
  const mode = str(lookup, 'auth') ?? (jwksUrl ? 'oidc' : secretArn ? 'hs256' : 'cognito');
  switch (mode) {
    case 'cognito':
      if (jwksUrl || secretArn) throw new Error('auth=cognito takes no jwtJwksUrl or jwtSecretArn');
      return { mode };
    case 'oidc': {
      if (!issuer || !jwksUrl || !audience) {
        throw new Error('auth=oidc requires -c jwtIssuer=… -c jwtJwksUrl=… -c jwtAudience=…');
      }
      const algorithms = str(lookup, 'jwtAlgorithms')
        ?.split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      return { mode, issuer, jwksUrl, audience, ...(algorithms ? { algorithms } : {}) };
    }
    case 'hs256':
      return {
        mode,
        ...(secretArn ? { secretArn } : {}),
        ...(issuer ? { issuer } : {}),
        ...(audience ? { audience } : {}),
      };
    default:
      throw new Error(`context auth must be cognito, oidc or hs256 (got ${mode})`);
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Reads the stack settings from a construct's context (usually the App's). */
export function settingsFromContext(node: Node): ContextSettings {
  const lookup: Lookup = (key) => node.tryGetContext(key);
  const logLevel = str(lookup, 'logLevel')?.toUpperCase();
  if (logLevel && !LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new Error(`context logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const stageName = str(lookup, 'stageName');
  const alarmTopicArn = str(lookup, 'alarmTopicArn');
  const push = pushFromContext(lookup);
  return {
    stackName: str(lookup, 'stackName') ?? DEFAULT_STACK_NAME,
    nag: bool(lookup, 'nag', true),
    props: {
      auth: authFromContext(lookup),
      destroyable: bool(lookup, 'destroyable', false),
      configureAccountLogging: bool(lookup, 'configureAccountLogging', true),
      ...(stageName ? { stageName } : {}),
      ...(alarmTopicArn ? { alarmTopicArn } : {}),
      ...(logLevel ? { logLevel: logLevel as LogLevel } : {}),
      ...(push ? { push } : {}),
    },
  };
}

/** Push settings from context, or undefined when no provider secret is configured. */
export function pushFromContext(lookup: Lookup): PushSettings | undefined {
  const apnsSecretArn = str(lookup, 'pushApnsSecretArn');
  const fcmSecretArn = str(lookup, 'pushFcmSecretArn');
  const idOnly = bool(lookup, 'pushIdOnly', false);
  for (const arn of [apnsSecretArn, fcmSecretArn]) {
    if (arn && !arn.startsWith('arn:')) throw new Error(`push secrets are given by ARN (got ${arn})`);
  }
  if (!apnsSecretArn && !fcmSecretArn) {
    if (idOnly)
      throw new Error('pushIdOnly needs push: set -c pushApnsSecretArn=… and/or -c pushFcmSecretArn=…');
    return undefined;
  }
  return { ...(apnsSecretArn ? { apnsSecretArn } : {}), ...(fcmSecretArn ? { fcmSecretArn } : {}), idOnly };
}

/**
 * Stack settings from CDK context, so that the deploy-time options of ChatStackProps can be chosen
 * without code. Keep them in cdk.json's "context" (docs/deploy.md, "Settings"): the CLI merges it into
 * every synth, while a `-c key=value` counts for that one command only, and a deploy without it puts
 * the setting back to cdk.json's value or the default.
 *
 * | key | meaning |
 * |---|---|
 * | `stackName` | stack name (default `ServerlessChat`) |
 * | `destroyable` | `true`: a throwaway dev stack, deleted entirely by `cdk destroy` |
 * | `stageName` | stage name (default `prod`) |
 * | `auth` | `cognito` (default), `oidc` or `hs256`; inferred from `jwtJwksUrl` / `jwtSecretArn` when unset; a key the mode does not use stops the synth |
 * | `jwtIssuer`, `jwtJwksUrl`, `jwtAudience`, `jwtAlgorithms` | oidc: the issuer, all three required (`jwtAlgorithms`: comma list, default RS256) |
 * | `jwtSecretArn` | hs256: an existing secret (default: the stack creates one); `jwtIssuer`/`jwtAudience` optional |
 * | `jwtMaxLifetimeSeconds` | the longest token lifetime the authorizer accepts (default 86400, at most 604800) |
 * | `uploadMbPerDay` | MB of uploads one user may request in 24 hours (default 2048; 200–1048576) |
 * | `textMbPerDay` | MB of messages one user may store in a UTC day, by sendMessage and by scheduleMessage each (default 100; 1–1048576) |
 * | `logLevel` | `DEBUG`, `INFO` (default), `WARN` or `ERROR` |
 * | `alarmTopicArn` | SNS topic for alarm notifications |
 * | `configureAccountLogging` | `false` when the account already has API Gateway's CloudWatch Logs role |
 * | `sesFromEmail`, `sesFromName`, `sesRegion`, `sesVerifiedDomain` | cognito: send the pool's mail through SES |
 * | `tableEncryptionKey` | `true` (create a customer managed KMS key) or a key ARN; default an AWS owned key |
 * | `reservedConcurrency` | a number (every function) or JSON such as `{"*":20,"SendMessage":100}` |
 * | `detailedMetrics` | `false` turns off per-route stage metrics |
 * | `dailyCostAlarmUsd` | the cost and media downloads alarms' daily budget in USD (default 10; 0 turns them off) |
 * | `fanOutConcurrency` | posts a function keeps in flight when it pushes events (default 64; 1–1000) |
 * | `nag` | `false` skips the cdk-nag checks at synth (bin/app.ts) |
 * | `pushApnsSecretArn`, `pushFcmSecretArn` | push: Secrets Manager secrets of the APNs key and the FCM service account (docs/push.md); without either, no push |
 * | `pushIdOnly` | `true`: pushes carry ids only (no text or names through Apple or Google) |
 * | `pushDeviceStaleDays` | days a device stays live after its app last registered it (default 60; 1–365) |
 * | `rolesClaim` | claims naming a user's roles, comma list (default `roles,cognito:groups`); `admin` = administrator |
 * | `preSendHook` | a pre-send hook module, relative to the repository (e.g. `hooks/word-filter.ts`), bundled into the functions that send (docs/hooks.md) |
 * | `preSendHookTimeoutMs`, `preSendHookFallback` | the hook's timeout (ms, default 300, at most 5000) and what a hook that times out or fails answers (`allow`, default, or `deny`) |
 * | `preSendHookEnv` | the hook's own settings: JSON such as `{"WORD_FILTER_DENY":"spam,scam"}` |
 */
import type { Node } from 'constructs';
import { type AuthConfig, type CognitoSesEmail, checkMaxTokenLifetime, checkSecretArn } from './auth.ts';
import type { LogLevel } from './chat-function.ts';
import { checkUploadMbPerDay } from './chat-media.ts';
import type { ChatStackProps } from './chat-stack.ts';
import { preSendHookFromContext, pushFromContext } from './context-features.ts';
import { bool, type Lookup, str } from './context-values.ts';
import { checkTextMbPerDay } from './text-budget.ts';

export const DEFAULT_STACK_NAME = 'ServerlessChat';

export interface ContextSettings {
  readonly stackName: string;
  readonly nag: boolean;
  readonly props: ChatStackProps;
}

const OIDC_KEYS = ['jwtIssuer', 'jwtJwksUrl', 'jwtAudience'] as const;
const SES_KEYS = ['sesFromEmail', 'sesFromName', 'sesRegion', 'sesVerifiedDomain'] as const;
/** The auth keys each mode reads; any other auth key stops the synth (it would be ignored). */
const MODE_KEYS = {
  cognito: SES_KEYS,
  oidc: [...OIDC_KEYS, 'jwtAlgorithms'],
  hs256: ['jwtSecretArn', 'jwtIssuer', 'jwtAudience'],
} as const;
const AUTH_KEYS = [...OIDC_KEYS, 'jwtAlgorithms', 'jwtSecretArn', ...SES_KEYS] as const;
const FIX = "remove them from cdk.json's context (and the command line), or choose the mode that uses them";

/**
 * `auth` and its keys. A key the chosen mode would not use is refused, naming it, as are OIDC keys
 * without the ones they need: ignored, they deployed another mode than meant (`jwtIssuer` and
 * `jwtAudience` without `jwtJwksUrl` used to make a Cognito pool) or skipped a check asked for.
 */
export function authFromContext(lookup: Lookup): AuthConfig {
  const given = (keys: readonly string[]) => keys.filter((k) => str(lookup, k) !== undefined);
  const oidcOnly = given(['jwtJwksUrl', 'jwtAlgorithms']);
  const secretArn = str(lookup, 'jwtSecretArn');
  const issuer = str(lookup, 'jwtIssuer');
  const audience = str(lookup, 'jwtAudience');
  let mode = str(lookup, 'auth');
  if (mode === undefined) {
    if (oidcOnly.length > 0 && secretArn) {
      throw new Error(
        `context jwtSecretArn (auth=hs256) and ${oidcOnly.join(', ')} (auth=oidc) exclude each other: ` +
          'keep the keys of one mode',
      );
    }
    mode = oidcOnly.length > 0 ? 'oidc' : secretArn ? 'hs256' : 'cognito';
    const stray = given(['jwtIssuer', 'jwtAudience']);
    if (mode === 'cognito' && stray.length > 0) {
      throw new Error(
        `context ${stray.join(', ')} are not used by auth=cognito (the default): for an OIDC issuer ` +
          'add jwtJwksUrl (auth=oidc), for HS256 set auth=hs256',
      );
    }
  }
  if (!Object.hasOwn(MODE_KEYS, mode))
    throw new Error(`context auth must be cognito, oidc or hs256 (got ${mode})`);
  const uses: readonly string[] = MODE_KEYS[mode as keyof typeof MODE_KEYS];
  const unused = given(AUTH_KEYS.filter((k) => !uses.includes(k)));
  if (unused.length > 0) throw new Error(`context auth=${mode} does not use ${unused.join(', ')}: ${FIX}`);
  switch (mode) {
    case 'oidc': {
      const jwksUrl = str(lookup, 'jwtJwksUrl');
      if (!issuer || !jwksUrl || !audience) {
        const missing = OIDC_KEYS.filter((k) => str(lookup, k) === undefined);
        throw new Error(`context auth=oidc needs ${missing.join(', ')} (the issuer's iss, jwks_uri and aud)`);
      }
      const algorithms = str(lookup, 'jwtAlgorithms')
        ?.split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      return { mode, issuer, jwksUrl, audience, ...(algorithms ? { algorithms } : {}) };
    }
    case 'hs256':
      if (secretArn) checkSecretArn(secretArn);
      return {
        mode,
        ...(secretArn ? { secretArn } : {}),
        ...(issuer ? { issuer } : {}),
        ...(audience ? { audience } : {}),
      };
    default: {
      const email = sesFromContext(lookup);
      return { mode: 'cognito', ...(email ? { email } : {}) };
    }
  }
}

function sesFromContext(lookup: Lookup): CognitoSesEmail | undefined {
  const fromEmail = str(lookup, 'sesFromEmail');
  const others = ['sesFromName', 'sesRegion', 'sesVerifiedDomain'].filter((k) => str(lookup, k));
  if (!fromEmail) {
    if (others.length > 0) throw new Error(`${others.join(', ')} need sesFromEmail (cdk.json's context)`);
    return undefined;
  }
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(fromEmail))
    throw new Error('sesFromEmail must be an e-mail address');
  const fromName = str(lookup, 'sesFromName');
  const sesRegion = str(lookup, 'sesRegion');
  const sesVerifiedDomain = str(lookup, 'sesVerifiedDomain');
  return {
    fromEmail,
    ...(fromName ? { fromName } : {}),
    ...(sesRegion ? { sesRegion } : {}),
    ...(sesVerifiedDomain ? { sesVerifiedDomain } : {}),
  };
}

function count(key: string, v: unknown): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new Error(`context ${key} must be a whole number of 0 or more (got ${JSON.stringify(v)})`);
  }
  return n;
}

/** `reservedConcurrency`: a number for every function, or an object (or its JSON) by function name. */
export function concurrencyFromContext(lookup: Lookup): Record<string, number> | undefined {
  let v = lookup('reservedConcurrency');
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && v.trim().startsWith('{')) {
    try {
      v = JSON.parse(v);
    } catch {
      throw new Error('context reservedConcurrency is not valid JSON');
    }
  }
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.entries(v).map(([name, n]) => [name, count(`reservedConcurrency.${name}`, n)]),
    );
  }
  return { '*': count('reservedConcurrency', v) };
}

/** `tableEncryptionKey`: `true`/`false`, or the ARN of an existing KMS key. */
function tableKeyFromContext(lookup: Lookup): boolean | string | undefined {
  const v = lookup('tableEncryptionKey');
  if (v === undefined || v === null || v === '' || v === false || v === 'false') return undefined;
  if (v === true || v === 'true') return true;
  if (typeof v === 'string' && /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(v)) return v;
  throw new Error('context tableEncryptionKey must be true, false or a KMS key ARN (arn:aws:kms:…:key/…)');
}

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Reads the stack settings from a construct's context (usually the App's). */
export function settingsFromContext(node: Node): ContextSettings {
  return settingsFromLookup((key) => node.tryGetContext(key));
}

/** The stack settings from a context lookup (every key it reads is in lib/context-origin.ts). */
export function settingsFromLookup(lookup: Lookup): ContextSettings {
  const logLevel = str(lookup, 'logLevel')?.toUpperCase();
  if (logLevel && !LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new Error(`context logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const stageName = str(lookup, 'stageName');
  const alarmTopicArn = str(lookup, 'alarmTopicArn');
  const reservedConcurrency = concurrencyFromContext(lookup);
  const tableEncryptionKey = tableKeyFromContext(lookup);
  const cost = lookup('dailyCostAlarmUsd');
  const dailyCostAlarmUsd =
    cost === undefined || cost === null || cost === '' ? undefined : Number(cost as string | number);
  if (dailyCostAlarmUsd !== undefined && !(dailyCostAlarmUsd >= 0)) {
    throw new Error('context dailyCostAlarmUsd must be a number of dollars (0 turns the alarm off)');
  }
  const fanOut = lookup('fanOutConcurrency');
  const fanOutConcurrency =
    fanOut === undefined || fanOut === null || fanOut === ''
      ? undefined
      : typeof fanOut === 'number' || typeof fanOut === 'string'
        ? Number(fanOut)
        : Number.NaN;
  if (
    fanOutConcurrency !== undefined &&
    !(Number.isInteger(fanOutConcurrency) && fanOutConcurrency >= 1 && fanOutConcurrency <= 1000)
  ) {
    throw new Error(
      `context fanOutConcurrency must be a whole number of posts in flight, 1–1000 (got ${JSON.stringify(fanOut)})`,
    );
  }
  const jwtMaxLifetimeSeconds = maxTokenLifetimeFromContext(lookup);
  const uploads = lookup('uploadMbPerDay');
  const uploadMbPerDay =
    uploads === undefined || uploads === null || uploads === ''
      ? undefined
      : checkUploadMbPerDay(uploads, 'context uploadMbPerDay');
  const text = lookup('textMbPerDay');
  const textMbPerDay =
    text === undefined || text === null || text === ''
      ? undefined
      : checkTextMbPerDay(text, 'context textMbPerDay');
  const push = pushFromContext(lookup);
  const preSendHook = preSendHookFromContext(lookup);
  return {
    stackName: str(lookup, 'stackName') ?? DEFAULT_STACK_NAME,
    nag: bool(lookup, 'nag', true),
    props: {
      auth: authFromContext(lookup),
      ...(str(lookup, 'rolesClaim') ? { rolesClaim: str(lookup, 'rolesClaim') } : {}),
      ...(jwtMaxLifetimeSeconds === undefined ? {} : { jwtMaxLifetimeSeconds }),
      ...(uploadMbPerDay === undefined ? {} : { uploadMbPerDay }),
      ...(textMbPerDay === undefined ? {} : { textMbPerDay }),
      destroyable: bool(lookup, 'destroyable', false),
      configureAccountLogging: bool(lookup, 'configureAccountLogging', true),
      ...(stageName ? { stageName } : {}),
      ...(alarmTopicArn ? { alarmTopicArn } : {}),
      ...(logLevel ? { logLevel: logLevel as LogLevel } : {}),
      ...(reservedConcurrency ? { reservedConcurrency } : {}),
      ...(tableEncryptionKey ? { tableEncryptionKey } : {}),
      ...(lookup('detailedMetrics') === undefined
        ? {}
        : { detailedMetrics: bool(lookup, 'detailedMetrics', true) }),
      ...(dailyCostAlarmUsd === undefined ? {} : { dailyCostAlarmUsd }),
      ...(fanOutConcurrency === undefined ? {} : { fanOutConcurrency }),
      ...(push ? { push } : {}),
      ...(preSendHook ? { preSendHook } : {}),
    },
  };
}

/** `jwtMaxLifetimeSeconds`: a number, or its digits as a string (`-c jwtMaxLifetimeSeconds=3600`). */
function maxTokenLifetimeFromContext(lookup: Lookup): number | undefined {
  const v = lookup('jwtMaxLifetimeSeconds');
  if (v === undefined || v === null || v === '') return undefined;
  const seconds = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return checkMaxTokenLifetime(seconds, 'context jwtMaxLifetimeSeconds');
}

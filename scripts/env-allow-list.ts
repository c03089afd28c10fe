/**
 * What the environment check (scripts/check-env.ts) accepts beyond the synthesized definitions: the
 * variables Lambda's runtime sets, the variables of optional settings (checked only where the setting
 * is on), and the allow-list: variables the local stack or a test sets that have no counterpart on AWS
 * on purpose, each with its reason. Keep the list short; an entry no recorded use needs fails the check
 * as stale.
 */
import { PRE_SEND_HOOK_ENV } from '../lambdas/domain/hooks.ts';
import {
  DEVICE_STALE_DAYS_ENV,
  FANOUT_CONCURRENCY_ENV,
  PRESENCE_WINDOW_ENV,
  RETENTION_FINISH_DELAY_ENV,
} from '../lambdas/shared/config.ts';
import { RATE_LIMIT_FACTOR_ENV, RATE_LIMIT_WINDOW_ENV } from '../lambdas/shared/rate-limits.ts';
import {
  MAX_BLOCKS_ENV,
  MAX_CHATS_ENV,
  MAX_REPORTS_ENV,
  MAX_SOCKETS_ENV,
  TEXT_MB_PER_DAY_ENV,
  UPLOAD_MB_PER_DAY_ENV,
} from '../lambdas/shared/user-caps.ts';
import type { ChatStackProps } from '../lib/chat-stack.ts';
import { S3_ENDPOINT_ENV } from '../lib/media.ts';
import type { EnvAllowListEntry } from './env-check.ts';

/**
 * Set by Lambda in every function (docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html,
 * "Defined runtime environment variables").
 */
export const RUNTIME_ENV: ReadonlySet<string> = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
  'TZ',
]);

/** A deployment setting that gives functions variables only when it is on. */
export interface EnvFeature {
  readonly variables: readonly string[];
  readonly on: (props: ChatStackProps) => boolean;
}

const jwks = (p: ChatStackProps) => (p.auth?.mode ?? 'cognito') !== 'hs256';

export const ENV_FEATURES: Readonly<Record<string, EnvFeature>> = {
  preSendHook: { variables: [PRE_SEND_HOOK_ENV.module], on: (p) => p.preSendHook !== undefined },
  preSendHookTimeoutMs: {
    variables: [PRE_SEND_HOOK_ENV.timeoutMs],
    on: (p) => p.preSendHook?.timeoutMs !== undefined,
  },
  preSendHookFallback: {
    variables: [PRE_SEND_HOOK_ENV.fallback],
    on: (p) => p.preSendHook?.fallback !== undefined,
  },
  fanOutConcurrency: { variables: [FANOUT_CONCURRENCY_ENV], on: (p) => p.fanOutConcurrency !== undefined },
  uploadMbPerDay: { variables: [UPLOAD_MB_PER_DAY_ENV], on: (p) => p.uploadMbPerDay !== undefined },
  textMbPerDay: { variables: [TEXT_MB_PER_DAY_ENV], on: (p) => p.textMbPerDay !== undefined },
  deviceStaleDays: {
    variables: [DEVICE_STALE_DAYS_ENV],
    on: (p) => p.push?.deviceStaleDays !== undefined,
  },
  rolesClaim: { variables: ['ROLES_CLAIM'], on: (p) => p.rolesClaim !== undefined },
  jwtMaxLifetimeSeconds: {
    variables: ['JWT_MAX_LIFETIME_SECONDS'],
    on: (p) => p.jwtMaxLifetimeSeconds !== undefined,
  },
  // Cognito and OIDC verify with the issuer's keys; HS256 with the secret, issuer and audience optional.
  jwks: { variables: ['JWT_JWKS_URL', 'JWT_ALGORITHMS'], on: jwks },
  issuer: {
    variables: ['JWT_ISSUER'],
    on: (p) => jwks(p) || (p.auth?.mode === 'hs256' && p.auth.issuer !== undefined),
  },
  audience: {
    variables: ['JWT_AUDIENCE'],
    on: (p) => jwks(p) || (p.auth?.mode === 'hs256' && p.auth.audience !== undefined),
  },
  hs256: { variables: ['JWT_SECRET_ARN'], on: (p) => p.auth?.mode === 'hs256' },
};

/** A variable → the optional setting that sets it. */
export const FEATURE_OF: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ENV_FEATURES).flatMap(([feature, f]) => f.variables.map((name) => [name, feature])),
);

/** A tuning knob: a default in the code, which the stack leaves alone; tests set it to reach a path. */
const knob = (name: string, why: string): EnvAllowListEntry => ({
  fn: '*',
  name,
  reason: `a tuning knob the stack leaves unset (the code's default applies on AWS); ${why}`,
});

export const ENV_ALLOW_LIST: readonly EnvAllowListEntry[] = [
  {
    fn: '*',
    name: 'DYNAMODB_ENDPOINT',
    reason: 'DynamoDB Local’s address (local/stack.ts); on AWS the SDK’s regional endpoint applies.',
  },
  {
    fn: '*',
    name: S3_ENDPOINT_ENV,
    reason:
      'the local S3 stand-in’s address; on AWS the bucket’s regional domain (MEDIA_BUCKET_DOMAIN) applies.',
  },
  {
    fn: '$authorizer',
    name: 'JWT_SECRET',
    reason:
      'the local stack’s HS256 key, passed directly; on AWS hs256 reads it from Secrets Manager (JWT_SECRET_ARN, ' +
      'the hs256 setting) and the JWKS modes need none.',
  },
  ...['PUSH_APNS_CREDENTIALS', 'PUSH_FCM_CREDENTIALS'].flatMap((name) =>
    ['stream:push', 'PushWorker'].map((fn) => ({
      fn,
      name,
      reason:
        'the local push stand-ins’ credentials, passed inline (local/push); on AWS they come from the secrets ' +
        'that PUSH_APNS_SECRET_ARN and PUSH_FCM_SECRET_ARN name.',
    })),
  ),
  ...['PUSH_APNS_ENDPOINT', 'PUSH_FCM_ENDPOINT'].flatMap((name) =>
    ['stream:push', 'PushWorker'].map((fn) => ({
      fn,
      name,
      reason:
        'the local push stand-ins’ addresses; on AWS the providers’ own hosts (lambdas/push/config.ts).',
    })),
  ),
  knob(RATE_LIMIT_FACTOR_ENV, 'benchmarks and the rate-limit tests scale every limit with it (default 1).'),
  knob(
    RATE_LIMIT_WINDOW_ENV,
    'the client’s rate-limit test shortens every window, not to wait out a minute.',
  ),
  knob(MAX_SOCKETS_ENV, 'the socket cap’s tests lower it.'),
  knob(MAX_CHATS_ENV, 'the membership cap’s tests lower it.'),
  knob(MAX_BLOCKS_ENV, 'the block cap’s tests lower it.'),
  knob(MAX_REPORTS_ENV, 'the daily report cap’s tests lower it.'),
  knob('FANOUT_QUEUE_THRESHOLD', 'the fan-out queue’s tests lower it to queue small groups’ events.'),
  knob('FANOUT_JOB_SIZE', 'the fan-out queue’s tests lower it to split small groups into jobs.'),
  knob('PUSH_JOB_SIZE', 'the push worker’s tests lower it to queue small groups’ notifications.'),
  knob(PRESENCE_WINDOW_ENV, 'the presence budget’s tests shorten its window.'),
  knob('RETENTION_PAGE_SIZE', 'the retention tests page small chats.'),
  knob('RETENTION_MAX_PAGES', 'the retention tests cut a job after a page to queue its continuation.'),
  knob(
    RETENTION_FINISH_DELAY_ENV,
    'the deletion and retention tests shorten the delay of a deletion’s finish and retention jobs.',
  ),
];

/**
 * The synthesized variants the after-test checks read (scripts/check-iam.ts proves their IAM policies,
 * scripts/check-env.ts their functions' environments) and each variant's functions under the names
 * their invocations carry at run time (route key, `$authorizer`, `stream:<consumer>`, a worker's or a
 * scheduled function's name): the names the AWS call and environment recorders file uses under.
 */
import { Annotations, App } from 'aws-cdk-lib';
import { streamFunctionName } from '../lambdas/pipeline/stream.ts';
import { AUTHORIZER_FN } from '../lambdas/shared/call-recorder.ts';
import type { ChatFunction } from '../lib/chat-function.ts';
import { ChatStack, type ChatStackProps, NO_ALARM_TOPIC_WARNING } from '../lib/chat-stack.ts';
import { FEATURE_FLAGS } from '../lib/feature-flags.ts';
import { SCHEDULED_FUNCTIONS } from '../lib/scheduled-functions.ts';
import { STREAM_CONSUMERS } from '../lib/stream-consumers.ts';

const PUSH_SECRETS = {
  apnsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/apns-AbCdEf',
  fcmSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/fcm-GhIjKl',
};

export const VARIANTS: Readonly<Record<string, ChatStackProps>> = {
  cognito: { auth: { mode: 'cognito' } },
  oidc: {
    auth: {
      mode: 'oidc',
      issuer: 'https://issuer.example.com/',
      jwksUrl: 'https://issuer.example.com/.well-known/jwks.json',
      audience: 'chat',
    },
  },
  hs256: { auth: { mode: 'hs256' } },
  'customer-managed-key': { auth: { mode: 'cognito' }, tableEncryptionKey: true },
  // Push deploys only with a provider secret: its stream consumer and worker exist in these two alone.
  push: { auth: { mode: 'cognito' }, push: PUSH_SECRETS },
  // And with a customer managed table key: the push functions' table and KMS statements as that
  // deploy gets them (their KMS grants are taken as used, not proven: scripts/iam-check.ts).
  'push-customer-managed-key': { auth: { mode: 'cognito' }, push: PUSH_SECRETS, tableEncryptionKey: true },
};

/** Builds one variant's stack in-process (no bundling, no assembly written). */
export function synthesizeStack(props: ChatStackProps, id = 'IamCheck'): ChatStack {
  const app = new App({
    context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] },
    // The templates' validity is test/cdk/cfn-lint.test.ts's: the checks read policies and environments.
    builtinCloudFormationValidation: false,
  });
  const stack = new ChatStack(app, id, props);
  // Read for its policies and environments only: that its alarms notify nobody is no news here.
  Annotations.of(stack).acknowledgeWarning(
    NO_ALARM_TOPIC_WARNING,
    'Synthesized for the after-test checks only.',
  );
  return stack;
}

/** Every function of the stack, by the name its invocations carry. */
export function namedFunctions(stack: ChatStack): (readonly [string, ChatFunction])[] {
  return [
    [AUTHORIZER_FN, stack.chatApi.authorizerFunction] as const,
    ...[...stack.chatApi.functions].map(([routeKey, fn]) => [routeKey, fn] as const),
    ...STREAM_CONSUMERS.flatMap((def) => {
      const fn = stack.streams.functions.get(def.name);
      return fn ? [[streamFunctionName(def.consumerName), fn] as const] : [];
    }),
    // Not routes: their invocation scopes carry these names.
    [SCHEDULED_FUNCTIONS.sweeper.name, stack.scheduled.sweeper] as const,
    [SCHEDULED_FUNCTIONS.dispatcher.name, stack.scheduled.dispatcher] as const,
    // Queue workers (lib/workers.ts): their scope names them like a route key names a route.
    [stack.fanOutWorker.definition.name, stack.fanOutWorker.worker] as const,
    [stack.retentionWorker.definition.name, stack.retentionWorker.worker] as const,
    ...(stack.streams.pushWorker
      ? [[stack.streams.pushWorker.definition.name, stack.streams.pushWorker.worker] as const]
      : []),
  ];
}

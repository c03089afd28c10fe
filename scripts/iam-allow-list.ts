/**
 * Grants the IAM check (scripts/check-iam.ts) keeps although no test suite makes the call: each one is
 * needed only on a path the local stack cannot reach, and says why. Keep this list short; an entry that
 * no synthesized variant uses any more fails the check as stale.
 */
import { DUE_QUEUE_NAME, SCHEDULED_FUNCTIONS } from '../lib/scheduled-functions.ts';
import type { AllowListEntry } from './iam-check.ts';

/** What Lambda's SQS event source mapping does with the function's role (never the function's code). */
const EVENT_SOURCE_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
];

export const IAM_ALLOW_LIST: readonly AllowListEntry[] = [
  {
    fn: '$authorizer',
    action: 'secretsmanager:GetSecretValue',
    resource: 'secret',
    reason:
      'auth=hs256 reads the signing key from Secrets Manager at cold start (lambdas/auth/secret.ts); the local ' +
      'stack passes JWT_SECRET directly, and test/unit/authorizer.test.ts covers loadSecret with a mocked client.',
  },
  ...EVENT_SOURCE_ACTIONS.map((action) => ({
    fn: SCHEDULED_FUNCTIONS.dispatcher.name,
    action,
    resource: `queue:${DUE_QUEUE_NAME}`,
    reason:
      'the SQS event source mapping polls the due queue and deletes handled messages with the dispatcher’s role ' +
      '(lib/scheduled-messages.ts); the handler never calls SQS for it, and locally local/scheduler.ts delivers the batches.',
  })),
];

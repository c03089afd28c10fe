/**
 * Grants the IAM check (scripts/check-iam.ts) keeps although no test suite makes the call: each one is
 * needed only on a path the local stack cannot reach, and says why. Keep this list short; an entry that
 * no synthesized variant uses any more fails the check as stale. A grant under a `dynamodb:LeadingKeys`
 * condition is kept per pattern: the entry names it (`leadingKey: 'ROSTER#*'`); narrow the grant
 * instead unless the code really needs that pair on a path no test reaches.
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
      'auth=hs256 reads the signing key from Secrets Manager at cold start and after a rotation (lambdas/auth/' +
      'secret.ts, rotating.ts); the local stack passes JWT_SECRET directly, and test/unit/authorizer.test.ts and ' +
      'authorizer-rotation.test.ts cover them with a mocked client.',
  },
  ...(
    [
      ['dynamodb:DescribeStream', 'table/stream'],
      ['dynamodb:GetRecords', 'table/stream'],
      ['dynamodb:GetShardIterator', 'table/stream'],
      ['dynamodb:ListStreams', 'table/stream/*'],
    ] as const
  ).map(([action, resource]) => ({
    fn: 'stream:push',
    action,
    resource,
    reason:
      "Lambda's event source mapping reads the table's stream with the function's role, not the function " +
      'code; locally the stream poller (local/streams.ts) does the reading and hands the handler the same events.',
  })),
  ...(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'] as const).map((action) => ({
    fn: 'stream:push',
    action,
    resource: 'queue/PushFailures',
    reason:
      "Lambda sends records that exhausted their retries to the on-failure queue with the function's role; " +
      'locally the stream poller dead-letters them itself (test/e2e/stream-poller.test.ts).',
  })),
  {
    fn: 'PushWorker',
    action: 'secretsmanager:GetSecretValue',
    resource: 'secret',
    reason:
      'Reads the APNs and FCM credentials from Secrets Manager at cold start, as the push function does ' +
      '(lambdas/push/config.ts); the local stack passes the stand-ins’ credentials in PUSH_*_CREDENTIALS.',
  },
  {
    // The code needs the pair; the suites reach it through the push function only.
    fn: 'PushWorker',
    action: 'dynamodb:UpdateItem',
    resource: 'table',
    leadingKey: 'TOKEN#*',
    reason:
      'a device stored before devices had a TTL gets its window with its token owner item (lambdas/push/devices-now.ts), ' +
      'in the planning the worker shares with the push function; test/e2e/push-legacy-device.test.ts meets such a ' +
      'device through the push function only (its jobs are for groups of more than 200 recipients).',
  },
  {
    fn: 'stream:push',
    action: 'secretsmanager:GetSecretValue',
    resource: 'secret',
    reason:
      'Reads the APNs and FCM credentials from Secrets Manager at cold start (lambdas/push/config.ts); the ' +
      'local stack passes the stand-ins’ credentials in PUSH_*_CREDENTIALS, and test/unit/push/payload.test.ts covers the ' +
      'secret-reading path with a stub reader.',
  },
  ...EVENT_SOURCE_ACTIONS.map((action) => ({
    fn: SCHEDULED_FUNCTIONS.dispatcher.name,
    action,
    resource: `queue/${DUE_QUEUE_NAME}`,
    reason:
      'the SQS event source mapping polls the due queue and deletes handled messages with the dispatcher’s role ' +
      '(lib/scheduled-messages.ts); the handler never calls SQS for it, and locally local/scheduler.ts delivers the batches.',
  })),
  // The queue workers' event source mappings (lib/queue-worker.ts): Lambda's poller reads and deletes
  // the queue's messages with the function's role, never the handler; locally the SQS stand-in
  // (local/queue.ts) invokes the worker itself. The push and fan-out workers' handlers use the
  // mapping's ChangeMessageVisibility themselves (a failed job's backoff, lambdas/queue/retry-later.ts):
  // test/e2e/push-jobs.test.ts and test/fault/connection-lookup.test.ts make that call.
  ...['FanOutWorker', 'RetentionWorker', 'PushWorker'].flatMap((fn) =>
    ['ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes', 'GetQueueUrl']
      .filter(
        (action) => !(action === 'ChangeMessageVisibility' && ['PushWorker', 'FanOutWorker'].includes(fn)),
      )
      .map(
        (action): AllowListEntry => ({
          fn,
          action: `sqs:${action}`,
          resource: `queue/${fn}`,
          reason:
            "Lambda's SQS event source mapping polls with the worker's role (CDK's SqsEventSource grants it); the " +
            'local stand-in invokes the worker directly, so no handler ever makes this call.',
        }),
      ),
  ),
];

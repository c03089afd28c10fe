/**
 * The retention queue and its worker as CloudFormation (lib/queue-worker.ts from lib/workers.ts
 * `RETENTION_WORKER`): an encrypted, TLS-only queue with a dead-letter queue and alarms, a worker that
 * may read and update `CHAT#…` partitions, delete the media bucket's `chats/*` objects (a deleted
 * chat's uploads), send to its own queue (continuation jobs) and, to finish a deletion interrupted
 * after its mark, delete its memberships, roster and pair pointer and post `chat.deleted`; and
 * `deleteChat` and `removeMember` as its only producers.
 */
import { describe, expect, it } from 'vitest';
import { MEDIA_BUCKET_DOMAIN_ENV, MEDIA_BUCKET_ENV } from '../../lib/media.ts';
import { ROUTES } from '../../lib/routes.ts';
import { FANOUT_WORKER, RETENTION_QUEUE_URL_ENV, RETENTION_WORKER } from '../../lib/workers.ts';
import { queueWorkerView, WORKER_QUEUE_ACTIONS } from './queue-worker-view.ts';
import { actionsOf, leadingKeysByAction, logicalId, resourcesOf, statementsOf, useSynth } from './support.ts';

const { s, resources } = useSynth();
const { propsOf, queueId, dlqId, queueArn, policiesOf, mappings, envOf, workerStatements } = queueWorkerView(
  s,
  resources,
  (stack) => stack.retentionWorker,
);

describe('retention queue', { timeout: 180_000 }, () => {
  it('is encrypted, TLS only, keeps jobs 14 days, redrives to a dead-letter queue, with a visibility timeout of 6× the worker timeout', () => {
    expect(propsOf(queueId())).toMatchObject({
      SqsManagedSseEnabled: true,
      // SQS deletes a job older than this without a dead letter: a chat that would never be purged.
      MessageRetentionPeriod: 14 * 86_400,
      VisibilityTimeout: 6 * RETENTION_WORKER.timeoutSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId(), 'Arn'] },
        maxReceiveCount: RETENTION_WORKER.maxReceiveCount,
      },
    });
    expect(propsOf(dlqId())).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    for (const id of [queueId(), dlqId()]) {
      expect(policiesOf(id), id).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('invokes the worker one job at a time, at most two instances, with partial batch responses', () => {
    expect(mappings().map((m) => m.Properties)).toEqual([
      expect.objectContaining({
        FunctionName: { Ref: logicalId(s.stack, s.stack.retentionWorker.worker.function) },
        BatchSize: 1,
        ScalingConfig: { MaximumConcurrency: 2 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ]);
  });
});

describe('retention worker', { timeout: 180_000 }, () => {
  it('runs its handler with the table, the media bucket, its own queue, the fan-out queue and the stage callback URL', () => {
    const fn = s.stack.retentionWorker.worker;
    expect(fn.entry.endsWith(RETENTION_WORKER.entry)).toBe(true);
    expect(propsOf(logicalId(s.stack, fn.function))).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 60,
    });
    const env = envOf(fn);
    expect(Object.keys(env).sort()).toEqual(
      [
        'LOG_LEVEL',
        'METRICS_STACK',
        'NODE_OPTIONS',
        RETENTION_QUEUE_URL_ENV,
        'TABLE_NAME',
        MEDIA_BUCKET_ENV,
        MEDIA_BUCKET_DOMAIN_ENV,
        'WS_MANAGEMENT_ENDPOINT',
        FANOUT_WORKER.queueUrlEnv,
      ].sort(),
    );
    expect(env[RETENTION_QUEUE_URL_ENV]).toEqual({ Ref: queueId() });
    // A finish job's post that finds a user's last socket gone queues its offline check there.
    expect(env[FANOUT_WORKER.queueUrlEnv]).toEqual({
      Ref: logicalId(s.stack, s.stack.fanOutWorker.queue),
    });
    const bucketId = logicalId(s.stack, s.stack.media.bucket);
    expect(env[MEDIA_BUCKET_ENV]).toEqual({ Ref: bucketId });
    expect(env[MEDIA_BUCKET_DOMAIN_ENV]).toEqual({ 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] });
  });

  it('reads CHAT#, PAIR#, ROSTER# and USER# items and the membership index, writes each where its code does (CHAT#, PAIR#, ROSTER#, USER#, LIMIT#), deletes chats/* objects, posts to connections, uses its own queue and sends to the fan-out queue', () => {
    const statements = statementsOf(s, s.stack.retentionWorker.worker);
    const dynamo = workerStatements('dynamodb:');
    const table = s.stack.resolve(s.stack.table.table.tableArn);
    // Each action on the partitions its code uses it on (lib/workers.ts): META read; the partition,
    // the roster and the members' connections queried; the TTL (CHAT#), an abandoned group key (USER#)
    // and a gone socket's slot (LIMIT#) updated; memberships and META (CHAT#), a direct chat's pair
    // pointer (PAIR#) and a gone socket's records (USER#, ROSTER#) deleted; memberships and a roster
    // batch-deleted; META checked in the membership transactions. An account deletion's job: the
    // pair's pointer read and checked (PAIR#: unblockUser's), the memberships listed (gsi1).
    expect(leadingKeysByAction(dynamo, table)).toEqual({
      'dynamodb:BatchGetItem': ['CHAT#*'],
      'dynamodb:BatchWriteItem': ['CHAT#*', 'ROSTER#*'],
      'dynamodb:ConditionCheckItem': ['CHAT#*', 'PAIR#*'],
      'dynamodb:DeleteItem': ['CHAT#*', 'PAIR#*', 'ROSTER#*', 'TOKEN#*', 'USER#*'],
      'dynamodb:GetItem': ['CHAT#*', 'PAIR#*', 'USER#*'],
      'dynamodb:PutItem': ['CHAT#*', 'USER#*'],
      'dynamodb:Query': ['CHAT#*', 'ROSTER#*', 'USER#*'],
      'dynamodb:UpdateItem': ['CHAT#*', 'LIMIT#*', 'USER#*'],
    });
    // And the membership index, without a condition (an index's keys are not the table's).
    const gsi1 = s.stack.resolve(s.stack.table.indexArn('gsi1'));
    expect(leadingKeysByAction(dynamo, gsi1)).toEqual({ 'dynamodb:Query': ['*'] });
    const known = [table, gsi1].map((r) => JSON.stringify(r));
    expect(dynamo.flatMap(resourcesOf).filter((r) => !known.includes(JSON.stringify(r)))).toEqual([]);
    const fanOutQueueArn = s.stack.resolve(s.stack.fanOutWorker.queue.queueArn);
    const sqs = workerStatements('sqs:');
    const own = sqs.filter((st) => JSON.stringify(resourcesOf(st)) === JSON.stringify([queueArn()]));
    expect(own.flatMap(actionsOf).sort()).toEqual(WORKER_QUEUE_ACTIONS);
    // And SendMessage on the fan-out queue alone (a gone socket's offline check).
    const others = sqs.filter((st) => !own.includes(st));
    expect(others.map((st) => ({ actions: actionsOf(st), resources: resourcesOf(st) }))).toEqual([
      { actions: ['sqs:SendMessage'], resources: [fanOutQueueArn] },
    ]);
    // The media: DeleteObject (which DeleteObjects needs per key), and PutObjectTagging (an account
    // deletion's final pass gives a late schedule's uploads back), on the upload prefix only.
    const s3 = workerStatements('s3:');
    expect(s3.map(actionsOf).map((a) => a.sort())).toEqual([['s3:DeleteObject', 's3:PutObjectTagging']]);
    expect(s3.flatMap(resourcesOf)).toEqual([s.stack.resolve(s.stack.media.objectsArn)]);
    const all = statements.flatMap(actionsOf);
    expect(all).toContain('execute-api:ManageConnections');
    expect(all.filter((a) => !/^(dynamodb|sqs|s3|execute-api|logs|xray):/.test(a))).toEqual([]);
  });

  it('alarms on dead letters, a job waiting 15 minutes, errors and throttles', () => {
    const alarms = Object.values(resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => r.Properties);
    const on = (metric: string, id: string) =>
      alarms.filter(
        (a) => a.MetricName === metric && JSON.stringify(a.Dimensions).includes(JSON.stringify(id)),
      );
    expect(on('ApproximateNumberOfMessagesVisible', dlqId())).toEqual([
      expect.objectContaining({ Namespace: 'AWS/SQS', Threshold: 1 }),
    ]);
    expect(on('ApproximateAgeOfOldestMessage', queueId())).toEqual([
      expect.objectContaining({ Threshold: RETENTION_WORKER.maxAgeSeconds }),
    ]);
    expect(RETENTION_WORKER.maxAgeSeconds).toBe(900);
    const fnId = logicalId(s.stack, s.stack.retentionWorker.worker.function);
    for (const metric of ['Errors', 'Throttles']) expect(on(metric, fnId), metric).toHaveLength(1);
  });
});

describe('producers', { timeout: 180_000 }, () => {
  it('deleteChat, removeMember (a last member deletes the chat), createChat (a big group’s delayed job), deleteAccount and deleteUser (the account’s job) alone may send to the retention queue and know its URL', () => {
    for (const def of ROUTES) {
      const fn = s.stack.chatApi.functions.get(def.routeKey);
      if (!fn) throw new Error(def.routeKey);
      const sqs = statementsOf(s, fn).filter((st) =>
        resourcesOf(st).some((r) => JSON.stringify(r) === JSON.stringify(queueArn())),
      );
      const env = envOf(fn);
      if (
        ['deleteChat', 'removeMember', 'createChat', 'deleteAccount', 'deleteUser'].includes(def.routeKey)
      ) {
        expect(sqs.flatMap(actionsOf)).toEqual(['sqs:SendMessage']);
        expect(env).toMatchObject({ [RETENTION_QUEUE_URL_ENV]: { Ref: queueId() } });
      } else {
        expect(sqs, def.routeKey).toEqual([]);
        expect(env, def.routeKey).not.toHaveProperty(RETENTION_QUEUE_URL_ENV);
      }
    }
  });
});

/**
 * The fan-out queue and its worker as CloudFormation (lib/queue-worker.ts from lib/workers.ts): an
 * encrypted, TLS-only queue with a dead-letter queue, the event source mapping's batch size and
 * concurrency, least-privilege grants, alarms, and the producers' access.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/routes.ts';
import { FANOUT_QUEUE_URL_ENV, FANOUT_WORKER } from '../../lib/workers.ts';
import { queueWorkerView, WORKER_QUEUE_ACTIONS } from './queue-worker-view.ts';
import { actionsOf, leadingKeysByAction, logicalId, resourcesOf, statementsOf, useSynth } from './support.ts';

const { s, resources } = useSynth();
const { propsOf, queueId, dlqId, queueArn, policiesOf, mappings, envOf, workerStatements } = queueWorkerView(
  s,
  resources,
  (stack) => stack.fanOutWorker,
);

describe('fan-out queue', { timeout: 180_000 }, () => {
  it('is encrypted (SSE-SQS), redrives to a dead-letter queue, and has a visibility timeout of 6× the worker timeout', () => {
    expect(propsOf(queueId())).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * FANOUT_WORKER.timeoutSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId(), 'Arn'] },
        maxReceiveCount: FANOUT_WORKER.maxReceiveCount,
      },
    });
    expect(propsOf(dlqId())).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
  });

  it('refuses requests without TLS on both queues', () => {
    for (const id of [queueId(), dlqId()]) {
      expect(policiesOf(id), id).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('invokes the worker one job at a time, at most 10 instances, with partial batch responses', () => {
    // The fan-out queue's mapping (the scheduled messages' due queue has its own: test/cdk/scheduled.test.ts).
    expect(mappings()).toHaveLength(1);
    expect(mappings()[0]?.Properties).toMatchObject({
      EventSourceArn: queueArn(),
      FunctionName: { Ref: logicalId(s.stack, s.stack.fanOutWorker.worker.function) },
      BatchSize: FANOUT_WORKER.batchSize,
      ScalingConfig: { MaximumConcurrency: FANOUT_WORKER.maxConcurrency },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('fan-out worker', { timeout: 180_000 }, () => {
  it('runs the handler of lib/workers.ts with the table, the stage callback URL and its queue', () => {
    const fn = s.stack.fanOutWorker.worker;
    expect(fn.entry.endsWith(FANOUT_WORKER.entry)).toBe(true);
    expect(propsOf(logicalId(s.stack, fn.function))).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 30,
    });
    const env = envOf(fn);
    expect(Object.keys(env).sort()).toEqual(
      [
        FANOUT_QUEUE_URL_ENV,
        'LOG_LEVEL',
        'METRICS_STACK',
        'NODE_OPTIONS',
        'TABLE_NAME',
        'WS_MANAGEMENT_ENDPOINT',
      ].sort(),
    );
    expect(env[FANOUT_QUEUE_URL_ENV]).toEqual({ Ref: queueId() });
  });

  it('reads only items under USER# and ROSTER# keys (and the membership index), deletes USER# and ROSTER# ones, updates USER# and LIMIT# ones, posts to connections, and uses its own queue', () => {
    const statements = statementsOf(s, s.stack.fanOutWorker.worker);
    const dynamo = workerStatements('dynamodb:');
    const table = s.stack.resolve(s.stack.table.table.tableArn);
    // Each action on the partitions its code uses it on, no more (lib/workers.ts): a gone socket's
    // records deleted (its connection item, USER#; its roster entries, ROSTER#), the slot it gives
    // back (UpdateItem, LIMIT#) and an offline check's profile update (UpdateItem, USER#). Never a
    // LIMIT# item deleted, never a roster entry updated. Reads: users' partitions, and a group's roster
    // (Query) for a receipt whose request could not read it; never a chat's partition.
    expect(leadingKeysByAction(dynamo, table)).toEqual({
      'dynamodb:BatchGetItem': ['USER#*'],
      'dynamodb:DeleteItem': ['ROSTER#*', 'USER#*'],
      'dynamodb:Query': ['ROSTER#*', 'USER#*'],
      'dynamodb:UpdateItem': ['LIMIT#*', 'USER#*'],
    });
    // And the membership index, without a condition (an index's keys are not the table's).
    const gsi1 = s.stack.resolve(s.stack.table.indexArn('gsi1'));
    expect(leadingKeysByAction(dynamo, gsi1)).toEqual({ 'dynamodb:Query': ['*'] });
    const known = [table, gsi1].map((r) => JSON.stringify(r));
    expect(dynamo.flatMap(resourcesOf).filter((r) => !known.includes(JSON.stringify(r)))).toEqual([]);
    const sqs = workerStatements('sqs:');
    for (const st of sqs) expect(resourcesOf(st)).toEqual([queueArn()]);
    expect(sqs.flatMap(actionsOf).sort()).toEqual(WORKER_QUEUE_ACTIONS);
    const all = statements.flatMap(actionsOf);
    expect(all).toContain('execute-api:ManageConnections');
    expect(all.filter((a) => !/^(dynamodb|sqs|execute-api|logs|xray):/.test(a))).toEqual([]);
  });

  it('alarms on dead letters, the age of the oldest job, errors and throttles', () => {
    const alarms = Object.values(resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => r.Properties);
    // The fan-out worker's queues only (the due queue of scheduled messages has alarms of its own).
    const ours = [queueId(), dlqId()].map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'QueueName'] }));
    const on = (metric: string) =>
      alarms.filter(
        (a) =>
          a.MetricName === metric &&
          (a.Namespace !== 'AWS/SQS' || ours.some((q) => JSON.stringify(a.Dimensions).includes(q))),
      );
    expect(on('ApproximateNumberOfMessagesVisible')).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        Threshold: 1,
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId(), 'QueueName'] } }],
      }),
    ]);
    expect(on('ApproximateAgeOfOldestMessage')).toEqual([
      expect.objectContaining({
        Threshold: FANOUT_WORKER.maxAgeSeconds,
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId(), 'QueueName'] } }],
      }),
    ]);
    const fnRef = { Ref: logicalId(s.stack, s.stack.fanOutWorker.worker.function) };
    for (const metric of ['Errors', 'Throttles']) {
      expect(
        on(metric).filter((a) => JSON.stringify(a.Dimensions).includes(JSON.stringify(fnRef))),
      ).toHaveLength(1);
    }
  });
});

describe('producers', { timeout: 180_000 }, () => {
  it('deactivateUser, which posts nothing, may send to it: the offline check of a last socket its close found gone', () => {
    const fn = s.stack.chatApi.functions.get('deactivateUser');
    if (!fn) throw new Error('deactivateUser');
    const sends = statementsOf(s, fn).filter((st) =>
      resourcesOf(st).some((r) => JSON.stringify(r) === JSON.stringify(queueArn())),
    );
    expect(sends.flatMap(actionsOf)).toEqual(['sqs:SendMessage']);
    expect(envOf(fn)).toMatchObject({ [FANOUT_QUEUE_URL_ENV]: { Ref: queueId() } });
  });

  it('every function that posts events to others may send to the queue (only) and knows its URL; no other', () => {
    for (const def of ROUTES) {
      const fn = s.stack.chatApi.functions.get(def.routeKey);
      if (!fn) throw new Error(def.routeKey);
      // SQS on the fan-out queue (scheduleMessage also sends to the due queue: test/cdk/scheduled.test.ts).
      const fanOutQueue = JSON.stringify(queueArn());
      const sqs = statementsOf(s, fn)
        .filter((st) => actionsOf(st).some((a) => a.startsWith('sqs:')))
        .filter((st) => resourcesOf(st).some((r) => JSON.stringify(r) === fanOutQueue));
      const env = envOf(fn);
      if (def.postsEvents || def.uses?.includes('fanOutQueue')) {
        expect(sqs.flatMap(actionsOf), def.routeKey).toEqual(['sqs:SendMessage']);
        expect(sqs.flatMap(resourcesOf), def.routeKey).toContainEqual(queueArn());
        expect(env, def.routeKey).toMatchObject({ [FANOUT_QUEUE_URL_ENV]: { Ref: queueId() } });
      } else {
        expect(sqs, def.routeKey).toEqual([]);
        expect(env, def.routeKey).not.toHaveProperty(FANOUT_QUEUE_URL_ENV);
      }
    }
  });
});

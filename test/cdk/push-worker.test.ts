/**
 * The push queue and its worker as CloudFormation (lib/chat-stream.ts with lib/workers.ts
 * `PUSH_WORKER`): deployed with push only, an encrypted TLS-only queue with a dead-letter queue, the
 * event source mapping, the worker's least-privilege grants (it sends only to its own queue: deferred
 * notifications),
 * its provider settings and secrets, alarms, and the push function's access to the queue.
 */
import { describe, expect, it } from 'vitest';
import type { QueueWorker } from '../../lib/queue-worker.ts';
import { PUSH_QUEUE_URL_ENV, PUSH_WORKER } from '../../lib/workers.ts';
import { queueWorkerView, WORKER_QUEUE_ACTIONS } from './queue-worker-view.ts';
import { actionsOf, leadingKeysByAction, logicalId, resourcesOf, statementsOf, useSynth } from './support.ts';

const APNS = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/apns-AbCdEf';
const FCM = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/fcm-GhIjKl';

const { s: plain } = useSynth();
const { s, resources } = useSynth({ push: { apnsSecretArn: APNS, fcmSecretArn: FCM } });
const worker = (): QueueWorker => {
  const w = s.stack.streams.pushWorker;
  if (!w) throw new Error('no push worker');
  return w;
};
const { propsOf, queueId, dlqId, queueArn, policiesOf, mappings, envOf, workerStatements } = queueWorkerView(
  s,
  resources,
  () => worker(),
);

describe('push worker', { timeout: 180_000 }, () => {
  it('is deployed with push only', () => {
    expect(plain.stack.streams.pushWorker).toBeUndefined();
    expect(JSON.stringify(plain.template.toJSON())).not.toContain(PUSH_QUEUE_URL_ENV);
  });

  it('has an encrypted, TLS-only queue redriving to a dead-letter queue, read one job at a time', () => {
    expect(propsOf(queueId())).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * PUSH_WORKER.timeoutSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId(), 'Arn'] },
        maxReceiveCount: PUSH_WORKER.maxReceiveCount,
      },
    });
    for (const id of [queueId(), dlqId()])
      expect(policiesOf(id), id).toContain('"aws:SecureTransport":"false"');
    expect(mappings()).toHaveLength(1);
    expect(mappings()[0]?.Properties).toMatchObject({
      FunctionName: { Ref: logicalId(s.stack, worker().worker.function) },
      BatchSize: PUSH_WORKER.batchSize,
      ScalingConfig: { MaximumConcurrency: PUSH_WORKER.maxConcurrency },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('lets every queue a function consumes redrive after 5 receives or more (a throttled receive counts one)', () => {
    // AWS advises at least 5 for a Lambda event source: Lambda's throttled receives count too.
    const redrives = Object.entries(s.template.findResources('AWS::SQS::Queue')).flatMap(([id, q]) => {
      const policy = q.Properties?.RedrivePolicy as { maxReceiveCount?: number } | undefined;
      return policy ? [[id, policy.maxReceiveCount] as const] : [];
    });
    expect(redrives.map(([id]) => id)).toContain(queueId());
    for (const [id, count] of redrives) expect(count, id).toBeGreaterThanOrEqual(5);
  });

  it('runs with the table, the provider settings and its queue, and reads exactly the two secrets', () => {
    const env = envOf(worker().worker);
    expect(env).toMatchObject({
      // Its counters (Service=PushWorker) go where the push function's go.
      METRICS_NAMESPACE: 'ChatTest',
      PUSH_APNS_SECRET_ARN: APNS,
      PUSH_FCM_SECRET_ARN: FCM,
      PUSH_ID_ONLY: 'false',
      [PUSH_QUEUE_URL_ENV]: { Ref: queueId() },
    });
    expect(env).not.toHaveProperty('WS_MANAGEMENT_ENDPOINT');
    const secrets = statementsOf(s, worker().worker).filter((st) =>
      actionsOf(st).includes('secretsmanager:GetSecretValue'),
    );
    expect(secrets.flatMap(resourcesOf).sort()).toEqual([APNS, FCM].sort());
  });

  it('reads USER# and CHAT# items only, writes only USER# and TOKEN# ones, consumes its queue and sends to it only', () => {
    const table = s.stack.resolve(s.stack.table.table.tableArn);
    const dynamo = workerStatements('dynamodb:');
    // The message and META (CHAT#) and the sender's profile (USER#) read; recipients' sockets and
    // devices (USER#); badge counters updated (USER#), and a legacy device's window with its token's
    // owner item (USER#, TOKEN#); a dead token's device (USER#) and owner item (TOKEN#) deleted.
    expect(leadingKeysByAction(dynamo, table)).toEqual({
      'dynamodb:BatchGetItem': ['USER#*'],
      'dynamodb:DeleteItem': ['TOKEN#*', 'USER#*'],
      'dynamodb:GetItem': ['CHAT#*', 'USER#*'],
      'dynamodb:Query': ['USER#*'],
      'dynamodb:UpdateItem': ['TOKEN#*', 'USER#*'],
    });
    expect(dynamo.flatMap(resourcesOf)).toEqual(dynamo.map(() => table));
    const sqs = workerStatements('sqs:');
    for (const st of sqs) expect(resourcesOf(st)).toEqual([queueArn()]);
    // Sending: its deferred notifications (lambdas/push/budget.ts), to its own queue only.
    expect(sqs.flatMap(actionsOf).sort()).toEqual([...WORKER_QUEUE_ACTIONS].sort());
    const all = statementsOf(s, worker().worker).flatMap(actionsOf);
    expect(all.filter((a) => !/^(dynamodb|sqs|secretsmanager|logs|xray):/.test(a))).toEqual([]);
  });

  it('takes jobs from the push function, which knows the queue’s URL', () => {
    const fn = s.stack.streams.functions.get('Push');
    if (!fn) throw new Error('no push function');
    expect(envOf(fn)[PUSH_QUEUE_URL_ENV]).toEqual({ Ref: queueId() });
    const sends = statementsOf(s, fn).filter((st) => actionsOf(st).includes('sqs:SendMessage'));
    expect(sends.flatMap(resourcesOf)).toContainEqual(queueArn());
  });

  it('alarms on dead letters and the age of the oldest job', () => {
    const alarms = Object.values(resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => JSON.stringify(r.Properties));
    const on = (metric: string, id: string) =>
      alarms.filter((a) => a.includes(`"MetricName":"${metric}"`) && a.includes(`"${id}","QueueName"`));
    expect(on('ApproximateNumberOfMessagesVisible', dlqId())).toHaveLength(1);
    expect(on('ApproximateAgeOfOldestMessage', queueId())).toHaveLength(1);
  });
});

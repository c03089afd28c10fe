/**
 * The queues that keep what failed (the fan-out, retention, push-job and scheduled-message dead-letter
 * queues, and the push stream consumer's on-failure queue): each keeps it 14 days and nothing reads it,
 * so its alarm is a level ("messages visible, Maximum >= 1"), which stays in ALARM until the queue is
 * emptied and notifies only on a change of state. What a deployer needs for that: every queue's URL as
 * a stack output (to purge or redrive it), an alarm text that says it latches, and
 * docs/operations.md naming each output with its command.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { logicalId, synth } from './support.ts';

const PUSH = { apnsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/apns-AbCdEf' };
const s = synth({ push: PUSH });
type Props = Record<string, unknown>;

/** Each failure queue by the stack output that must name it. */
function failureQueues(): Record<string, Queue> {
  const stack = s.stack;
  const pushJobs = stack.streams.pushWorker;
  const pushFailures = stack.streams.failureQueues.get('Push');
  if (!pushJobs || !pushFailures) throw new Error('the push stack has no push worker or on-failure queue');
  return {
    FanOutDeadLetterQueueUrl: stack.fanOutWorker.deadLetterQueue,
    RetentionDeadLetterQueueUrl: stack.retentionWorker.deadLetterQueue,
    PushJobsDeadLetterQueueUrl: pushJobs.deadLetterQueue,
    ScheduledDeadLetterQueueUrl: stack.scheduled.deadLetters,
    PushFailureQueueUrl: pushFailures,
  };
}

const alarmsOn = (queueId: string): Props[] =>
  Object.values(s.template.findResources('AWS::CloudWatch::Alarm'))
    .map((r) => r.Properties as Props)
    .filter((a) =>
      ((a.Dimensions ?? []) as { Value: unknown }[]).some(
        (d) => JSON.stringify(d.Value) === JSON.stringify({ 'Fn::GetAtt': [queueId, 'QueueName'] }),
      ),
    );

describe('failure queues', { timeout: 180_000 }, () => {
  it('are each a stack output (their URL), for purge-queue and start-message-move-task', () => {
    const outputs = s.template.findOutputs('*');
    for (const [output, queue] of Object.entries(failureQueues())) {
      expect(outputs[output], output).toBeDefined();
      expect(outputs[output]?.Value, output).toEqual({ Ref: logicalId(s.stack, queue) });
    }
  });

  it('have one alarm each, on a message visible, that says it stays in ALARM until the queue is emptied', () => {
    for (const [output, queue] of Object.entries(failureQueues())) {
      const found = alarmsOn(logicalId(s.stack, queue));
      expect(found, output).toHaveLength(1);
      expect(found[0], output).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(found[0]?.AlarmDescription, output).toMatch(/stays in ALARM until the queue is emptied/);
      expect(found[0]?.AlarmDescription, output).toContain('docs/operations.md');
    }
  });

  it('are each named in docs/operations.md with the command that empties them', () => {
    const doc = readFileSync(join(PROJECT_ROOT, 'docs/operations.md'), 'utf8');
    for (const output of Object.keys(failureQueues())) expect(doc, output).toContain(`\`${output}\``);
    expect(doc).toContain('aws sqs purge-queue --queue-url');
    expect(doc).toContain('aws sqs start-message-move-task --source-arn');
    expect(doc.replace(/\s+/g, ' ')).toContain('stays in ALARM until the queue is emptied');
  });
});

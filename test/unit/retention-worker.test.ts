/**
 * The retention worker (lambdas/domain/retention-jobs.ts `processRetentionJobs`) over a fake partition:
 * failures handed back to SQS, continuations, finish jobs, bad messages; and `SqsRetentionQueue`'s
 * messages (the jobs themselves: retention-jobs.test.ts).
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import {
  processRetentionJobs,
  type RetentionQueue,
  SqsRetentionQueue,
} from '../../lambdas/domain/retention-jobs.ts';
import { budget, finishJob, job, keyAt, partition, queueOf } from '../support/retention-fakes.ts';
import { sdkSender } from '../support/sqs-sender.ts';

describe('the retention worker', () => {
  const event = (...bodies: string[]): SQSEvent =>
    ({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) }) as unknown as SQSEvent;

  it('hands a job back to SQS when its first page failed, queueing no continuation', async () => {
    const p = partition(95, { failOnPage: 1 });
    const { queue, sent } = queueOf();
    const out = await processRetentionJobs(event(JSON.stringify(job())), { ...p, queue, budget: budget() });
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    expect(sent).toEqual([]);
  });

  it('continues from a page that failed after others succeeded, without redoing them', async () => {
    const p = partition(95, { failOnPage: 2 });
    const { queue, sent } = queueOf();
    const out = await processRetentionJobs(event(JSON.stringify(job())), { ...p, queue, budget: budget() });
    expect(out.batchItemFailures).toEqual([]);
    // The first page's last key: the continuation redoes the failed second page, not the first.
    expect(sent).toEqual([job({ startKey: keyAt(budget().pageSize - 1) })]);
  });

  it('hands a job back to SQS when its continuation cannot be sent', async () => {
    const p = partition(95);
    const queue: RetentionQueue = { send: vi.fn(async () => Promise.reject(new Error('SQS down'))) };
    const out = await processRetentionJobs(event(JSON.stringify(job())), { ...p, queue, budget: budget() });
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
  });

  it('hands a finish job to the deletion, and back to SQS when it failed', async () => {
    const p = partition(5);
    const { queue, sent } = queueOf();
    const ok = await processRetentionJobs(event(JSON.stringify(finishJob)), {
      ...p,
      queue,
      budget: budget(),
    });
    expect(ok.batchItemFailures).toEqual([]);
    expect(p.finish).toHaveBeenCalledWith('g1');
    expect(p.retention.expirePage).not.toHaveBeenCalled();
    expect(sent).toEqual([]);
    p.finish.mockRejectedValueOnce(new Error('throttled'));
    const failed = await processRetentionJobs(event(JSON.stringify(finishJob)), {
      ...p,
      queue,
      budget: budget(),
    });
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
  });

  it('drops a message that is not a job and runs the others of the batch', async () => {
    const p = partition(5);
    const { queue } = queueOf();
    const out = await processRetentionJobs(event('{"v":1}', JSON.stringify(job())), {
      ...p,
      queue,
      budget: budget(),
    });
    expect(out.batchItemFailures).toEqual([]);
    expect(p.expired).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('SqsRetentionQueue', () => {
  it('sends one job as one message to its queue, delayed when it is a finish job or asked to be', async () => {
    const sqs = mockClient(SQSClient);
    try {
      sqs.on(SendMessageCommand).resolves({ MessageId: 'x' });
      const client = new SQSClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      const queue = new SqsRetentionQueue(() => sdkSender(client), 'https://sqs.example/1/r', 60);
      await queue.send(job({ startKey: keyAt(3) }));
      await queue.send(finishJob);
      await queue.send(job(), { delayed: true });
      const calls = sqs.commandCalls(SendMessageCommand);
      expect(calls).toHaveLength(3);
      expect(calls[0]?.args[0].input.QueueUrl).toBe('https://sqs.example/1/r');
      expect(JSON.parse(String(calls[0]?.args[0].input.MessageBody))).toEqual(job({ startKey: keyAt(3) }));
      expect(calls[0]?.args[0].input.DelaySeconds).toBeUndefined();
      // The finish job waits its delay.
      expect(JSON.parse(String(calls[1]?.args[0].input.MessageBody))).toEqual(finishJob);
      expect(calls[1]?.args[0].input.DelaySeconds).toBe(60);
      // A deletion's retention job waits it too (chat-deletion.ts).
      expect(JSON.parse(String(calls[2]?.args[0].input.MessageBody))).toEqual(job());
      expect(calls[2]?.args[0].input.DelaySeconds).toBe(60);
    } finally {
      sqs.restore();
    }
  });
});

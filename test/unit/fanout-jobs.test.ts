/**
 * Fan-out jobs (lambdas/fanout/jobs.ts): how sockets are split into jobs and encoded, and how
 * SqsJobQueue sends them in batches (split from fanout-worker.test.ts).
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  decodeJob,
  type FanOutJob,
  JobsNotQueued,
  packBatches,
  planJobs,
  SqsJobQueue,
} from '../../lambdas/fanout/jobs.ts';
import { sdkSender } from '../support/sqs-sender.ts';

const targets = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ userId: `u${i}`, connectionId: `c${i}` }));

describe('jobs', () => {
  it('splits sockets into jobs of at most `size`, each with the frame once and the roster it came from', () => {
    const jobs = planJobs(targets(450), '{"type":"x"}', 'g1', 200);
    expect(jobs.map((j) => j.targets.length)).toEqual([200, 200, 50]);
    expect(jobs[2]).toEqual({
      v: 1,
      chatId: 'g1',
      frame: '{"type":"x"}',
      targets: targets(450)
        .slice(400)
        .map((t) => [t.userId, t.connectionId]),
      attempt: 1,
    });
    expect(planJobs(targets(3), '{}', undefined, 200)[0]).not.toHaveProperty('chatId');
  });

  it('decodes what it encodes and nothing else', () => {
    const [job] = planJobs(targets(2), '{"type":"x"}', 'g1', 10);
    expect(decodeJob(JSON.stringify(job))).toEqual(job);
    for (const bad of [
      'not json',
      'null',
      '[]',
      JSON.stringify({ ...job, v: 2 }),
      JSON.stringify({ ...job, frame: '' }),
      JSON.stringify({ ...job, targets: [['u1']] }),
      JSON.stringify({ ...job, targets: [['u1', 7]] }),
      JSON.stringify({ ...job, attempt: 'one' }),
      JSON.stringify({ ...job, chatId: 5 }),
    ]) {
      expect(decodeJob(bad), bad).toBeUndefined();
    }
  });

  it('packs at most 10 bodies and 256 KB into one SendMessageBatch', () => {
    expect(packBatches(Array.from({ length: 23 }, () => 'x')).map((b) => b.length)).toEqual([10, 10, 3]);
    const big = 'y'.repeat(100 * 1024);
    expect(packBatches([big, big, big, big]).map((b) => b.length)).toEqual([2, 2]);
  });
});

describe('SqsJobQueue', () => {
  const sqs = mockClient(SQSClient);
  const client = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const queue = new SqsJobQueue(() => sdkSender(client), 'https://sqs.example/1/q');
  beforeEach(() => sqs.reset());
  afterAll(() => sqs.restore());

  it('sends jobs in batches of 10 with the delay asked for', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await queue.send(planJobs(targets(25), '{}', 'g1', 1), { delaySeconds: 4 });
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries?.length)).toEqual([10, 10, 5]);
    expect(calls[0]?.QueueUrl).toBe('https://sqs.example/1/q');
    expect(calls[0]?.Entries?.[0]).toMatchObject({ Id: '0', DelaySeconds: 4 });
    expect(JSON.parse(calls[0]?.Entries?.[0]?.MessageBody ?? '')).toMatchObject({ v: 1, chatId: 'g1' });
  });

  it('sends refused entries again, and throws when SQS keeps refusing them', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [] });
    await queue.send(planJobs(targets(2), '{}', 'g1', 1));
    const calls = sqs
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries?.map((e) => e.Id));
    expect(calls).toEqual([['0', '1'], ['1']]);

    sqs.reset();
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    await expect(queue.send(planJobs(targets(1), '{}', 'g1', 1))).rejects.toThrow(/refused 1 jobs/);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });

  it('names the jobs not queued (refused, or in a call that failed), once every call ended', async () => {
    const jobs = planJobs(targets(25), '{}', 'g1', 1);
    sqs
      .on(SendMessageBatchCommand)
      .callsFake(async (input: { Entries: { Id: string; MessageBody: string }[] }) => {
        const firstTarget = (JSON.parse(input.Entries[0]?.MessageBody ?? '{}') as { targets: string[][] })
          .targets[0];
        if (firstTarget?.[0] === 'u10')
          throw Object.assign(new Error('access denied'), { name: 'AccessDenied' });
        // The first batch: SQS keeps refusing its entry 3; the last one takes everything.
        return {
          Failed: input.Entries.filter((e) => e.Id === '3' && input.Entries.length !== 5).map((e) => ({
            Id: e.Id,
            Code: 'InternalError',
            SenderFault: false,
          })),
        };
      });
    const error = await queue.send(jobs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobsNotQueued);
    const notQueued = (error as JobsNotQueued<FanOutJob>).jobs.map((j) => j.targets[0]?.[0]).sort();
    expect(notQueued).toEqual(
      ['u10', 'u11', 'u12', 'u13', 'u14', 'u15', 'u16', 'u17', 'u18', 'u19', 'u3'].sort(),
    );
    expect((error as Error).message).toBe('the queue refused 11 jobs of 25');
    expect((error as Error).cause).toMatchObject({ name: 'AccessDenied' });
    // The first batch, its entry 3 twice more, the second batch, the last one.
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(5);
  });
  it('a resend that fails names only the entries still pending, not those the first call queued', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '3', Code: 'InternalError', SenderFault: false }] })
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const error = await queue.send(planJobs(targets(10), '{}', 'g1', 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobsNotQueued);
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length);
    expect(calls).toEqual([10, 1]);
    // Jobs 0-2 and 4-9 are in the queue: a caller that queues them again would notify twice.
    expect((error as JobsNotQueued<FanOutJob>).jobs.map((j) => j.targets[0]?.[0])).toEqual(['u3']);
    expect((error as Error).message).toBe('the queue refused 1 jobs of 10');
    expect((error as Error).cause).toMatchObject({ name: 'ThrottlingException' });
  });
});

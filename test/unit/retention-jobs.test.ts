/**
 * The retention worker's jobs (lambdas/domain/retention-jobs.ts) over a fake partition: decoding,
 * the budget of pages and of time, the continuation job, failures handed back to SQS
 * (`deleteChat`'s part: test/unit/domain/deletion-steps.test.ts). The queries and updates themselves
 * run against DynamoDB Local in test/security/deleted-chat-retention*.test.ts.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import type { RetentionKey, RetentionPageOptions } from '../../lambdas/data/retention.ts';
import {
  decodeFinishJob,
  decodeRetentionJob,
  type FinishDeletionJob,
  processRetentionJobs,
  type QueuedRetentionJob,
  type RetentionBudget,
  type RetentionJob,
  type RetentionQueue,
  runRetentionJob,
  SqsRetentionQueue,
} from '../../lambdas/domain/retention-jobs.ts';
import { sdkSender } from '../support/sqs-sender.ts';

const job = (extra: Partial<RetentionJob> = {}): RetentionJob => ({
  v: 1,
  chatId: 'g1',
  expiresAt: 1_772_366_400,
  ...extra,
});
const finishJob: FinishDeletionJob = { v: 1, kind: 'finishDeletion', chatId: 'g1' };
const keyAt = (i: number): RetentionKey => ({ pk: 'CHAT#g1', sk: `MSG#${String(i).padStart(4, '0')}` });

/**
 * A partition of `size` items paged like a Query: a page of `limit` keys after `startKey`, and a
 * next key whenever the page is full (DynamoDB cannot tell that the partition ended exactly there).
 * Each page costs `msPerPage` on the clock. Every `uploadEvery`-th item is an upload (`up_<i>`):
 * its page hands it to `beforeExpiring` first, as the repository does; a media bucket whose delete
 * fails on the `failDeleteOnPage`-th call records the keys it deleted.
 */
function partition(
  size: number,
  options: { msPerPage?: number; failOnPage?: number; uploadEvery?: number; failDeleteOnPage?: number } = {},
) {
  const clock = { ms: 0 };
  const expired: number[] = [];
  const deleted: string[] = [];
  let pages = 0;
  let deletes = 0;
  const expirePage = vi.fn(async (_chatId: string, _at: number, o: RetentionPageOptions = {}) => {
    pages++;
    clock.ms += options.msPerPage ?? 0;
    const from = o.startKey ? Number(o.startKey.sk.slice(4)) + 1 : 0;
    const to = Math.min(size, from + (o.limit ?? size));
    const every = options.uploadEvery;
    const uploads: string[] = [];
    for (let i = from; i < to; i++) if (every && i % every === 0) uploads.push(`up_${i}`);
    if (uploads.length > 0) await o.beforeExpiring?.(uploads);
    for (let i = from; i < to; i++) expired.push(i);
    const failed = pages === options.failOnPage ? 1 : 0;
    return { count: to - from, failed, next: to - from === o.limit ? keyAt(to - 1) : undefined };
  });
  const bucket = {
    delete: vi.fn(async (keys: readonly string[]) => {
      if (++deletes === options.failDeleteOnPage) throw new Error('S3 down');
      deleted.push(...keys);
    }),
  };
  return {
    retention: { expirePage },
    finish: vi.fn(async () => 'gone' as const),
    media: () => bucket,
    clock: () => clock.ms,
    expired,
    deleted,
    time: clock,
  };
}

const queueOf = () => {
  const sent: QueuedRetentionJob[] = [];
  const queue: RetentionQueue = { send: vi.fn(async (j: QueuedRetentionJob) => void sent.push(j)) };
  return { queue, sent };
};
const budget = (b: Partial<RetentionBudget> = {}): RetentionBudget => ({
  pageSize: 10,
  maxPages: 3,
  budgetMs: 1_000,
  ...b,
});

describe('retention jobs', () => {
  it('decode what deleteChat and the worker send, and nothing else', () => {
    for (const good of [job(), job({ startKey: keyAt(7) })]) {
      expect(decodeRetentionJob(JSON.stringify(good))).toEqual(good);
    }
    for (const bad of [
      'not json',
      'null',
      '[]',
      JSON.stringify(job({ v: 2 as 1 })),
      JSON.stringify(job({ chatId: '' })),
      JSON.stringify(job({ expiresAt: 1.5 })),
      JSON.stringify(job({ expiresAt: -1 })),
      JSON.stringify({ ...job(), expiresAt: '1772366400' }),
      JSON.stringify(job({ startKey: { pk: 'USER#bob', sk: 'CONN#1' } })),
      JSON.stringify(job({ startKey: { pk: 'CHAT#g2', sk: 'MSG#1' } })),
      JSON.stringify({ ...job(), startKey: { pk: 'CHAT#g1' } }),
      JSON.stringify({ ...job(), startKey: null }),
      // A deletion's finish job is no retention job, even given an expiresAt.
      JSON.stringify(finishJob),
      JSON.stringify({ ...finishJob, expiresAt: 1_772_366_400 }),
    ]) {
      expect(decodeRetentionJob(bad), bad).toBeUndefined();
    }
  });

  it('decode a finish job, which carries no expiresAt: a worker that predates it drops it', () => {
    expect(decodeFinishJob(JSON.stringify(finishJob))).toEqual(finishJob);
    for (const bad of [
      JSON.stringify(job()),
      JSON.stringify({ ...finishJob, v: 2 }),
      JSON.stringify({ ...finishJob, chatId: '' }),
      JSON.stringify({ ...finishJob, kind: 'other' }),
      'null',
      'not json',
    ]) {
      expect(decodeFinishJob(bad), bad).toBeUndefined();
    }
    // What a retention job needed before finish jobs existed: an integer expiresAt.
    expect(
      Number.isInteger((JSON.parse(JSON.stringify(finishJob)) as { expiresAt?: unknown }).expiresAt),
    ).toBe(false);
  });

  it('expire a small partition in one job and queue nothing', async () => {
    const p = partition(25);
    const { queue, sent } = queueOf();
    const report = await runRetentionJob(job(), { ...p, queue, budget: budget() });
    expect(report).toEqual({ pages: 3, items: 25, continuedAt: undefined });
    expect(p.expired).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(sent).toEqual([]);
  });

  it('stop after the page budget and queue the rest from the last key; the chain covers every item once', async () => {
    const p = partition(95);
    const { queue, sent } = queueOf();
    const report = await runRetentionJob(job(), { ...p, queue, budget: budget() });
    expect(report).toEqual({ pages: 3, items: 30, continuedAt: keyAt(29) });
    expect(sent).toEqual([job({ startKey: keyAt(29) })]);
    // Run the chain as SQS would: each continuation picks up where the last job stopped.
    for (let i = 0; i < sent.length; i++) {
      await runRetentionJob(sent[i] as RetentionJob, { ...p, queue, budget: budget() });
    }
    expect(sent).toHaveLength(3); // 4 jobs of at most 30 items for 95
    expect(p.expired).toEqual(Array.from({ length: 95 }, (_, i) => i));
  });

  it('stop when the time budget is spent, even before the page budget', async () => {
    const p = partition(1_000, { msPerPage: 400 });
    const { queue, sent } = queueOf();
    const report = await runRetentionJob(job({ startKey: keyAt(99) }), {
      ...p,
      queue,
      budget: budget({ maxPages: 100, budgetMs: 1_000 }),
    });
    // Pages end at 400, 800 and 1,200 ms: no page starts after the budget is spent.
    expect(report).toEqual({ pages: 3, items: 30, continuedAt: keyAt(129) });
    expect(sent).toEqual([job({ startKey: keyAt(129) })]);
  });

  it('always makes progress: one page even when the budget is spent at once', async () => {
    const p = partition(100, { msPerPage: 5_000 });
    const { queue, sent } = queueOf();
    const report = await runRetentionJob(job(), { ...p, queue, budget: budget({ budgetMs: 1 }) });
    expect(report.pages).toBe(1);
    expect(sent).toEqual([job({ startKey: keyAt(9) })]);
  });
});

describe('retention jobs and media', () => {
  it("delete each page's upload objects before its items get their TTL, page by page", async () => {
    const p = partition(25, { uploadEvery: 4 });
    const { queue } = queueOf();
    await runRetentionJob(job(), { ...p, queue, budget: budget() });
    // One DeleteObjects per page that holds uploads (0–9, 10–19, 20–24), keys from mediaKey.
    expect(p.media().delete.mock.calls).toEqual([
      [['chats/g1/up_0', 'chats/g1/up_4', 'chats/g1/up_8']],
      [['chats/g1/up_12', 'chats/g1/up_16']],
      [['chats/g1/up_20', 'chats/g1/up_24']],
    ]);
    expect(p.expired).toHaveLength(25);
  });

  it('a failed delete on the first page fails the job: none of its items expired, nothing queued', async () => {
    const p = partition(95, { uploadEvery: 4, failDeleteOnPage: 1 });
    const { queue, sent } = queueOf();
    await expect(runRetentionJob(job(), { ...p, queue, budget: budget() })).rejects.toThrow('S3 down');
    expect(p.expired).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('a failed delete after progress continues from that page, which expired nothing', async () => {
    const p = partition(95, { uploadEvery: 4, failDeleteOnPage: 2 });
    const { queue, sent } = queueOf();
    const report = await runRetentionJob(job(), { ...p, queue, budget: budget() });
    expect(report).toEqual({ pages: 1, items: 10, continuedAt: keyAt(9) });
    expect(p.expired).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(sent).toEqual([job({ startKey: keyAt(9) })]);
    // The continuation redoes the failed page: its uploads are deleted, then its items expire.
    await runRetentionJob(sent[0] as RetentionJob, { ...p, queue, budget: budget() });
    expect(p.deleted).toContain('chats/g1/up_12');
    expect(p.expired.slice(10, 20)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
  });
});

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

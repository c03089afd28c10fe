/**
 * The retention worker's jobs (lambdas/domain/retention-jobs.ts) over a fake partition: decoding,
 * the budget of pages and of time, the continuation job, and media (the worker's handling of SQS
 * batches and the queue: retention-worker.test.ts; `deleteChat`'s part:
 * test/unit/domain/deletion-steps.test.ts). The queries and updates themselves run against DynamoDB
 * Local in test/security/deleted-chat-retention*.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeFinishJob, decodeRetentionJob } from '../../lambdas/domain/retention-job-codec.ts';
import { type RetentionJob, runRetentionJob } from '../../lambdas/domain/retention-jobs.ts';
import { budget, finishJob, job, keyAt, partition, queueOf } from '../support/retention-fakes.ts';

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

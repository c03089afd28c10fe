/**
 * The retention queue's sends bounded by the invocation's time (lambdas/domain/chat-deletion.ts): an
 * SQS that hangs rather than refuses keeps a send up to 3 attempts of 2.5 s and their backoff
 * (queue/light-sqs.ts). deleteChat's finish job and its retention job's first send waited that out,
 * so the request could pass its route timeout before the retention code; and the retention worker
 * ran a finish job's refused partition inline with no deadline. Now each early send gets at most
 * `QUEUE_SEND_MS` (and ends before the invocation's reserve), and a finish job that leaves work
 * fails, for SQS to deliver it again.
 */
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { finishInterruptedDeletion, QUEUE_SEND_MS } from '../../../lambdas/domain/chat-deletion.ts';
import { deleteChat } from '../../../lambdas/domain/chats.ts';
import { processRetentionJobs, type RetentionQueue } from '../../../lambdas/domain/retention-jobs.ts';
import { withInvocation } from '../../../lambdas/shared/budget.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { type MetricValues, onMetrics } from '../../../lambdas/shared/metrics.ts';
import { caller, fakeDeps, groupChat } from './fakes.ts';

const emitted: MetricValues[] = [];
let stop = () => {};
beforeEach(() => {
  emitted.length = 0;
  vi.restoreAllMocks();
  stop();
  stop = onMetrics((v) => emitted.push(v));
});
afterAll(() => stop());

const invocation = (leftMs: number) => {
  const deadline = Date.now() + leftMs;
  return { getRemainingTimeInMillis: () => deadline - Date.now() };
};
const unfinished = () => {
  const fake = fakeDeps();
  fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
  fake.store.retention.expireChat.mockResolvedValue({ count: 300, done: false, next: undefined });
  return fake;
};

describe('deleteChat against a queue that never answers', () => {
  const hanging = (): RetentionQueue => ({ send: vi.fn(() => new Promise<void>(() => {})) });

  it('gives the finish job and the first retention send at most QUEUE_SEND_MS each, then leaves the chat logged', {
    timeout: 15_000,
  }, async () => {
    const error = vi.spyOn(logger, 'error');
    const fake = unfinished();
    const queue = hanging();
    const started = Date.now();
    await expect(
      withInvocation(invocation(4_000), () =>
        deleteChat({ ...fake.deps, retentionQueue: queue }, caller('ann'), { chatId: 'g1' }),
      ),
    ).resolves.toEqual({ chatId: 'g1' });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(2 * QUEUE_SEND_MS - 50);
    expect(took).toBeLessThan(4_000);
    expect(fake.store.chats.markDeleted).toHaveBeenCalled();
    expect(fake.store.chats.deleteMeta).not.toHaveBeenCalled();
    expect(fake.store.rosters.clear).toHaveBeenCalledWith('g1');
    expect(error).toHaveBeenCalledWith(expect.stringContaining('send its job to the retention queue'), {
      chatId: 'g1',
      job: { v: 1, kind: 'finishDeletion', chatId: 'g1' },
    });
    expect(emitted).toEqual([{ RetentionNotQueued: 1 }]);
  });

  it('with little time left, waits for neither send past the invocation’s end', {
    timeout: 15_000,
  }, async () => {
    const fake = unfinished();
    const started = Date.now();
    await withInvocation(invocation(1_200), () =>
      deleteChat({ ...fake.deps, retentionQueue: hanging() }, caller('ann'), { chatId: 'g1' }),
    );
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(fake.store.rosters.clear).toHaveBeenCalledWith('g1');
    expect(emitted).toEqual([{ RetentionNotQueued: 1 }]);
  });
});

describe('a finish job in the retention worker when the queue refuses', () => {
  const refusing = (): RetentionQueue => ({ send: vi.fn(async () => Promise.reject(new Error('SQS down'))) });
  const marked = () => {
    const fake = unfinished();
    const chat = groupChat('ann', ['ann', 'bob']);
    fake.store.chats.getWithMembers.mockResolvedValue({
      ...chat,
      chat: { ...chat.chat, deletedAt: '2026-12-05T03:00:00.000Z' },
    });
    return fake;
  };
  const record = { messageId: 'm1', body: JSON.stringify({ v: 1, kind: 'finishDeletion', chatId: 'g1' }) };

  it('fails the job for SQS to deliver again when the pages leave work (META kept)', async () => {
    const fake = marked();
    const queue = refusing();
    const worker = { ...fake.deps, retentionQueue: queue };
    const result = await processRetentionJobs({ Records: [record] } as never, {
      retention: fake.store.retention,
      media: () => fake.media,
      queue,
      budget: { pageSize: 100, maxPages: 10, budgetMs: 1_000 },
      // As the worker's handler runs it (within its invocation: retention-worker-budget.test.ts).
      finish: (chatId) => withInvocation(invocation(2_500), () => finishInterruptedDeletion(worker, chatId)),
    });
    expect(fake.store.chats.deleteMeta).not.toHaveBeenCalled();
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
  });

  it('finishes (META deleted, job done) when the pages complete', async () => {
    const fake = marked();
    fake.store.retention.expireChat.mockResolvedValue({ count: 10, done: true, next: undefined });
    const queue = refusing();
    const worker = { ...fake.deps, retentionQueue: queue };
    await expect(
      withInvocation(invocation(30_000), () => finishInterruptedDeletion(worker, 'g1')),
    ).resolves.toBe('finished');
    expect(fake.store.chats.deleteMeta).toHaveBeenCalledWith('g1');
  });
});

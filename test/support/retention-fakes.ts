/**
 * Fakes for the retention worker's unit tests (test/unit/retention-jobs.test.ts,
 * test/unit/retention-worker.test.ts): jobs, a paged partition, a queue and a budget.
 */
import { vi } from 'vitest';
import type { RetentionKey, RetentionPageOptions } from '../../lambdas/data/retention.ts';
import type {
  FinishDeletionJob,
  QueuedRetentionJob,
  RetentionBudget,
  RetentionJob,
  RetentionQueue,
} from '../../lambdas/domain/retention-jobs.ts';

export const job = (extra: Partial<RetentionJob> = {}): RetentionJob => ({
  v: 1,
  chatId: 'g1',
  expiresAt: 1_772_366_400,
  ...extra,
});
export const finishJob: FinishDeletionJob = { v: 1, kind: 'finishDeletion', chatId: 'g1' };
export const keyAt = (i: number): RetentionKey => ({
  pk: 'CHAT#g1',
  sk: `MSG#${String(i).padStart(4, '0')}`,
});

/**
 * A partition of `size` items paged like a Query: a page of `limit` keys after `startKey`, and a
 * next key whenever the page is full (DynamoDB cannot tell that the partition ended exactly there).
 * Each page costs `msPerPage` on the clock. Every `uploadEvery`-th item is an upload (`up_<i>`):
 * its page hands it to `beforeExpiring` first, as the repository does; a media bucket whose delete
 * fails on the `failDeleteOnPage`-th call records the keys it deleted.
 */
export function partition(
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

export const queueOf = () => {
  const sent: QueuedRetentionJob[] = [];
  const queue: RetentionQueue = { send: vi.fn(async (j: QueuedRetentionJob) => void sent.push(j)) };
  return { queue, sent };
};
export const budget = (b: Partial<RetentionBudget> = {}): RetentionBudget => ({
  pageSize: 10,
  maxPages: 3,
  budgetMs: 1_000,
  ...b,
});

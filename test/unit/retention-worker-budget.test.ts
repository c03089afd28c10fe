/**
 * The retention worker's handler runs a finish job within its invocation (lambdas/handlers/
 * retentionWorker.ts): when the retention queue refuses the deleted chat's job, the worker expires
 * the partition only while its time allows a page, and a finish job that leaves work is handed back
 * to SQS (delivered again; dead-lettered after its last receive), not cut off by Lambda at the
 * worker's timeout. The queue is a real socket that refuses (a closed port); the store is a fake.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setDeps } from '../../lambdas/domain/deps.ts';
import { handler } from '../../lambdas/handlers/retentionWorker.ts';
import { resetConfig } from '../../lambdas/shared/config.ts';
import { RETENTION_QUEUE_URL_ENV, RETENTION_WORKER } from '../../lib/workers.ts';
import { fakeDeps, groupChat } from './domain/fakes.ts';

afterEach(() => {
  delete process.env[RETENTION_QUEUE_URL_ENV];
  resetConfig();
  setDeps(undefined);
});

describe('the retention worker’s finish job when the queue refuses', () => {
  it('expires no page past its deadline and hands the job back to SQS', { timeout: 30_000 }, async () => {
    process.env[RETENTION_QUEUE_URL_ENV] = `http://127.0.0.1:1/000000000000/${RETENTION_WORKER.name}`;
    resetConfig();
    const fake = fakeDeps();
    const chat = groupChat('ann', ['ann', 'bob']);
    fake.store.chats.getWithMembers.mockResolvedValue({
      ...chat,
      chat: { ...chat.chat, deletedAt: '2026-12-05T03:00:00.000Z' },
    });
    const mayStart: boolean[] = [];
    fake.store.retention.expireChat.mockImplementation(async (_c, _e, _b, bounds) => {
      mayStart.push(bounds?.mayStartPage?.() ?? true);
      return { count: 0, done: false, next: undefined };
    });
    setDeps(fake.deps);
    // Little enough time left that no page (1 s) fits before the reserve (2 s) once the refused
    // sends are done.
    const deadline = Date.now() + 2_500;
    const context = { awsRequestId: 'r1', getRemainingTimeInMillis: () => deadline - Date.now() };
    const body = JSON.stringify({ v: 1, kind: 'finishDeletion', chatId: 'g1' });
    const out = await handler({ Records: [{ messageId: 'm1', body }] } as never, context as never);
    expect(mayStart).toEqual([false]);
    expect(fake.store.chats.deleteMeta).not.toHaveBeenCalled();
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
  });
});

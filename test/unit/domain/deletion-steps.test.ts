/**
 * `deleteChat`'s steps after its mark (lambdas/domain/chat-deletion.ts) with the retention queue:
 * the finish job before the mark, the members told before their memberships go, the retention job
 * queued only by the run that removed the owner's membership and before `META` goes, and the
 * partition expired in the request only when the queue refuses the job. The same steps against
 * DynamoDB Local and a failing write: test/fault/interrupted-delete.test.ts.
 */
import { afterAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import {
  QUEUE_AGAIN_RESERVE_MS,
  QUEUE_ANSWER_MS,
  REQUEST_PAGE_SIZE,
} from '../../../lambdas/domain/chat-deletion.ts';
import { deleteChat } from '../../../lambdas/domain/chats.ts';
import type {
  FinishDeletionJob,
  QueuedRetentionJob,
  RetentionJob,
  RetentionQueue,
} from '../../../lambdas/domain/retention-jobs.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { type MetricValues, onMetrics } from '../../../lambdas/shared/metrics.ts';
import { caller, fakeDeps, groupChat } from './fakes.ts';

const job = (extra: Partial<RetentionJob> = {}): RetentionJob => ({
  v: 1,
  chatId: 'g1',
  expiresAt: 1_772_366_400,
  ...extra,
});
const finishJob: FinishDeletionJob = { v: 1, kind: 'finishDeletion', chatId: 'g1' };
const queueOf = () => {
  const sent: QueuedRetentionJob[] = [];
  const queue: RetentionQueue = { send: vi.fn(async (j: QueuedRetentionJob) => void sent.push(j)) };
  return { queue, sent };
};

describe('deleteChat and the retention queue', () => {
  const ann = caller('ann');
  const deletion = async (queue: RetentionQueue | undefined) => {
    const fake = fakeDeps();
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    const expiresAt = Math.floor(fake.deps.now().getTime() / 1000);
    await expect(deleteChat({ ...fake.deps, retentionQueue: queue }, ann, { chatId: 'g1' })).resolves.toEqual(
      { chatId: 'g1' },
    );
    return { ...fake, expiresAt };
  };

  it('queues the finish job before the mark, tells the members before their memberships go, the retention job after the owner’s and before META, and leaves the items to the worker', async () => {
    const { queue, sent } = queueOf();
    const { store, fanOut, expiresAt } = await deletion(queue);
    expect(sent).toEqual([finishJob, job({ expiresAt })]);
    // The retention job waits the finish delay too: past the writes in flight at the mark.
    expect((queue.send as ReturnType<typeof vi.fn>).mock.calls[1]?.[1]).toEqual({ delayed: true });
    const order = (m: { mock: { invocationCallOrder: number[] } }, i = 0) =>
      m.mock.invocationCallOrder[i] ?? 0;
    const send = queue.send as ReturnType<typeof vi.fn>;
    expect(order(send, 0)).toBeLessThan(order(store.chats.markDeleted));
    expect(order(store.chats.markDeleted)).toBeLessThan(order(fanOut.toUsers));
    expect(fanOut.toUsers.mock.calls[0]?.[0]).toEqual(['ann', 'bob']);
    expect(order(fanOut.toUsers)).toBeLessThan(order(store.chats.deleteMembersButOwner));
    expect(order(store.chats.deleteMembersButOwner)).toBeLessThan(order(store.chats.deleteOwnerAndPointer));
    expect(order(store.chats.deleteOwnerAndPointer)).toBeLessThan(order(send, 1));
    expect(order(send, 1)).toBeLessThan(order(store.chats.deleteMeta));
    expect(order(store.chats.deleteMeta)).toBeLessThan(order(store.rosters.clear));
    expect(store.retention.expireChat).not.toHaveBeenCalled();
  });

  it('queues no retention job and keeps META when another run deleted META first', async () => {
    const { queue, sent } = queueOf();
    const fake = fakeDeps();
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    fake.store.chats.deleteOwnerAndPointer.mockResolvedValue('gone');
    await deleteChat({ ...fake.deps, retentionQueue: queue }, ann, { chatId: 'g1' });
    expect(sent).toEqual([finishJob]);
    expect(fake.store.retention.expireChat).not.toHaveBeenCalled();
    expect(fake.store.chats.deleteMeta).not.toHaveBeenCalled();
    expect(fake.store.rosters.clear).toHaveBeenCalledWith('g1');
  });

  it('leaves the media to the job: the request touches no object and reads no upload', async () => {
    const { queue } = queueOf();
    const { media, store } = await deletion(queue);
    for (const call of Object.values(media)) expect(call).not.toHaveBeenCalled();
    expect(store.retention.expirePage).not.toHaveBeenCalled();
  });

  it('expires the items in the request when the queue refuses the job, or there is none', async () => {
    const refusing: RetentionQueue = { send: vi.fn(async () => Promise.reject(new Error('SQS down'))) };
    for (const queue of [refusing, undefined]) {
      const { store, media, expiresAt } = await deletion(queue);
      expect(store.retention.expireChat).toHaveBeenCalledWith(
        'g1',
        expiresAt,
        expect.any(Function),
        expect.anything(),
      );
      // Its pages delete their uploads' objects through the request's bucket.
      const beforeExpiring = store.retention.expireChat.mock.calls[0]?.[2];
      await beforeExpiring?.(['up_a', 'up_b']);
      expect(media.delete).toHaveBeenCalledWith(['chats/g1/up_a', 'chats/g1/up_b']);
    }
    // The finish job and the retention job, both refused: the deletion went on.
    expect(refusing.send).toHaveBeenCalledTimes(2);
  });

  it('still tells the members and disbands the roster when the inline expiry fails (the chat is gone), keeping META for the finish job', async () => {
    const fake = fakeDeps();
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    fake.store.retention.expireChat.mockRejectedValueOnce(new Error('S3 down'));
    await expect(deleteChat(fake.deps, ann, { chatId: 'g1' })).resolves.toEqual({ chatId: 'g1' });
    expect(fake.fanOut.toUsers.mock.calls.map(([, frame]) => frame.type)).toEqual(['chat.deleted']);
    expect(fake.store.rosters.clear).toHaveBeenCalledWith('g1');
    expect(fake.store.chats.deleteMeta).not.toHaveBeenCalled();
  });

  describe('when the queue refuses and the request runs out of time', () => {
    const emitted: MetricValues[] = [];
    let stop = () => {};
    beforeEach(() => {
      emitted.length = 0;
      vi.restoreAllMocks();
      stop();
      stop = onMetrics((v) => emitted.push(v));
    });
    afterAll(() => stop());
    const unfinished = () => {
      const fake = fakeDeps();
      fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
      fake.store.retention.expireChat.mockResolvedValue({ count: 300, done: false, next: undefined });
      return fake;
    };

    it('expires pages only while a page fits, then asks the queue again: taken, META goes', async () => {
      const fake = unfinished();
      const sent: QueuedRetentionJob[] = [];
      const send = vi
        .fn(async (j: QueuedRetentionJob, _options?: { delayed?: boolean }) => void sent.push(j))
        .mockImplementationOnce(async (j) => void sent.push(j)) // the finish job
        .mockRejectedValueOnce(new Error('SQS down')); // the retention job, the first time
      await deleteChat({ ...fake.deps, retentionQueue: { send } }, ann, { chatId: 'g1' });
      const expiresAt = Math.floor(fake.deps.now().getTime() / 1000);
      expect(fake.store.retention.expireChat).toHaveBeenCalledWith('g1', expiresAt, expect.any(Function), {
        limit: REQUEST_PAGE_SIZE,
        mayStartPage: expect.any(Function),
      });
      // The whole job again (from the start, delayed): pages done twice are harmless.
      expect(sent).toEqual([finishJob, job({ expiresAt })]);
      expect(send.mock.calls[2]?.[1]).toEqual({ delayed: true });
      expect(fake.store.chats.deleteMeta).toHaveBeenCalledWith('g1');
      expect(emitted).toEqual([]);
    });

    it('refused again: keeps META marked, logs the job that finishes it and counts RetentionNotQueued', async () => {
      const fake = unfinished();
      const error = vi.spyOn(logger, 'error');
      const refusing: RetentionQueue = { send: vi.fn(async () => Promise.reject(new Error('SQS down'))) };
      await expect(
        deleteChat({ ...fake.deps, retentionQueue: refusing }, ann, { chatId: 'g1' }),
      ).resolves.toEqual({ chatId: 'g1' });
      expect(refusing.send).toHaveBeenCalledTimes(3);
      expect(fake.store.chats.deleteMeta).not.toHaveBeenCalled();
      expect(fake.store.rosters.clear).toHaveBeenCalledWith('g1');
      expect(error).toHaveBeenCalledWith(expect.stringContaining('send its job to the retention queue'), {
        chatId: 'g1',
        job: finishJob,
      });
      expect(emitted).toEqual([{ RetentionNotQueued: 1 }]);
    });

    // An SQS that times out rather than refusing keeps a send up to 3 attempts of 2.5 s and their
    // backoff (queue/light-sqs.ts): asked again unbounded after the pages, it ran past the route's
    // timeout, and Lambda stopped the request before its error line and metric.
    describe('a queue that hangs when asked again', () => {
      const hanging = () =>
        vi
          .fn(async (_j: QueuedRetentionJob, _options?: { delayed?: boolean }) => {})
          .mockImplementationOnce(async () => {}) // the finish job
          .mockRejectedValueOnce(new Error('SQS down')) // the retention job, the first time
          .mockImplementationOnce(() => new Promise<void>(() => {})); // asked again: no answer, ever
      const deleteWithin = async (leftMs: number, send: RetentionQueue['send']) => {
        const { withInvocation } = await import('../../../lambdas/shared/budget.ts');
        const fake = unfinished();
        const deadline = Date.now() + leftMs;
        const started = Date.now();
        await expect(
          withInvocation({ getRemainingTimeInMillis: () => deadline - Date.now() }, () =>
            deleteChat({ ...fake.deps, retentionQueue: { send } }, ann, { chatId: 'g1' }),
          ),
        ).resolves.toEqual({ chatId: 'g1' });
        return { fake, took: Date.now() - started };
      };
      const expectLeft = (fake: ReturnType<typeof unfinished>, error: MockInstance) => {
        expect(fake.store.chats.deleteMeta).not.toHaveBeenCalled();
        expect(fake.store.rosters.clear).toHaveBeenCalledWith('g1');
        expect(error).toHaveBeenCalledWith(expect.stringContaining('send its job to the retention queue'), {
          chatId: 'g1',
          job: finishJob,
        });
        expect(emitted).toEqual([{ RetentionNotQueued: 1 }]);
      };

      it('is given the time left but the end’s reserve, then the error line and metric', {
        timeout: 10_000,
      }, async () => {
        const error = vi.spyOn(logger, 'error');
        const send = hanging();
        const { fake, took } = await deleteWithin(2_500, send);
        expect(send).toHaveBeenCalledTimes(3);
        expect(took).toBeGreaterThanOrEqual(1_000);
        expect(took).toBeLessThan(2_500 - QUEUE_AGAIN_RESERVE_MS + 500);
        expectLeft(fake, error);
      });

      it('is not asked again with less time left than it answers in', { timeout: 10_000 }, async () => {
        const error = vi.spyOn(logger, 'error');
        const send = hanging();
        const { fake, took } = await deleteWithin(QUEUE_AGAIN_RESERVE_MS + QUEUE_ANSWER_MS - 50, send);
        expect(send).toHaveBeenCalledTimes(2);
        expect(took).toBeLessThan(500);
        expectLeft(fake, error);
      });
    });

    it('the bound is the invocation’s time: no page starts once one would end in its reserve', async () => {
      const { withInvocation } = await import('../../../lambdas/shared/budget.ts');
      const fake = unfinished();
      let mayStart: (() => boolean) | undefined;
      fake.store.retention.expireChat.mockImplementation(async (_c, _e, _b, bounds) => {
        mayStart = bounds?.mayStartPage;
        return { count: 0, done: false, next: undefined };
      });
      let now = 1_000_000;
      vi.spyOn(Date, 'now').mockImplementation(() => now);
      await withInvocation({ getRemainingTimeInMillis: () => 10_000 }, () =>
        deleteChat(fake.deps, ann, { chatId: 'g1' }),
      );
      now += 7_000; // 3 s left: a page (1 s) still ends before the reserve (2 s)
      expect(mayStart?.()).toBe(true);
      now += 1; // no longer
      expect(mayStart?.()).toBe(false);
    });
  });
});

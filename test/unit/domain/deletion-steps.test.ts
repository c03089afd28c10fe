/**
 * `deleteChat`'s steps after its mark (lambdas/domain/chat-deletion.ts) with the retention queue:
 * the finish job before the mark, the members told before their memberships go, the retention job
 * queued only by the run that removed the owner's membership and before `META` goes, and the
 * partition expired in the request only when the queue refuses the job. The same steps against
 * DynamoDB Local and a failing write: test/fault/interrupted-delete.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { deleteChat } from '../../../lambdas/domain/chats.ts';
import type {
  FinishDeletionJob,
  QueuedRetentionJob,
  RetentionJob,
  RetentionQueue,
} from '../../../lambdas/domain/retention-jobs.ts';
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
      expect(store.retention.expireChat).toHaveBeenCalledWith('g1', expiresAt, expect.any(Function));
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
});

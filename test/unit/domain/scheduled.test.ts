/** Scheduled-message decisions of the domain, over mocked repositories, fan-out and due queue. */
import { describe, expect, it } from 'vitest';
import type { ChatWithMembers, MessageRecord } from '../../../lambdas/data/store.ts';
import { scheduledIdFor, scheduleMessage } from '../../../lambdas/domain/scheduled.ts';
import { cancelScheduled } from '../../../lambdas/domain/scheduled-cancel.ts';
import { dispatchScheduled } from '../../../lambdas/domain/scheduled-dispatch.ts';
import { groupChat, NOW, sent, stored } from './fakes.ts';
import { ann, at, input, record, scheduledDeps, scheduledWrites } from './scheduled-fakes.ts';

describe('scheduleMessage', () => {
  it('enqueues at once what is due within the horizon, and tells the author’s other sockets', async () => {
    const { deps, store, queue, fanOut } = scheduledDeps();
    const { scheduled, stored } = await scheduleMessage(deps, ann, input(at(60_000)));
    expect(stored).toBe(true);
    expect(store.scheduled.create).toHaveBeenCalledWith(
      expect.objectContaining({ userId: 'ann', authorName: 'ANN', status: 'pending', sendAt: at(60_000) }),
      100,
    );
    expect(queue.enqueue).toHaveBeenCalledWith(
      [{ userId: 'ann', scheduledId: scheduled.scheduledId, sendAt: at(60_000) }],
      new Date(NOW),
    );
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['ann'],
        frame: { type: 'scheduled.created', scheduled },
        options: { excludeConnectionId: 'c1' },
      },
    ]);
  });

  it('leaves what is due later to the sweep, and still acks when the queue fails', async () => {
    const later = scheduledDeps();
    await scheduleMessage(later.deps, ann, input(at(126_000)));
    expect(later.queue.enqueue).not.toHaveBeenCalled();
    const failing = scheduledDeps();
    failing.queue.enqueue.mockRejectedValue(new Error('SQS is down'));
    await expect(scheduleMessage(failing.deps, ann, input(at(1000)))).resolves.toMatchObject({
      scheduled: { status: 'pending' },
    });
  });

  it('answers a duplicate with the earlier schedule, without an event; refuses over the cap', async () => {
    const dup = scheduledDeps();
    const existing = record({ sendAt: at(3600_000) });
    dup.store.scheduled.create.mockResolvedValue({ status: 'duplicate', existing });
    const answer = await scheduleMessage(dup.deps, ann, { ...input(at(60_000)), clientMessageId: 'c' });
    expect(answer).toMatchObject({ scheduled: { sendAt: existing.sendAt }, stored: false });
    expect(dup.queue.enqueue).not.toHaveBeenCalled();
    expect(dup.fanOut.toUsers).not.toHaveBeenCalled();
    const full = scheduledDeps();
    full.store.scheduled.create.mockResolvedValue({ status: 'limit' });
    await expect(scheduleMessage(full.deps, ann, input(at(60_000)))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('derives the id from author, chat and clientMessageId (random without one)', () => {
    expect(scheduledIdFor('ann', 'g1', 'c')).toBe(scheduledIdFor('ann', 'g1', 'c'));
    expect(scheduledIdFor('ann', 'g1', 'c')).not.toBe(scheduledIdFor('bob', 'g1', 'c'));
    expect(scheduledIdFor('ann', 'g1', 'c')).not.toBe(scheduledIdFor('ann', 'g2', 'c'));
    expect(scheduledIdFor('ann', 'g1', undefined)).not.toBe(scheduledIdFor('ann', 'g1', undefined));
  });
});

describe('cancelScheduled', () => {
  it('is CONFLICT when a dispatcher claimed it between the read and the write', async () => {
    const { deps, store, fanOut } = scheduledDeps();
    store.scheduled.get.mockResolvedValueOnce(record()).mockResolvedValueOnce(record({ status: 'sending' }));
    store.scheduled.cancel.mockResolvedValue('refused');
    await expect(
      cancelScheduled(deps, ann, { scheduledId: 's_1', connectionId: 'c1' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });
});

/** An earlier attempt stored `message`: its clientMessageId claim is held, the index finds it. */
function storedEarlier(store: ReturnType<typeof scheduledDeps>['store'], message: MessageRecord | undefined) {
  store.claims.claim.mockResolvedValue({ status: 'taken', claim: { claimedAt: 0, token: 't0' } });
  store.messages.findByClientId.mockResolvedValue(message);
}

describe('dispatchScheduled', () => {
  const ref = { userId: 'ann', scheduledId: 's_1', sendAt: at(-500) };

  it('leaves alone what it cannot claim (gone, finished, or held by another dispatcher)', async () => {
    const { deps, store, fanOut } = scheduledDeps();
    store.scheduled.claim.mockResolvedValue(undefined);
    expect(await dispatchScheduled(deps, ref)).toBe('skipped');
    expect(store.scheduled.claim).toHaveBeenCalledWith(ref, expect.any(String), new Date(NOW), 60_000);
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(store.scheduled.complete).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('puts back a queue message more than 2 s early, without reading the item', async () => {
    const { deps, store, queue } = scheduledDeps();
    const early = { ...ref, sendAt: at(30_000) };
    expect(await dispatchScheduled(deps, early)).toBe('requeued');
    expect(queue.enqueue).toHaveBeenCalledWith([early], new Date(NOW));
    expect(store.scheduled.get).not.toHaveBeenCalled();
    expect(store.scheduled.claim).not.toHaveBeenCalled();
  });

  it('keeps the claim and throws when the send path fails for a reason that may pass', async () => {
    const { deps, store } = scheduledDeps();
    store.scheduled.claim.mockImplementation(async (_ref, dispatchId) =>
      record({ status: 'sending', dispatchId, attempts: 1 }),
    );
    store.chats.getWithMembers.mockRejectedValue(
      Object.assign(new Error('throttled'), { name: 'ThrottlingException' }),
    );
    await expect(dispatchScheduled(deps, ref)).rejects.toThrow('throttled');
    expect(scheduledWrites(store)).toEqual(['claim']);
  });

  it('keeps the claim when the send stored the message and then failed, so that it is not cancellable; the next attempt records it as sent', async () => {
    const { deps, store, fanOut } = scheduledDeps();
    store.scheduled.claim.mockResolvedValue(record({ status: 'sending', attempts: 1 }));
    // The socket lookup beside the put fails, and again in the fan-out: after the put.
    fanOut.socketsOf.mockRejectedValue(new Error('lookup failed'));
    fanOut.toUsers.mockRejectedValue(new Error('lookup failed'));
    await expect(dispatchScheduled(deps, ref)).rejects.toThrow('lookup failed');
    expect(store.messages.put).toHaveBeenCalledTimes(1);
    const stored = store.messages.put.mock.calls[0]?.[0];
    expect(stored).toMatchObject({ clientMessageId: 'sched_s_1' });
    expect(scheduledWrites(store)).toEqual(['claim']);

    // Still `sending` (its lease runs): cancelling is CONFLICT, and gives no upload back.
    store.scheduled.get.mockResolvedValue(record({ status: 'sending', attempts: 1 }));
    await expect(
      cancelScheduled(deps, ann, { scheduledId: 's_1', connectionId: 'c1' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(store.scheduled.cancel).not.toHaveBeenCalled();

    // Once the lease ran out, the next attempt finds the message and records it, once.
    fanOut.toUsers.mockResolvedValue({
      delivered: 0,
      gone: 0,
      connecting: 0,
      failed: 0,
      retried: 0,
      queued: 0,
    });
    store.scheduled.claim.mockResolvedValue(record({ status: 'sending', attempts: 2 }));
    storedEarlier(store, stored);
    expect(await dispatchScheduled(deps, ref)).toBe('sent');
    expect(store.messages.put).toHaveBeenCalledTimes(1);
    expect(store.scheduled.complete).toHaveBeenCalledTimes(1);
    expect(store.scheduled.complete).toHaveBeenCalledWith(
      expect.objectContaining({ scheduledId: 's_1' }),
      expect.any(String),
      { status: 'sent', messageId: stored?.messageId },
      new Date(NOW),
    );
  });

  it('fails with CHAT_DELETED / NOT_MEMBER, and only the completing dispatcher tells the author', async () => {
    const { deps, store, fanOut } = scheduledDeps();
    store.scheduled.claim.mockResolvedValue(record({ status: 'sending', attempts: 1 }));
    store.chats.getWithMembers.mockResolvedValue({ chat: undefined, members: [] });
    expect(await dispatchScheduled(deps, ref)).toBe('failed');
    expect(store.scheduled.complete).toHaveBeenCalledWith(
      expect.objectContaining({ scheduledId: 's_1' }),
      expect.any(String),
      { status: 'failed', reason: 'CHAT_DELETED' },
      new Date(NOW),
    );
    expect(sent(fanOut)[0]?.frame).toMatchObject({
      type: 'scheduled.failed',
      scheduled: { status: 'failed', reason: 'CHAT_DELETED' },
    });

    const lost = scheduledDeps();
    lost.store.scheduled.claim.mockResolvedValue(record({ status: 'sending', attempts: 1 }));
    lost.store.chats.getWithMembers.mockResolvedValue(groupChat('bob', ['bob']));
    lost.store.scheduled.complete.mockResolvedValue('refused');
    expect(await dispatchScheduled(lost.deps, ref)).toBe('skipped');
    expect(lost.fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('on a retry, records the message an earlier attempt stored instead of sending again', async () => {
    const { deps, store } = scheduledDeps();
    store.scheduled.claim.mockResolvedValue(record({ status: 'sending', attempts: 2 }));
    const earlier = stored(1, { clientMessageId: 'sched_s_1' });
    storedEarlier(store, earlier);
    expect(await dispatchScheduled(deps, ref)).toBe('sent');
    expect(store.messages.findByClientId).toHaveBeenCalledWith('g1', 'ann', 'sched_s_1');
    expect(store.scheduled.complete).toHaveBeenCalledWith(
      expect.objectContaining({ scheduledId: 's_1' }),
      expect.any(String),
      { status: 'sent', messageId: earlier.messageId },
      new Date(NOW),
    );
    // Found through the send path's claim of the clientMessageId (held: nothing given back).
    expect(store.claims.release).not.toHaveBeenCalled();
    expect(store.sequence.allocate).not.toHaveBeenCalled();
  });

  it('on a retry that finds the message, posts it to the current members again (the dead attempt may not have)', async () => {
    const { deps, store, fanOut } = scheduledDeps();
    store.scheduled.claim.mockResolvedValue(record({ status: 'sending', attempts: 2 }));
    storedEarlier(store, stored(1, { clientMessageId: 'sched_s_1' }));
    const head = groupChat('bob', ['bob', 'cat']);
    store.chats.getWithMembers.mockResolvedValue(head);
    await dispatchScheduled(deps, ref);
    const again = fanOut.toUsers.mock.calls.find(([, frame]) => frame.type === 'message.created');
    expect(again?.[0]).toEqual(['bob', 'cat']);
    expect(again?.[2]).toEqual({ chat: head.chat });
  });

  it('posts nothing again into a chat gone or being deleted, nor a message deleted since; and completes anyway when posting fails', async () => {
    const cases: [ChatWithMembers, MessageRecord][] = [
      [{ chat: undefined, members: [] }, stored(1)],
      [groupChat('bob', ['bob'], { deletedAt: at(0) }), stored(1)],
      [groupChat('bob', ['bob']), { ...stored(1), deleted: true }],
    ];
    for (const [chat, message] of cases) {
      const { deps, store, fanOut } = scheduledDeps();
      store.scheduled.claim.mockResolvedValue(record({ status: 'sending', attempts: 2 }));
      storedEarlier(store, message);
      store.chats.getWithMembers.mockResolvedValue(chat);
      expect(await dispatchScheduled(deps, ref)).toBe('sent');
      expect(fanOut.toUsers.mock.calls.filter(([, f]) => f.type === 'message.created')).toEqual([]);
    }
    const { deps, store, fanOut } = scheduledDeps();
    store.scheduled.claim.mockResolvedValue(record({ status: 'sending', attempts: 2 }));
    storedEarlier(store, stored(1));
    store.chats.getWithMembers.mockResolvedValue(groupChat('bob', ['bob']));
    fanOut.toUsers.mockRejectedValueOnce(new Error('throttled'));
    expect(await dispatchScheduled(deps, ref)).toBe('sent');
    expect(store.scheduled.complete).toHaveBeenCalled();
  });
});

/**
 * A receipt in a direct chat older than the blocks' mirror (no `blocksMirrored`) reads the reader's
 * block list, as a group's does (lambdas/domain/blocked-audience.ts); a read that fails hands the
 * receipt to the fan-out worker as a group's does (docs/data-model.md, "Typing and receipts"): the
 * reader's own sockets are told at once, and the other member through a job that names them and the
 * reader, whose blocks the worker reads before it looks them up (lambdas/fanout/worker.ts). Before,
 * only the reader's own sockets were told: the peer, not blocked, never heard of it.
 */
import { describe, expect, it, vi } from 'vitest';
import { markDelivered } from '../../../lambdas/domain/delivery.ts';
import { readMessage } from '../../../lambdas/domain/messages.ts';
import { caller, sent, stored, withChat } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const throttled = Object.assign(new Error('throttled'), { name: 'ThrottlingException' });

describe('a receipt in a direct chat older than the mirror, its block read failing', () => {
  it('readMessage: the reader’s own sockets at once, the peer through the worker', async () => {
    const { deps, store, fanOut } = withChat({ kind: 'direct' });
    store.blocks.blockedOf.mockRejectedValue(throttled);
    const message = stored(4, { senderId: 'bob' });
    store.messages.get.mockResolvedValue(message);
    await readMessage(deps, caller('ann'), { chatId: 'g1', messageId: message.messageId });
    const frame = { type: 'message.read', chatId: 'g1', userId: 'ann', lastReadSeq: 4 };
    expect(sent(fanOut).map((s) => s.userIds)).toEqual([['ann']]);
    expect(fanOut.queueJob.mock.calls).toEqual([
      [{ v: 2, frame: JSON.stringify(frame), targets: [], users: ['bob'], reader: 'ann', attempt: 1 }],
    ]);
  });

  it('markDelivered: nobody at once, the peer through the worker', async () => {
    const { deps, store, fanOut } = withChat({ kind: 'direct', lastSeq: 7 });
    store.chats.getChat.mockResolvedValue((await store.chats.getWithMembers('g1'))?.chat);
    store.blocks.blockedOf.mockRejectedValue(throttled);
    await markDelivered(deps, caller('ann'), { chatId: 'g1', seq: 7 });
    const frame = { type: 'message.delivered', chatId: 'g1', userId: 'ann', lastDeliveredSeq: 7 };
    expect(sent(fanOut).flatMap((s) => s.userIds)).toEqual([]);
    expect(fanOut.queueJob.mock.calls).toEqual([
      [{ v: 2, frame: JSON.stringify(frame), targets: [], users: ['bob'], reader: 'ann', attempt: 1 }],
    ]);
  });

  it('a block read that works: the peer told in the request, nothing queued', async () => {
    const { deps, store, fanOut } = withChat({ kind: 'direct' });
    const message = stored(4, { senderId: 'bob' });
    store.messages.get.mockResolvedValue(message);
    await readMessage(deps, caller('ann'), { chatId: 'g1', messageId: message.messageId });
    expect(store.blocks.blockedOf).toHaveBeenCalledWith('ann', ['bob']);
    expect(sent(fanOut).map((s) => s.userIds)).toEqual([['ann', 'bob']]);
    expect(fanOut.queueJob).not.toHaveBeenCalled();
  });
});

/** markDelivered: one conditional write; the other members hear of it only when it moved. */
import { describe, expect, it } from 'vitest';
import { markDelivered } from '../../../lambdas/domain/delivery.ts';
import { caller, fakeDeps, groupChat, sent } from './fakes.ts';

const bob = caller('bob');

describe('markDelivered', () => {
  it('moves the cursor and tells the other members (not the caller)', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob', 'cat']));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 7,
    });
    expect(store.cursors.markDelivered).toHaveBeenCalledWith('g1', 'bob', 7);
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['ann', 'cat'],
        frame: { type: 'message.delivered', chatId: 'g1', userId: 'bob', lastDeliveredSeq: 7 },
        options: { chat: expect.objectContaining({ chatId: 'g1', kind: 'group' }) },
      },
    ]);
  });

  it('answers the cursor where it is, reading and telling nothing, when it would move back', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.cursors.markDelivered.mockResolvedValue({ status: 'unchanged', lastDeliveredSeq: 12 });
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 12,
    });
    expect(store.chats.getWithMembers).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('is NOT_FOUND for a non-member (nothing was written)', async () => {
    const { deps, store } = fakeDeps();
    store.cursors.markDelivered.mockResolvedValue({ status: 'not-member' });
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

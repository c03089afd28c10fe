/**
 * markDelivered: one conditional write; the other members hear of it only when it moved. A seq past
 * the chat's last message is refused before anything is written (a cached head vouches for smaller
 * ones without reading the members; META is read by key, for a chat marked for deletion, and serves
 * the fan-out with the cached members unless they changed since).
 */
import { describe, expect, it } from 'vitest';
import { markDelivered } from '../../../lambdas/domain/delivery.ts';
import { caller, fakeDeps, groupChat, sent } from './fakes.ts';

const bob = caller('bob');
const team = (lastSeq: number) => groupChat('ann', ['ann', 'bob', 'cat'], { lastSeq });

describe('markDelivered', () => {
  it('moves the cursor and tells the other members (not the caller), from the head it read', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(team(7));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 7,
    });
    expect(store.cursors.markDelivered).toHaveBeenCalledWith('g1', 'bob', 7);
    expect(store.chats.getWithMembers).toHaveBeenCalledTimes(1);
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['ann', 'cat'],
        frame: { type: 'message.delivered', chatId: 'g1', userId: 'bob', lastDeliveredSeq: 7 },
        options: { chat: expect.objectContaining({ chatId: 'g1', kind: 'group' }) },
      },
    ]);
  });

  it('answers the cursor where it is, reading only META and telling nothing, when a cached head vouches for the seq', async () => {
    const { deps, store, fanOut } = fakeDeps();
    deps.store.heads.remember('g1', team(20));
    store.chats.getChat.mockResolvedValue(team(20).chat);
    store.cursors.markDelivered.mockResolvedValue({ status: 'unchanged', lastDeliveredSeq: 12 });
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 12,
    });
    expect(store.chats.getChat).toHaveBeenCalledWith('g1', { consistent: true });
    expect(store.chats.getWithMembers).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('with a cached head, tells the other members from the META it read and the cached members: one read in all', async () => {
    const { deps, store, fanOut } = fakeDeps();
    deps.store.heads.remember('g1', team(20));
    const meta = { ...team(20).chat, lastSeq: 21, name: 'Team (as read)' };
    store.chats.getChat.mockResolvedValue(meta);
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 7,
    });
    expect(store.chats.getChat).toHaveBeenCalledTimes(1);
    expect(store.chats.getWithMembers).not.toHaveBeenCalled();
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['ann', 'cat'],
        frame: { type: 'message.delivered', chatId: 'g1', userId: 'bob', lastDeliveredSeq: 7 },
        options: { chat: meta },
      },
    ]);
  });

  it('with a cached head whose members changed since (a newer memberVer on META), reads the members for the fan-out', async () => {
    const { deps, store, fanOut } = fakeDeps();
    deps.store.heads.remember('g1', team(20));
    store.chats.getChat.mockResolvedValue({ ...team(20).chat, memberVer: 2, memberCount: 4 });
    const now = groupChat('ann', ['ann', 'bob', 'cat', 'dan'], { lastSeq: 20, memberVer: 2 });
    store.chats.getWithMembers.mockResolvedValue(now);
    await markDelivered(deps, bob, { chatId: 'g1', seq: 7 });
    expect(store.chats.getWithMembers).toHaveBeenCalledTimes(1);
    expect(sent(fanOut)).toEqual([expect.objectContaining({ userIds: ['ann', 'cat', 'dan'] })]);
  });

  it('answers NOT_FOUND, writing nothing, for a chat marked for deletion after its head was cached', async () => {
    const { deps, store, fanOut } = fakeDeps();
    deps.store.heads.remember('g1', team(20));
    store.chats.getChat.mockResolvedValue({ ...team(20).chat, deletedAt: '2026-03-01T11:00:00.000Z' });
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(store.cursors.markDelivered).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('refuses a seq past the last message, after a consistent read, writing nothing', async () => {
    const { deps, store, fanOut } = fakeDeps();
    deps.store.heads.remember('g1', team(3));
    store.chats.getWithMembers.mockResolvedValue(team(3));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 999_999 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/"seq" 999999 is past the last message/),
    });
    expect(store.chats.getWithMembers.mock.calls.map(([, options]) => options)).toEqual([
      { consistent: false },
      { consistent: true },
    ]);
    expect(store.cursors.markDelivered).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('takes a seq the eventually consistent read did not see yet when the consistent one does', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValueOnce(team(5)).mockResolvedValueOnce(team(7));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toMatchObject({
      lastDeliveredSeq: 7,
    });
  });

  it('is NOT_FOUND for a non-member, telling nothing of the chat (nothing was written)', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'cat'], { lastSeq: 3 }));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(store.cursors.markDelivered).not.toHaveBeenCalled();
  });

  it('is NOT_FOUND when the write finds no membership (left since the cached head)', async () => {
    const { deps, store } = fakeDeps();
    deps.store.heads.remember('g1', team(20));
    store.cursors.markDelivered.mockResolvedValue({ status: 'not-member' });
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

/**
 * Keeping the blocks' mirror (lambdas/domain/block-mirror.ts) against fake repositories: a block
 * change retries against a fresh view of the pair until it finds the pair as it read it, and gives
 * up with CONFLICT; an older direct chat is brought up to date once, best effort.
 */
import { describe, expect, it } from 'vitest';
import { changeBlock, mirrorOlderChat } from '../../../lambdas/domain/block-mirror.ts';
import { blockUser, unblockUser } from '../../../lambdas/domain/blocking.ts';
import { caller, fakeDeps, groupChat } from './fakes.ts';

const ann = caller('ann');

describe('block changes against the pair', () => {
  it('reads the pair pointer again after the pair changed, and applies the change against it', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getDirectChatId.mockResolvedValueOnce(undefined).mockResolvedValueOnce('d1');
    store.blocks.block.mockResolvedValueOnce('pair-changed').mockResolvedValueOnce('blocked');
    await expect(blockUser(deps, ann, { userId: 'bob' })).resolves.toEqual({ userId: 'bob' });
    expect(store.chats.getDirectChatId).toHaveBeenCalledTimes(2);
    expect(store.blocks.block.mock.calls.map((c) => c[1])).toEqual([
      { chatId: undefined, live: true },
      { chatId: 'd1', live: true },
    ]);
  });

  it('retries without the mirror when the chat the pointer names is gone, without reading the pair again', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getDirectChatId.mockResolvedValue('d1');
    store.blocks.unblock.mockResolvedValueOnce('chat-gone').mockResolvedValueOnce('unblocked');
    await unblockUser(deps, ann, { userId: 'bob' });
    expect(store.chats.getDirectChatId).toHaveBeenCalledTimes(1);
    expect(store.blocks.unblock.mock.calls.map((c) => c[2])).toEqual([
      { chatId: 'd1', live: true },
      { chatId: 'd1', live: false },
    ]);
  });

  it('answers CONFLICT when the pair keeps changing', async () => {
    const { deps, store } = fakeDeps();
    const change = async () => 'pair-changed' as const;
    await expect(changeBlock(deps, 'ann', 'bob', change)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(store.chats.getDirectChatId).toHaveBeenCalledTimes(5);
  });
});

describe('bringing an older direct chat up to date', () => {
  it('mirrors both block items once and forgets the cached head', async () => {
    const { deps, store } = fakeDeps();
    const { chat, members } = groupChat('ann', ['ann', 'bob'], { kind: 'direct' });
    store.heads.remember(chat.chatId, { chat, members });
    store.blocks.pairBlocks.mockResolvedValueOnce({ a: 'ann', b: 'bob', aBlocksB: false, bBlocksA: true });
    await mirrorOlderChat(deps, chat, ['ann', 'bob']);
    expect(store.blocks.mirror).toHaveBeenCalledWith('g1', {
      a: 'ann',
      b: 'bob',
      aBlocksB: false,
      bBlocksA: true,
    });
    expect(store.heads.get('g1')).toBeUndefined();
  });

  it('does nothing for a mirrored chat or a group, and never fails the send', async () => {
    const { deps, store } = fakeDeps();
    const direct = groupChat('ann', ['ann', 'bob'], { kind: 'direct', blocksMirrored: true }).chat;
    await mirrorOlderChat(deps, direct, ['ann', 'bob']);
    await mirrorOlderChat(deps, groupChat('ann', ['ann', 'bob']).chat, ['ann', 'bob']);
    expect(store.blocks.pairBlocks).not.toHaveBeenCalled();

    store.blocks.pairBlocks.mockRejectedValueOnce(new Error('throttled'));
    const older = groupChat('ann', ['ann', 'bob'], { kind: 'direct' }).chat;
    await expect(mirrorOlderChat(deps, older, ['ann', 'bob'])).resolves.toBeUndefined();
    expect(store.blocks.mirror).not.toHaveBeenCalled();
  });
});

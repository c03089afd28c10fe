/** react's decisions over mocked repositories: the answer after another socket of the caller won. */
import { describe, expect, it, vi } from 'vitest';
import { react } from '../../../lambdas/domain/reactions.ts';
import { caller, fakeDeps, groupChat, stored } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ann = caller('ann');

describe('react', () => {
  it('answers the message as it is when another socket of the caller added the same emoji first', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    const before = stored(3, { ver: 4 });
    const after = { ...before, ver: 5, reactions: [{ emoji: '👍', count: 1, userIds: ['ann'] }] };
    store.messages.get.mockResolvedValueOnce(before).mockResolvedValue(after);
    store.sequence.allocateVersion.mockResolvedValue({ status: 'allocated', ver: 6 });
    store.reactions.has.mockResolvedValueOnce(false).mockResolvedValue(true);
    store.reactions.apply.mockResolvedValue({ status: 'raced' });

    const { message } = await react(deps, ann, {
      chatId: 'g1',
      messageId: before.messageId,
      emoji: '👍',
      remove: false,
    });
    expect(message).toMatchObject({ ver: 5, reactions: [{ emoji: '👍', count: 1, userIds: ['ann'] }] });
    expect(store.reactions.apply).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers).not.toHaveBeenCalled(); // the winner told the members
  });
});

/** react's decisions over mocked repositories: the answer after another socket of the caller won. */
import { describe, expect, it, vi } from 'vitest';
import { react } from '../../../lambdas/domain/reactions.ts';
import { caller, clock, fakeDeps, groupChat, stored } from './fakes.ts';

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

describe('react under a burst', () => {
  const ref = (messageId: string) => ({ chatId: 'g1', messageId, emoji: '👍', remove: false });

  it('answers CONFLICT after its time (5 s), every attempt refused, nothing announced', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    const before = stored(3, { ver: 4 });
    store.messages.get.mockResolvedValue(before);
    store.reactions.has.mockResolvedValue(false);
    let ver = 10;
    store.sequence.allocateVersion.mockImplementation(async () => ({ status: 'allocated', ver: ++ver }));
    // Every attempt loses to another reaction, which moves the message on; each costs 100 ms.
    store.reactions.apply.mockImplementation(async () => {
      clock.ms += 100;
      return { status: 'moved', current: { ...before, ver } };
    });

    const started = clock.ms;
    await expect(react(deps, ann, ref(before.messageId))).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/"emoji".*not added/),
    });
    expect(clock.ms - started).toBeGreaterThanOrEqual(5000);
    expect(clock.ms - started).toBeLessThan(5500);
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('never answers CONFLICT while a write it abandoned may still land: it waits, then tells', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    const before = stored(3, { ver: 4 });
    const after = { ...before, ver: 11, reactions: [{ emoji: '👍', count: 1, userIds: ['ann'] }] };
    store.sequence.allocateVersion.mockResolvedValue({ status: 'allocated', ver: 11 });
    // The write is abandoned at its deadline and lands later: the message stays at 4 a while.
    const aborted = Object.assign(new Error('aborted'), { name: 'AbortError' });
    store.reactions.apply.mockImplementation(async () => {
      clock.ms += 5000;
      throw aborted;
    });
    store.messages.get
      .mockResolvedValueOnce(before) // loadMessage
      .mockResolvedValueOnce(before) // after the abort
      .mockResolvedValueOnce(before) // still undecided
      .mockResolvedValue(after); // landed
    store.reactions.has
      .mockResolvedValueOnce(false)
      .mockResolvedValueOnce(false)
      .mockResolvedValueOnce(false)
      .mockResolvedValue(true);

    const { message } = await react(deps, ann, ref(before.messageId));
    expect(message).toMatchObject({ ver: 11, reactions: after.reactions });
    expect(store.reactions.apply).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
  });

  // The message is read first, then the caller's item: a write that lands between the two shows
  // in the item while the message read is the one before it (at the version it was guarded on).
  describe('an abandoned write that lands between the message read and the item read', () => {
    function landingLate() {
      const fake = fakeDeps();
      fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
      const before = stored(3, { ver: 4 });
      const after = { ...before, ver: 11, reactions: [{ emoji: '👍', count: 1, userIds: ['ann'] }] };
      fake.store.sequence.allocateVersion.mockResolvedValue({ status: 'allocated', ver: 11 });
      const aborted = Object.assign(new Error('aborted'), { name: 'AbortError' });
      return { ...fake, before, after, aborted };
    }

    it('answers and announces the message as the write left it (read again), not the one before', async () => {
      const { deps, store, fanOut, before, after, aborted } = landingLate();
      store.reactions.apply.mockRejectedValue(aborted);
      store.messages.get
        .mockResolvedValueOnce(before) // loadMessage
        .mockResolvedValueOnce(before) // after the abort: the write has not landed yet
        .mockResolvedValue(after); // read again
      store.reactions.has.mockResolvedValueOnce(false).mockResolvedValue(true); // it has landed since
      const { message } = await react(deps, ann, ref(before.messageId));
      expect(message).toMatchObject({ ver: 11, reactions: after.reactions });
      expect(fanOut.toUsers.mock.calls[0]?.[1]).toMatchObject({ ver: 11, reactions: after.reactions });
    });

    it('when waiting for it to settle, too', async () => {
      const { deps, store, fanOut, before, after, aborted } = landingLate();
      store.reactions.apply.mockImplementation(async () => {
        clock.ms += 5000; // out of time: the abandoned write is settled
        throw aborted;
      });
      store.messages.get
        .mockResolvedValueOnce(before) // loadMessage
        .mockResolvedValueOnce(before) // after the abort
        .mockResolvedValueOnce(before) // settling: the write has not landed yet
        .mockResolvedValue(after); // read again
      store.reactions.has.mockResolvedValueOnce(false).mockResolvedValueOnce(false).mockResolvedValue(true);
      const { message } = await react(deps, ann, ref(before.messageId));
      expect(message).toMatchObject({ ver: 11, reactions: after.reactions });
      expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
      expect(fanOut.toUsers.mock.calls[0]?.[1]).toMatchObject({ ver: 11, reactions: after.reactions });
    });
  });
});

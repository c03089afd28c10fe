/**
 * sendMessage when its allocation or its put must be tried again (`append.ts`): the members changed
 * (the head read again), a put that misses its deadline or its seq (voids, the next seq), and the
 * claim's fate when a write's outcome is unknown. The happy path, refusals and duplicates: send.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { writeTiming } from '../../../lambdas/domain/timing.ts';
import { annSend, caller, clock, groupChat, sent, withChat } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ann = caller('ann');
const send = annSend;

describe('sendMessage: the members changed', () => {
  it('reads the head again and allocates against the new members, who are the ones told', async () => {
    const { deps, store, fanOut } = withChat({ memberVer: 1 });
    const grown = groupChat('ann', ['ann', 'bob', 'cat'], { memberVer: 4 });
    store.sequence.allocate
      .mockResolvedValueOnce({ status: 'members-changed', chat: grown.chat })
      .mockResolvedValueOnce({ status: 'allocated', seq: 6, ver: 11 });
    store.chats.getWithMembers.mockResolvedValueOnce(groupChat('ann', ['ann', 'bob'], { memberVer: 1 }));
    store.chats.getWithMembers.mockResolvedValueOnce(grown);
    await sendMessage(deps, ann, send);
    expect(store.chats.getWithMembers.mock.calls[1]?.[1]).toEqual({ consistent: true });
    expect(store.sequence.allocate.mock.calls[1]?.[1]).toMatchObject({ memberVer: 4 });
    expect(sent(fanOut)[0]?.userIds).toEqual(['ann', 'bob', 'cat']);
    expect(store.heads.get('g1')?.chat.memberVer).toBe(4);
  });
});

describe('sendMessage: puts that miss their deadline or their seq', () => {
  it('fills a seq whose put failed with a void, then stores at the next seq', async () => {
    const { deps, store } = withChat();
    store.sequence.allocate
      .mockResolvedValueOnce({ status: 'allocated', seq: 5, ver: 9 })
      .mockResolvedValueOnce({ status: 'allocated', seq: 6, ver: 10 });
    store.messages.put.mockRejectedValueOnce(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    const { message } = await sendMessage(deps, ann, send);
    expect(store.sequence.fillVoid).toHaveBeenCalledWith('g1', 5, clock.ms);
    expect(message).toMatchObject({ seq: 6, ver: 10, messageId: expect.stringMatching(/^m6_/) });
  });

  it('takes the next seq without writing when a reader filled its seq first', async () => {
    const { deps, store } = withChat();
    store.sequence.allocate
      .mockResolvedValueOnce({ status: 'allocated', seq: 5, ver: 9 })
      .mockResolvedValueOnce({ status: 'allocated', seq: 6, ver: 10 });
    store.messages.put.mockResolvedValueOnce({
      status: 'occupied',
      slot: { kind: 'void', seq: 5, allocAt: 1 },
    });
    await expect(sendMessage(deps, ann, send)).resolves.toMatchObject({ message: { seq: 6 } });
    expect(store.sequence.fillVoid).not.toHaveBeenCalled();
  });

  it('keeps a message that landed although its put was aborted (the void is refused with it)', async () => {
    const { deps, store, fanOut } = withChat();
    store.messages.put.mockImplementationOnce(async (message) => {
      store.sequence.fillVoid.mockResolvedValueOnce({
        status: 'occupied',
        slot: { kind: 'message', message },
      });
      throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    });
    const { message } = await sendMessage(deps, ann, send);
    expect(message.seq).toBe(5);
    expect(store.sequence.allocate).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
  });

  it('never sends a put after the write deadline: a late allocation answer costs a void, not a late write', async () => {
    const { deps, store } = withChat();
    store.sequence.allocate
      .mockImplementationOnce(async () => {
        clock.advance(writeTiming().writeDeadlineMs); // the answer came back at the deadline
        return { status: 'allocated', seq: 5, ver: 9 };
      })
      .mockResolvedValueOnce({ status: 'allocated', seq: 6, ver: 10 });
    await expect(sendMessage(deps, ann, send)).resolves.toMatchObject({ message: { seq: 6 } });
    expect(store.messages.put).toHaveBeenCalledTimes(1);
    expect(store.messages.put.mock.calls[0]?.[0]).toMatchObject({ seq: 6 });
    expect(store.sequence.fillVoid.mock.calls[0]?.slice(0, 2)).toEqual(['g1', 5]);
  });

  it('keeps the claim when the fate of a put cannot be settled (a retry resolves it later)', async () => {
    const { deps, store } = withChat();
    store.messages.put.mockRejectedValueOnce(new Error('connection reset'));
    store.sequence.fillVoid.mockRejectedValueOnce(new Error('connection reset'));
    await expect(sendMessage(deps, ann, send)).rejects.toThrow('connection reset');
    expect(store.claims.release).not.toHaveBeenCalled();
  });

  it('gives the claim back when the allocation was not answered (no put of this send can follow)', async () => {
    const { deps, store } = withChat();
    store.sequence.allocate.mockRejectedValueOnce(new Error('connection refused'));
    await expect(sendMessage(deps, ann, send)).rejects.toThrow('connection refused');
    expect(store.messages.put).not.toHaveBeenCalled();
    expect(store.claims.release).toHaveBeenCalled();
  });

  it('stops allocating at the claim deadline and answers CONFLICT, giving the claim back', async () => {
    const { deps, store } = withChat();
    store.sequence.allocate.mockImplementation(async () => {
      clock.advance(writeTiming().claimDeadlineMs / 2);
      return { status: 'members-changed', chat: groupChat('ann', ['ann']).chat };
    });
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(store.sequence.allocate.mock.calls.length).toBeLessThanOrEqual(2);
    expect(store.claims.release).toHaveBeenCalled();
  });
});

/**
 * History pages never skip a seq that is in flight: an interior gap is waited for, and filled with
 * a void only once settled; voids are never returned; the top of the newest page is not waited for,
 * but the top of an `after` page (a catch-up) that reaches the chat head's `lastSeq` is.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Slot } from '../../../lambdas/data/store.ts';
import { getHistory, readHistoryPage } from '../../../lambdas/domain/history.ts';
import { settleWindowMs } from '../../../lambdas/domain/timing.ts';
import { caller, clock, fakeDeps, groupChat, memberAndChat, stored } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const msg = (seq: number, allocAt = clock.ms - 10): Slot => ({
  kind: 'message',
  message: stored(seq, { allocAt }),
});
const voidSlot = (seq: number): Slot => ({ kind: 'void', seq, allocAt: 0 });
const seqs = (page: { messages: { seq: number }[] }) => page.messages.map((m) => m.seq);

describe('history', () => {
  it('shows history to members only', async () => {
    const { deps, store } = fakeDeps();
    await expect(getHistory(deps, caller('ann'), { chatId: 'g1', limit: 10 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(store.messages.readSlots).not.toHaveBeenCalled();
  });

  it('answers message views, deleted ones blanked', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getMemberAndChat.mockResolvedValue(memberAndChat());
    store.messages.readSlots.mockResolvedValue({
      slots: [{ kind: 'message', message: stored(1, { deleted: true, text: 'x' }) }],
      exhausted: true,
    });
    const page = await getHistory(deps, caller('ann'), { chatId: 'g1', limit: 10 });
    expect(page).toMatchObject({ hasMore: false, messages: [{ seq: 1, text: '', deleted: true }] });
  });

  it('reads the newest page backwards and answers it ascending, one more asked to know hasMore', async () => {
    const { deps, store } = fakeDeps();
    store.messages.readSlots.mockResolvedValue({ slots: [msg(9), msg(8), msg(7)], exhausted: false });
    const page = await readHistoryPage(deps, { chatId: 'g1', limit: 2 });
    expect(seqs(page)).toEqual([8, 9]);
    expect(page.hasMore).toBe(true);
    expect(store.messages.readSlots).toHaveBeenCalledWith('g1', {
      from: 1,
      to: 999_999_999_999,
      forward: false,
      messages: 3,
    });
  });

  it('never returns voids, and does not count them as messages', async () => {
    const { deps, store } = fakeDeps();
    store.messages.readSlots.mockResolvedValue({ slots: [msg(3), voidSlot(2), msg(1)], exhausted: true });
    const page = await readHistoryPage(deps, { chatId: 'g1', limit: 2 });
    expect(page).toMatchObject({ hasMore: false });
    expect(seqs(page)).toEqual([1, 3]);
    expect(store.messages.getSlot).not.toHaveBeenCalled();
  });

  it('waits for an interior seq whose message is in flight, and returns it', async () => {
    const { deps, store } = fakeDeps();
    store.messages.readSlots.mockResolvedValue({ slots: [msg(3), msg(1)], exhausted: true });
    store.messages.getSlot
      .mockResolvedValueOnce(undefined)
      .mockResolvedValueOnce(undefined)
      .mockResolvedValueOnce(msg(2));
    const page = await readHistoryPage(deps, { chatId: 'g1', limit: 10 });
    expect(seqs(page)).toEqual([1, 2, 3]);
    expect(store.messages.getSlot).toHaveBeenCalledWith('g1', 2);
    expect(store.sequence.fillVoid).not.toHaveBeenCalled();
  });

  it('fills a gap with a void only once it is settled, judged from the item above it', async () => {
    const { deps, store } = fakeDeps();
    const above = clock.ms - 100; // seq 3 was allocated 100 ms ago; seq 2 before it
    store.messages.readSlots.mockResolvedValue({ slots: [msg(3, above), msg(1)], exhausted: true });
    store.sequence.fillVoid.mockImplementation(async () => {
      expect(clock.ms).toBeGreaterThan(above + settleWindowMs());
      return { status: 'voided' };
    });
    const page = await readHistoryPage(deps, { chatId: 'g1', limit: 10 });
    expect(seqs(page)).toEqual([1, 3]);
    expect(store.sequence.fillVoid).toHaveBeenCalledWith('g1', 2, above);
  });

  it('returns the message that landed just before the void would have', async () => {
    const { deps, store } = fakeDeps();
    store.messages.readSlots.mockResolvedValue({ slots: [msg(3, 0), msg(1, 0)], exhausted: true });
    store.sequence.fillVoid.mockResolvedValue({ status: 'occupied', slot: msg(2) });
    expect(seqs(await readHistoryPage(deps, { chatId: 'g1', limit: 10 }))).toEqual([1, 2, 3]);
  });

  it('does not wait for the top of the newest page (not there yet is not a gap)', async () => {
    const { deps, store } = fakeDeps();
    store.messages.readSlots.mockResolvedValue({ slots: [msg(2), msg(1)], exhausted: true });
    await readHistoryPage(deps, { chatId: 'g1', limit: 10 });
    expect(store.messages.getSlot).not.toHaveBeenCalled();
  });

  it('waits for the seqs below the lowest stored one when the run read down to seq 1 (in flight there)', async () => {
    for (const before of [undefined, 3]) {
      const { deps, store } = fakeDeps();
      const slots = before === undefined ? [msg(2)] : [msg(3), msg(2)];
      store.messages.readSlots.mockResolvedValue({ slots, exhausted: true });
      store.messages.getSlot.mockResolvedValueOnce(undefined).mockResolvedValue(msg(1));
      const page = await readHistoryPage(deps, { chatId: 'g1', limit: 50, before });
      expect(seqs(page)).toEqual([1, 2]);
      expect(page.hasMore).toBe(false);
    }
  });

  it('pages forward from after + 1, treating seqs below the first item as gaps', async () => {
    const { deps, store } = fakeDeps();
    store.messages.readSlots.mockResolvedValue({ slots: [msg(4), msg(5)], exhausted: true });
    store.messages.getSlot.mockResolvedValue(msg(3));
    const page = await readHistoryPage(deps, { chatId: 'g1', after: 2, limit: 10 });
    expect(seqs(page)).toEqual([3, 4, 5]);
    expect(store.messages.readSlots).toHaveBeenCalledWith('g1', {
      from: 3,
      to: 999_999_999_999,
      forward: true,
      messages: 11,
    });
  });

  it('pages back before a seq, reading that seq too so that gaps under it are seen, never returning it', async () => {
    const { deps, store } = fakeDeps();
    store.messages.readSlots.mockResolvedValue({ slots: [msg(7), msg(5), msg(4)], exhausted: true });
    store.messages.getSlot.mockResolvedValue(msg(6));
    const page = await readHistoryPage(deps, { chatId: 'g1', before: 7, limit: 2 });
    expect(seqs(page)).toEqual([5, 6]);
    expect(page.hasMore).toBe(true);
    expect(store.messages.readSlots).toHaveBeenCalledWith('g1', {
      from: 1,
      to: 7,
      forward: false,
      messages: 4,
    });
  });

  it('waits for the in-flight top of an after page that reaches the end (the catch-up misses nothing)', async () => {
    const { deps, store } = fakeDeps();
    store.messages.readSlots.mockResolvedValue({ slots: [msg(3), msg(4)], exhausted: true });
    const head = groupChat('ann', ['ann'], { lastSeq: 6, lastAllocAt: clock.ms - 5, voidSeqs: new Set([5]) });
    store.chats.getChats.mockResolvedValue(new Map([['g1', head.chat]]));
    store.messages.getSlot.mockResolvedValueOnce(undefined).mockResolvedValueOnce(msg(6));
    const page = await readHistoryPage(deps, { chatId: 'g1', after: 2, limit: 10 });
    expect(seqs(page)).toEqual([3, 4, 6]);
    expect(page.hasMore).toBe(false);
    expect(store.chats.getChats).toHaveBeenCalledWith(['g1']);
    expect(store.messages.getSlot.mock.calls.map(([, seq]) => seq)).toEqual([6, 6]); // not 5: a void
  });

  it('waits for at most a page of the top, and says more is there', async () => {
    const { deps, store } = fakeDeps();
    store.messages.readSlots.mockResolvedValue({ slots: [], exhausted: true });
    const head = groupChat('ann', ['ann'], { lastSeq: 10, lastAllocAt: clock.ms - 5 });
    store.chats.getChats.mockResolvedValue(new Map([['g1', head.chat]]));
    store.messages.getSlot.mockImplementation(async (_chatId, seq) => msg(seq));
    const page = await readHistoryPage(deps, { chatId: 'g1', after: 0, limit: 2 });
    expect(seqs(page)).toEqual([1, 2]);
    expect(page.hasMore).toBe(true);
    expect(store.messages.getSlot).toHaveBeenCalledTimes(3); // a page and one
  });

  it('reads no chat head for a full after page', async () => {
    const { deps, store } = fakeDeps();
    store.messages.readSlots.mockResolvedValue({ slots: [msg(1), msg(2), msg(3)], exhausted: false });
    const page = await readHistoryPage(deps, { chatId: 'g1', after: 0, limit: 2 });
    expect(page.hasMore).toBe(true);
    expect(store.chats.getChats).not.toHaveBeenCalled();
  });

  it('asks nothing for a page before the first message', async () => {
    const { deps, store } = fakeDeps();
    await expect(readHistoryPage(deps, { chatId: 'g1', before: 1, limit: 5 })).resolves.toEqual({
      messages: [],
      hasMore: false,
    });
    expect(store.messages.readSlots).not.toHaveBeenCalled();
  });
});

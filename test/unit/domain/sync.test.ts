/**
 * `sync` and its settle rule, against a fake clock: the cursor never passes a version that may
 * still be in flight, items newer than it are returned anyway, and it catches up once settled.
 */
import { describe, expect, it } from 'vitest';
import {
  RESET_PROBE_CHANGES,
  RESET_PROBE_MAX_CHANGES,
  SYNC_LIST_READ_MAX_MEMBERS,
  settledCursor,
  sync,
} from '../../../lambdas/domain/sync.ts';
import { headQuietMs, settleWindowMs } from '../../../lambdas/domain/timing.ts';
import { caller, clock, fakeDeps, groupChat, stored } from './fakes.ts';

const ann = caller('ann');

describe('settledCursor', () => {
  const settledBefore = 10_000;
  const old = settledBefore - 1;
  const recent = settledBefore + 1;

  it('moves to the chat’s lastVer when everything is settled and nothing more is to come', () => {
    const head = { lastVer: 20, settled: true };
    expect(settledCursor({ sinceVer: 5, head, returned: [], hasMore: false, settledBefore })).toBe(20);
  });

  it('stops below a version still in flight, returning newer items anyway', () => {
    const head = { lastVer: 20, settled: false }; // version 20 (say) was just allocated
    const returned = [
      { ver: 12, allocAt: old },
      { ver: 15, allocAt: old },
      { ver: 19, allocAt: recent },
    ];
    expect(settledCursor({ sinceVer: 5, head, returned, hasMore: false, settledBefore })).toBe(15);
  });

  it('stays at sinceVer when nothing returned is settled', () => {
    const head = { lastVer: 9, settled: false };
    const returned = [{ ver: 9, allocAt: recent }];
    expect(settledCursor({ sinceVer: 7, head, returned, hasMore: false, settledBefore })).toBe(7);
  });

  it('never passes the last returned item when more are to come', () => {
    const head = { lastVer: 50, settled: true };
    const returned = [
      { ver: 10, allocAt: old },
      { ver: 11, allocAt: old },
    ];
    expect(settledCursor({ sinceVer: 0, head, returned, hasMore: true, settledBefore })).toBe(11);
  });

  it('counts a version of a settled head as settled whatever its allocAt says', () => {
    const head = { lastVer: 30, settled: true };
    const returned = [{ ver: 30, allocAt: recent }];
    expect(settledCursor({ sinceVer: 0, head, returned, hasMore: true, settledBefore })).toBe(30);
  });
});

describe('sync', () => {
  function withChat(overrides: Parameters<typeof groupChat>[2] = {}) {
    const fake = fakeDeps();
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob'], overrides));
    return fake;
  }

  it('reads the chat head consistently and the changes after sinceVer', async () => {
    const { deps, store } = withChat({ lastVer: 8, memberVer: 1 });
    await sync(deps, ann, { chatId: 'g1', sinceVer: 3, limit: 50 });
    expect(store.chats.getWithMembers).toHaveBeenCalledWith('g1', { consistent: true });
    expect(store.messages.changesSince).toHaveBeenCalledWith('g1', 3, 50);
  });

  it('never passes an in-flight version, and catches up once it has settled (over time)', async () => {
    // Version 12 was allocated 100 ms ago and its message is not stored yet; 10 and 11 are stored,
    // 11 just now: version 12 might be below a version allocated just after it... so only 10 is
    // a safe cursor (everything below 10 settled long ago, and 10 itself is there).
    const allocatedAt = clock.ms - 100;
    const { deps, store } = withChat({ lastVer: 12, lastAllocAt: allocatedAt });
    const ten = stored(10, { ver: 10, allocAt: clock.ms - 60_000 });
    const eleven = stored(11, { ver: 11, allocAt: allocatedAt - 5 });
    store.messages.changesSince.mockResolvedValue({ messages: [ten, eleven], hasMore: false });
    const first = await sync(deps, ann, { chatId: 'g1', sinceVer: 9, limit: 100 });
    expect(first.messages.map((m) => m.ver)).toEqual([10, 11]);
    expect(first.lastVer).toBe(10);

    clock.advance(settleWindowMs()); // 11 is now old enough: everything below it is settled
    const settled = await sync(deps, ann, { chatId: 'g1', sinceVer: first.lastVer, limit: 100 });
    expect(settled.lastVer).toBe(11);

    clock.advance(headQuietMs()); // the head is quiet: version 12 landed or never will
    const later = await sync(deps, ann, { chatId: 'g1', sinceVer: settled.lastVer, limit: 100 });
    expect(later.lastVer).toBe(12);
  });

  it('returns the member list only when membership changed after sinceVer', async () => {
    const { deps } = withChat({ lastVer: 8, memberVer: 5 });
    const changed = await sync(deps, ann, { chatId: 'g1', sinceVer: 4, limit: 10 });
    expect(changed.members?.map((m) => m.userId)).toEqual(['ann', 'bob']);
    expect(changed.members?.[0]).toEqual({
      userId: 'ann',
      role: 'owner',
      lastReadSeq: 0,
      lastDeliveredSeq: 0,
      joinedAt: expect.any(String),
    });
    expect((await sync(deps, ann, { chatId: 'g1', sinceVer: 5, limit: 10 })).members).toBeNull();
  });

  it('answers reset with the members when sinceVer is older than what is kept', async () => {
    const { deps, store } = withChat({ lastVer: 80, minSyncVer: 40 });
    const answer = await sync(deps, ann, { chatId: 'g1', sinceVer: 39, limit: 10 });
    expect(answer).toMatchObject({ reset: true, messages: [], hasMore: false, lastVer: 80 });
    expect(answer.members).toHaveLength(2);
    expect(store.messages.changesSince).not.toHaveBeenCalled();
    expect((await sync(deps, ann, { chatId: 'g1', sinceVer: 40, limit: 10 })).reset).toBe(false);
  });

  it('answers a reset of a busy chat with its newest settled version, or the kept floor when none is', async () => {
    const { deps, store } = withChat({ lastVer: 12, lastAllocAt: clock.ms - 100, minSyncVer: 4 });
    const ten = stored(10, { ver: 10, allocAt: clock.ms - 60_000 });
    const eleven = stored(11, { ver: 11, allocAt: clock.ms - 150 });
    store.messages.newestChanges.mockResolvedValueOnce({ messages: [eleven, ten], hasMore: true });
    const answer = await sync(deps, ann, { chatId: 'g1', sinceVer: 13, limit: 10 });
    expect(answer).toMatchObject({ reset: true, messages: [], lastVer: 10 });
    expect(store.messages.newestChanges).toHaveBeenCalledWith(
      'g1',
      { aboveVer: 4, upToVer: 12 },
      RESET_PROBE_CHANGES,
    );
    store.messages.newestChanges.mockResolvedValueOnce({ messages: [eleven], hasMore: false });
    expect((await sync(deps, ann, { chatId: 'g1', sinceVer: 13, limit: 10 })).lastVer).toBe(4);
  });

  it('reads on past the first page of recent changes to the newest settled one (a busy chat)', async () => {
    const { deps, store } = withChat({ lastVer: 70, lastAllocAt: clock.ms - 100, minSyncVer: 0 });
    const recent = (ver: number) => stored(ver, { ver, allocAt: clock.ms - 200 });
    const page = (from: number, count: number) => Array.from({ length: count }, (_, i) => recent(from - i));
    store.messages.newestChanges
      .mockResolvedValueOnce({ messages: page(70, 10), hasMore: true })
      .mockResolvedValueOnce({
        messages: [...page(60, 3), stored(57, { ver: 57, allocAt: clock.ms - 60_000 })],
        hasMore: true,
      });
    const answer = await sync(deps, ann, { chatId: 'g1', sinceVer: 71, limit: 10 });
    expect(answer).toMatchObject({ reset: true, lastVer: 57 });
    expect(store.messages.newestChanges).toHaveBeenLastCalledWith('g1', { aboveVer: 0, upToVer: 60 }, 20);
  });

  it('gives up at the kept floor after RESET_PROBE_MAX_CHANGES recent changes, reading no more', async () => {
    const { deps, store } = withChat({ lastVer: 500, lastAllocAt: clock.ms - 100, minSyncVer: 3 });
    store.messages.newestChanges.mockImplementation(async (_chatId, { upToVer }, limit) => ({
      messages: Array.from({ length: limit }, (_, i) =>
        stored(upToVer - i, { ver: upToVer - i, allocAt: clock.ms - 200 }),
      ),
      hasMore: true,
    }));
    const answer = await sync(deps, ann, { chatId: 'g1', sinceVer: 501, limit: 10 });
    expect(answer).toMatchObject({ reset: true, lastVer: 3 });
    const limits = store.messages.newestChanges.mock.calls.map((call) => call[2]);
    expect(limits.reduce((sum, n) => sum + n, 0)).toBe(RESET_PROBE_MAX_CHANGES);
    expect(limits).toEqual([10, 20, 40, 30]);
  });

  it('answers reset for a version the chat never had', async () => {
    const { deps } = withChat({ lastVer: 8 });
    expect((await sync(deps, ann, { chatId: 'g1', sinceVer: 9, limit: 10 })).reset).toBe(true);
  });

  it('answers fewer messages than asked when they would not fit in one frame, cursor included', async () => {
    const { deps, store } = withChat({ lastVer: 40 });
    const big = Array.from({ length: 40 }, (_, i) => stored(i + 1, { ver: i + 1, text: 'é'.repeat(4000) }));
    store.messages.changesSince.mockResolvedValue({ messages: big, hasMore: false });
    const answer = await sync(deps, ann, { chatId: 'g1', sinceVer: 0, limit: 100 });
    expect(answer.hasMore).toBe(true);
    expect(answer.messages.length).toBeLessThan(40);
    expect(answer.lastVer).toBe(answer.messages.at(-1)?.ver);
    expect(Buffer.byteLength(JSON.stringify(answer))).toBeLessThan(128 * 1024);
  });

  describe('in a chat known to have more than SYNC_LIST_READ_MAX_MEMBERS members', () => {
    const ids = Array.from({ length: SYNC_LIST_READ_MAX_MEMBERS + 1 }, (_, i) => (i === 0 ? 'ann' : `u${i}`));
    function big(overrides: Parameters<typeof groupChat>[2] = {}) {
      const fake = fakeDeps();
      const loaded = groupChat('ann', ids, overrides);
      fake.store.chats.getWithMembers.mockResolvedValue(loaded);
      fake.store.chats.getMemberAndChat.mockImplementation(async (_chatId, userId) => ({
        chat: loaded.chat,
        member: loaded.members.find((m) => m.userId === userId),
      }));
      fake.store.heads.remember('g1', loaded); // an earlier read of this container
      return fake;
    }

    it('reads META and the membership by key, not the member list, when members did not change', async () => {
      const { deps, store } = big({ lastVer: 8, memberVer: 2 });
      const answer = await sync(deps, ann, { chatId: 'g1', sinceVer: 3, limit: 50 });
      expect(answer).toMatchObject({ members: null, memberCount: ids.length, reset: false });
      expect(store.chats.getMemberAndChat).toHaveBeenCalledWith('g1', 'ann');
      expect(store.chats.getWithMembers).not.toHaveBeenCalled();
    });

    it('reads the member list, consistently, when the answer carries it (changed, or reset)', async () => {
      const { deps, store } = big({ lastVer: 8, memberVer: 5, minSyncVer: 2 });
      expect((await sync(deps, ann, { chatId: 'g1', sinceVer: 4, limit: 50 })).members).toHaveLength(
        ids.length,
      );
      expect((await sync(deps, ann, { chatId: 'g1', sinceVer: 1, limit: 50 })).reset).toBe(true);
      expect(store.chats.getWithMembers).toHaveBeenCalledTimes(2);
      expect(store.chats.getWithMembers).toHaveBeenCalledWith('g1', { consistent: true });
    });

    it('is NOT_FOUND for a non-member and for a chat marked for deletion', async () => {
      const { deps } = big({ lastVer: 8 });
      await expect(sync(deps, caller('eve'), { chatId: 'g1', sinceVer: 3, limit: 10 })).rejects.toMatchObject(
        {
          code: 'NOT_FOUND',
        },
      );
      const marked = big({ lastVer: 8, deletedAt: '2026-01-02T00:00:00.000Z' });
      await expect(sync(marked.deps, ann, { chatId: 'g1', sinceVer: 3, limit: 10 })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });
  });

  it('counts the member list in bytes against the frame budget (ids of multi-byte characters)', async () => {
    const wide = Array.from({ length: 200 }, (_, i) => `${'界'.repeat(60)}${String(i).padStart(4, '0')}`);
    const { deps, store } = withChat({ lastVer: 40, memberVer: 40 });
    store.chats.getWithMembers.mockResolvedValue(
      groupChat(wide[0] as string, wide, { lastVer: 40, memberVer: 40 }),
    );
    const messages = Array.from({ length: 40 }, (_, i) =>
      stored(i + 1, { ver: i + 1, text: 'a'.repeat(4000) }),
    );
    store.messages.changesSince.mockResolvedValue({ messages, hasMore: false });
    const answer = await sync(deps, caller(wide[0] as string), { chatId: 'g1', sinceVer: 0, limit: 100 });
    expect(answer.members).toHaveLength(200);
    expect(Buffer.byteLength(JSON.stringify(answer))).toBeLessThan(128 * 1024);
  });

  it('is NOT_FOUND for a non-member', async () => {
    const { deps } = withChat();
    await expect(sync(deps, caller('eve'), { chatId: 'g1', sinceVer: 0, limit: 10 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

/** listScheduled: soonest first, one chat's or all, a page at a time under the frame limit. */
import { describe, expect, it } from 'vitest';
import { REPLY_BUDGET_BYTES } from '../../../lambdas/domain/reply-budget.ts';
import { listScheduled } from '../../../lambdas/domain/scheduled-list.ts';
import { groupChat, NOW } from './fakes.ts';
import { ann, at, record, scheduledDeps } from './scheduled-fakes.ts';

describe('listScheduled', () => {
  it('lists soonest first, shows sending as pending, in one page when it fits', async () => {
    const { deps, store } = scheduledDeps();
    store.scheduled.listPending.mockResolvedValue([
      record({ scheduledId: 's_b', sendAt: at(2000) }),
      record({ scheduledId: 's_a', sendAt: at(1000), status: 'sending' }),
    ]);
    const { scheduled, nextCursor } = await listScheduled(deps, ann, {});
    expect(scheduled.map((s) => [s.scheduledId, s.status])).toEqual([
      ['s_a', 'pending'],
      ['s_b', 'pending'],
    ]);
    expect(nextCursor).toBeNull();
  });

  it('pages 100 long messages under the frame limit: every one once, in order', async () => {
    const { deps, store } = scheduledDeps();
    // 4,000 emoji: 16 KB of UTF-8 each; ties on sendAt ordered by scheduledId.
    const records = Array.from({ length: 100 }, (_, i) =>
      record({
        scheduledId: `s_${String(i).padStart(3, '0')}`,
        sendAt: at(1000 * (i >> 1)),
        text: '😀'.repeat(4000),
      }),
    );
    store.scheduled.listPending.mockResolvedValue([...records].reverse());
    const listed: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 30; pages++) {
      const page = await listScheduled(deps, ann, cursor ? { cursor } : {});
      expect(Buffer.byteLength(JSON.stringify(page), 'utf8')).toBeLessThan(REPLY_BUDGET_BYTES + 1024);
      expect(page.scheduled.length).toBeGreaterThan(0);
      listed.push(...page.scheduled.map((s) => s.scheduledId));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(listed).toEqual(records.map((r) => r.scheduledId));
  });

  it('keeps to one chat when asked, and refuses a cursor it did not give', async () => {
    const { deps, store } = scheduledDeps();
    store.scheduled.listPending.mockResolvedValue([
      record({ scheduledId: 's_a', chatId: 'g1' }),
      record({ scheduledId: 's_b', chatId: 'g2' }),
    ]);
    expect((await listScheduled(deps, ann, { chatId: 'g2' })).scheduled.map((s) => s.scheduledId)).toEqual([
      's_b',
    ]);
    await expect(listScheduled(deps, ann, { cursor: 'bm90IGpzb24' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/"cursor"/),
    });
  });

  it('fails the pending ones of a chat gone since, leaves a sending one to its dispatcher, lists neither', async () => {
    const { deps, store } = scheduledDeps();
    const gone = record({ scheduledId: 's_gone', chatId: 'g_gone' });
    const going = record({ scheduledId: 's_going', chatId: 'g_gone', status: 'sending' });
    const deleting = record({ scheduledId: 's_deleting', chatId: 'g_deleting' });
    store.scheduled.listPending.mockResolvedValue([gone, going, deleting, record({ chatId: 'g1' })]);
    store.chats.getChats.mockResolvedValue(
      new Map([
        ['g1', groupChat('ann', ['ann']).chat],
        ['g_deleting', groupChat('ann', ['ann'], { chatId: 'g_deleting', deletedAt: NOW }).chat],
      ]),
    );
    const { scheduled } = await listScheduled(deps, ann, {});
    expect(scheduled.map((s) => s.scheduledId)).toEqual(['s_1']);
    // One read of the chats, each asked once.
    expect(store.chats.getChats).toHaveBeenCalledTimes(1);
    expect(store.chats.getChats.mock.calls[0]?.[0]).toEqual(['g_gone', 'g_deleting', 'g1']);
    expect(store.scheduled.failPending.mock.calls).toEqual([
      [gone, 'CHAT_DELETED', new Date(NOW)],
      [deleting, 'CHAT_DELETED', new Date(NOW)],
    ]);
  });

  it('reads no chat when nothing waits', async () => {
    const { deps, store } = scheduledDeps();
    expect(await listScheduled(deps, ann, {})).toEqual({ scheduled: [], nextCursor: null });
    expect(store.chats.getChats).not.toHaveBeenCalled();
  });
});

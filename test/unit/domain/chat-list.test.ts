/** listChats' pages stay under API Gateway's 128 KB frame: a page of big summaries ends early. */
import { describe, expect, it } from 'vitest';
import type { ChatRecord, MemberRecord, MessageRecord } from '../../../lambdas/data/store.ts';
import { listChats } from '../../../lambdas/domain/chats.ts';
import { REPLY_BUDGET_BYTES } from '../../../lambdas/domain/reply-budget.ts';
import { caller, fakeDeps, groupChat, stored } from './fakes.ts';

const ann = caller('ann');

describe('listChats under the frame limit', () => {
  it('ends a page whose summaries would pass 128 KB early, and goes on from its last chat', async () => {
    const { deps, store } = fakeDeps();
    // 12 chats whose last messages carry 20 emoji of 20 reactors each (about 14 KB a summary).
    const reactors = Array.from({ length: 20 }, (_, i) => `user-${'x'.repeat(24)}-${i}`);
    const reactions = Array.from({ length: 20 }, (_, i) => ({
      emoji: String.fromCodePoint(0x1f600 + i),
      count: reactors.length,
      userIds: reactors,
    }));
    const chats = new Map<string, ChatRecord>();
    const members = new Map<string, MemberRecord>();
    const last = new Map<string, MessageRecord>();
    for (let i = 0; i < 12; i++) {
      const chatId = `c${String(i).padStart(2, '0')}`;
      const head = groupChat('ann', ['ann'], { chatId, lastSeq: 1 });
      chats.set(chatId, { ...head.chat, lastActivityAt: `2026-01-01T00:00:${String(59 - i)}.000Z` });
      members.set(chatId, { ...(head.members[0] as MemberRecord), chatId });
      last.set(chatId, stored(1, { chatId, reactions }));
    }
    store.chats.listMemberships.mockResolvedValue(
      [...chats.keys()].map((chatId) => ({ chatId, userId: 'ann', kind: 'group' as const })),
    );
    store.chats.getMembershipsAndChats.mockResolvedValue({ chats, members });
    store.messages.getLastMessages.mockResolvedValue(last);

    const listed: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const page = await listChats(deps, ann, { limit: 50, ...(cursor ? { cursor } : {}) });
      expect(Buffer.byteLength(JSON.stringify(page), 'utf8')).toBeLessThan(REPLY_BUDGET_BYTES + 1024);
      listed.push(...page.chats.map((c) => c.chatId));
      if (page.nextCursor === null) break;
      expect(page.chats.length).toBeGreaterThan(0);
      cursor = page.nextCursor;
    }
    expect(listed).toEqual([...chats.keys()]);
  });
});

/**
 * A listing's next pages do not read every chat again (lambdas/domain/chat-listings.ts): at 1,000
 * chats each `listChats` page read every META (~1,260 R, 5 frames of 300 R), so two clients of one
 * user catching up at once needed 100 frames of a 60-frame window (a review measured both done after
 * 62 s instead of 4 s). Now the first page reads them all and the next pages only their own chats:
 * one frame each. A cursor page on an instance that kept no order reads everything, as before.
 */
import { describe, expect, it } from 'vitest';
import type { MemberRecord } from '../../lambdas/data/store.ts';
import { store } from '../../lambdas/data/store.ts';
import { forgetListings } from '../../lambdas/domain/chat-listings.ts';
import { member, newChat } from '../../lambdas/domain/new-chat.ts';
import { closeAll, connectUser } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const CHATS = 400;

/** `count` chats of `userId` alone, straight into the table (createChat allows 20 a minute). */
async function seedChats(userId: string, count: number): Promise<string[]> {
  const base = Date.now() - count * 1000;
  const ids: string[] = [];
  for (let i = 0; i < count; i += 25) {
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(25, count - i) }, async (_, j) => {
          const chat = newChat(new Date(base + (i + j) * 1000), 'group', `g${i + j}`, userId, 1);
          const me: MemberRecord = member(chat, userId, 'owner');
          await store().chats.create(chat, [me]);
          return chat.chatId;
        }),
      )),
    );
  }
  return ids;
}

describe('listChats pages of one listing', { timeout: 300_000 }, () => {
  it("count one frame each after the first: they read only their own chats' META", async () => {
    const user = await connectUser(stack, uniqueId('lister'));
    const seeded = await seedChats(user.userId, CHATS);
    const frames = async () =>
      Number((await stack.items(`LIMIT#${user.userId}`)).find((i) => i.sk === 'listChats')?.count ?? 0);
    const listAll = async (onCursorPage?: () => void) => {
      const listed: string[] = [];
      const charged: number[] = [];
      let cursor: string | null = null;
      do {
        if (cursor) onCursorPage?.();
        const before = await frames();
        const page = await user.ok('listChats', { limit: 100, ...(cursor ? { cursor } : {}) });
        charged.push((await frames()) - before);
        listed.push(...(page.chats as { chatId: string }[]).map((c) => c.chatId));
        cursor = page.nextCursor as string | null;
      } while (cursor);
      return { listed, charged };
    };

    const kept = await listAll();
    expect([...kept.listed].sort()).toEqual([...seeded].sort());
    expect(kept.listed).toEqual([...seeded].reverse()); // most recent first
    // The first page reads ~400 META (2+ frames); each next page ~100 R + its memberships: 1.
    expect(kept.charged.length).toBe(4);
    expect(kept.charged[0]).toBeGreaterThan(1);
    expect(kept.charged.slice(1)).toEqual([1, 1, 1]);

    // An instance that kept no order (every cursor page): each page reads everything, and lists the same.
    const unkept = await listAll(forgetListings);
    expect(unkept.listed).toEqual(kept.listed);
    for (const c of unkept.charged) expect(c).toBeGreaterThan(1);
    await closeAll(stack, user);
  });
});

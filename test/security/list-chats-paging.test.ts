/**
 * Issue 17, item 2: `listChats` is paged. `limit` (1–100, default 50) chats per page, most recent
 * activity first (ties by chatId), `nextCursor` to go on and null on the last page; the pages together
 * list every chat exactly once, in the same order as one big page — but a chat that moves up while the
 * client pages is on no page when the page's instance kept no order of the listing (getChat still
 * answers it); with the order kept, it is listed at its old place. A cursor that is not one the server gave is
 * refused naming the field, and writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { forgetListings } from '../../lambdas/domain/chat-listings.ts';
import { connectUser, expectRefused, makeGroup, sendText } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const CHATS = 7;

describe('listChats pages', () => {
  it('pages through every chat once, most recent activity first, nextCursor null on the last', async () => {
    const owner = await connectUser(stack, uniqueId('pager'));
    const ids: string[] = [];
    for (let i = 0; i < CHATS; i++) ids.push((await makeGroup(owner, [], `Group ${i}`)).chatId);
    // Activity moves the second and the fifth to the top (the fifth most recent).
    await sendText(owner, ids[1] as string, 'up');
    await sendText(owner, ids[4] as string, 'up again');

    const all = await owner.ok('listChats', { limit: 100 });
    const order = (all.chats as { chatId: string }[]).map((c) => c.chatId);
    expect(all.nextCursor).toBeNull();
    expect([...order].sort()).toEqual([...ids].sort());
    expect(order.slice(0, 2)).toEqual([ids[4], ids[1]]);

    const paged: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await owner.ok('listChats', { limit: 3, ...(cursor ? { cursor } : {}) });
      const chats = (page.chats as { chatId: string }[]).map((c) => c.chatId);
      sizes.push(chats.length);
      paged.push(...chats);
      cursor = page.nextCursor as string | null;
      expect(sizes.length).toBeLessThan(5);
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(paged).toEqual(order);

    // A page that ends exactly at the last chat says so (no empty page after it).
    const first = await owner.ok('listChats', { limit: 4 });
    const last = await owner.ok('listChats', { limit: 3, cursor: first.nextCursor });
    expect((last.chats as unknown[]).length).toBe(3);
    expect(last.nextCursor).toBeNull();

    // The default page is 50 chats (all 7 here, no next page).
    const byDefault = await owner.ok('listChats', {});
    expect((byDefault.chats as unknown[]).length).toBe(CHATS);
    expect(byDefault.nextCursor).toBeNull();
    await owner.close();
  });

  it('a chat that moves up while the client pages: at its old place with the kept order, else on no page (getChat finds it)', async () => {
    const owner = await connectUser(stack, uniqueId('mover'));
    for (let i = 0; i < 6; i++) await makeGroup(owner, [], `Group ${i}`);
    const ids = (c: unknown) => (c as { chatId: string }[]).map((x) => x.chatId);
    const order = ids((await owner.ok('listChats', { limit: 100 })).chats);
    const oldest = order.at(-1) as string;
    const pageAll = async (mover: string, beforeEach?: () => void) => {
      const first = await owner.ok('listChats', { limit: 2 });
      const paged = ids(first.chats);
      await sendText(owner, mover, 'bump'); // now the most recent: above the cursor
      let cursor = first.nextCursor as string | null;
      while (cursor) {
        beforeEach?.();
        const page = await owner.ok('listChats', { limit: 2, cursor });
        paged.push(...ids(page.chats));
        cursor = page.nextCursor as string | null;
      }
      return paged;
    };
    // The instance kept the first page's order (chat-listings.ts): every chat once, in that order.
    expect(await pageAll(oldest)).toEqual(order);
    // An instance that kept none reads the order again: the one that moved up is on no page (not
    // listed twice either).
    const now = ids((await owner.ok('listChats', { limit: 100 })).chats);
    const last = now.at(-1) as string;
    expect(await pageAll(last, forgetListings)).toEqual(now.slice(0, -1));
    // Still there: getChat answers it (a client drops only on NOT_FOUND), and a new listing has it first.
    expect(((await owner.ok('getChat', { chatId: last })).chat as { chatId: string }).chatId).toBe(last);
    expect(ids((await owner.ok('listChats', { limit: 1 })).chats)).toEqual([last]);
    await owner.close();
  });

  it('refuses a cursor it did not give and a limit out of 1–100, naming the field', async () => {
    const user = await connectUser(stack, uniqueId('badcursor'));
    await makeGroup(user, []);
    for (const cursor of ['nonsense', 'eyJ4IjoxfQ', Buffer.from('{"a":1,"c":2}').toString('base64url')]) {
      await expectRefused(stack, user, 'listChats', { cursor }, 'BAD_REQUEST', { message: /cursor/ });
    }
    for (const limit of [0, 101]) {
      await expectRefused(stack, user, 'listChats', { limit }, 'BAD_REQUEST', { message: /limit/ });
    }
    await user.close();
  });
});

/**
 * Writers that die between allocating a seq and writing their message (a Lambda timed out, a
 * container froze): the seq stays empty for good. Readers find it once it is settled and fill it with a
 * void, so history does not wait for it again and unread counts stop counting it. The dead writer is
 * played by the data layer's own allocation with nothing written under it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { deps } from '../../lambdas/domain/deps.ts';
import { setWriteTiming } from '../../lambdas/domain/timing.ts';
import { connectUsers, history, makeGroup, sendText, summaryOf, type UserSocket } from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';

// Shorter bounds than the defaults (a head is quiet after 6.25 s instead of 14 s), still generous for a
// loaded machine: a live writer that missed them would void its own seq and shift the expected ones.
setWriteTiming({ allocTimeoutMs: 3000, writeDeadlineMs: 3000, skewMarginMs: 250, claimDeadlineMs: 9000 });
afterAll(() => setWriteTiming(undefined));

const stack = useTestStack();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Allocates the chat's next seq the way a sender does, and writes nothing under it. */
async function dieAfterAllocating(chatId: string): Promise<number> {
  const { chat } = await deps().store.chats.getWithMembers(chatId, { consistent: true });
  if (!chat) throw new Error(`no chat ${chatId}`);
  const allocation = await deps().store.sequence.allocate(chatId, {
    memberVer: chat.memberVer,
    sentAt: Date.now(),
    at: new Date().toISOString(),
  });
  if (allocation.status !== 'allocated') throw new Error(`allocation ${allocation.status}`);
  return allocation.seq;
}

const voidSeqs = async (chatId: string) =>
  (await stack.items(`CHAT#${chatId}`)).filter((i) => i.void === true).map((i) => i.seq);

describe('abandoned writes', () => {
  it('history fills a settled empty seq between two messages with a void and returns the page without it', async () => {
    const [owner, member] = (await connectUsers(stack, 2, 'dead')) as [UserSocket, UserSocket];
    const chat = await makeGroup(owner, [member.userId]);
    await sendText(owner, chat.chatId, 'one');
    const lost = await dieAfterAllocating(chat.chatId);
    await sendText(owner, chat.chatId, 'three');
    expect(await voidSeqs(chat.chatId)).toEqual([]);

    const page = await history(member, chat.chatId);
    expect(page.messages.map((m) => [m.seq, m.text])).toEqual([
      [1, 'one'],
      [3, 'three'],
    ]);
    expect(lost).toBe(2);
    expect(await voidSeqs(chat.chatId)).toEqual([2]);
    // Asked again, the page is the same and nothing more is written.
    expect((await history(member, chat.chatId)).messages.map((m) => m.seq)).toEqual([1, 3]);
    expect(await voidSeqs(chat.chatId)).toEqual([2]);
  });

  it('listChats fills the abandoned top of a quiet chat, so the unread count stops counting it', async () => {
    const [owner, member] = (await connectUsers(stack, 2, 'top')) as [UserSocket, UserSocket];
    const chat = await makeGroup(owner, [member.userId]);
    await sendText(owner, chat.chatId, 'one');
    await sendText(owner, chat.chatId, 'two');
    expect(await dieAfterAllocating(chat.chatId)).toBe(3);
    await sleep(6_500); // the head is quiet: nothing of this chat can still be in flight

    const summary = await summaryOf(member, chat.chatId);
    expect(summary).toMatchObject({ lastSeq: 3, unreadCount: 2 });
    expect(summary?.lastMessage).toMatchObject({ seq: 2, text: 'two' });
    expect(await voidSeqs(chat.chatId)).toEqual([3]);
  });
});

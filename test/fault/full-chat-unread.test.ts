/**
 * Sends refused by a full chat (docs/data-model.md, "Size of a chat") leave no phantom unread, through
 * the real gateway and DynamoDB Local (refusal injected as test/support/full-chat.ts models it): a
 * send without a clientMessageId allocates its seq before its put is refused, and no void can be
 * stored in a full chat, so the send gives the seq back (`lastSeq`, and in a direct chat the
 * sender's `sentSeq`); `lastVer` stays (a version is never used twice). The next message, once the
 * chat has room, takes that seq.
 */
import { describe, expect, it } from 'vitest';
import { CHAT_FULL_MESSAGE } from '../../lambdas/shared/errors.ts';
import { closeAll, connectUsers, makeDirect, sendText, summaryOf, type UserSocket } from '../support/chat.ts';
import { useFullChat } from '../support/full-chat.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
/** The chat whose growing writes are refused, while set. */
const full = useFullChat(stack);

describe('sends refused by a full chat', () => {
  it('give their seqs back: no unread for the other member, the next message takes the seq', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'fullu')) as [UserSocket, UserSocket];
    const { chatId } = await makeDirect(alice, bob.userId);
    const last = await sendText(bob, chatId, 'the last real message');
    await alice.ok('readMessage', { chatId, messageId: last.messageId });
    const head = async () => (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === 'META');
    const before = await head();
    full.chatId = chatId;
    try {
      for (let i = 0; i < 3; i++) {
        const reply = await bob.request('sendMessage', { chatId, text: `spam ${i}` });
        expect(reply).toMatchObject({ type: 'error', code: 'FORBIDDEN', message: CHAT_FULL_MESSAGE });
      }
    } finally {
      full.chatId = undefined;
    }
    const after = await head();
    expect(after?.lastSeq).toBe(before?.lastSeq);
    expect(after?.sentSeq).toEqual(before?.sentSeq);
    expect(Number(after?.lastVer)).toBe(Number(before?.lastVer) + 3); // versions are never given back
    expect((await summaryOf(alice, chatId))?.unreadCount).toBe(0);
    expect((await summaryOf(bob, chatId))?.unreadCount).toBe(0);
    // Room again: the next message takes the seq given back (seqs of messages still increase by one).
    const next = await sendText(bob, chatId, 'room again');
    expect(next.seq).toBe(last.seq + 1);
    expect((await summaryOf(alice, chatId))?.unreadCount).toBe(1);
    await closeAll(stack, alice, bob);
  }, 60_000);
});

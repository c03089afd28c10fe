/**
 * The read and delivered cursors of someone invited into a group with history: they start at the
 * chat's `lastSeq` of the invite, so the history before it is not unread for them (listChats, the
 * badge), and the messages everyone had read stay read by everyone. A member invited back starts
 * at the chat's `lastSeq` again, never behind where they left.
 */
import { describe, expect, it } from 'vitest';
import {
  type Chat,
  connectUsers,
  getChat,
  history,
  makeGroup,
  memberOf,
  sendText,
  summaryOf,
  type UserSocket,
} from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();

/** Whether every member has read the message at `seq` (the protocol's "read by everyone"). */
const readByEveryone = (chat: Chat, seq: number) => chat.members.every((m) => m.lastReadSeq >= seq);

describe('invite into a chat with history', () => {
  it('starts the invitee’s cursors at the chat’s last seq: nothing unread, read-by-everyone kept', async () => {
    const [ann, bob, cid] = (await connectUsers(stack, 3, 'cur')) as [UserSocket, UserSocket, UserSocket];
    const chat = await makeGroup(ann, [bob.userId], 'History');
    for (const text of ['one', 'two']) await sendText(ann, chat.chatId, text);
    const three = await sendText(bob, chat.chatId, 'three');
    await ann.ok('readMessage', { chatId: chat.chatId, messageId: three.messageId });
    expect(readByEveryone(await getChat(ann, chat.chatId), 3)).toBe(true);

    const invited = (await ann.ok('invite', { chatId: chat.chatId, userIds: [cid.userId] })).chat as Chat;
    expect(memberOf(invited, cid.userId)).toMatchObject({ lastReadSeq: 3, lastDeliveredSeq: 3 });
    expect(await summaryOf(cid, chat.chatId)).toMatchObject({ lastSeq: 3, lastReadSeq: 3, unreadCount: 0 });
    // The others' cursors are as they were, and message 3 is still read by everyone.
    const after = await getChat(bob, chat.chatId);
    expect(memberOf(after, ann.userId)).toMatchObject({ lastReadSeq: 3 });
    expect(memberOf(after, bob.userId)).toMatchObject({ lastReadSeq: 3 });
    expect(readByEveryone(after, 3)).toBe(true);
    // The history stays readable, and what comes after the invite is unread for the invitee.
    expect((await history(cid, chat.chatId)).messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    const four = await sendText(bob, chat.chatId, 'four');
    expect(await summaryOf(cid, chat.chatId)).toMatchObject({ lastSeq: 4, lastReadSeq: 3, unreadCount: 1 });
    expect(readByEveryone(await getChat(ann, chat.chatId), four.seq)).toBe(false);
  });

  it('starts a member invited back at the chat’s last seq, never behind their old cursor', async () => {
    const [ann, bob] = (await connectUsers(stack, 2, 'back')) as [UserSocket, UserSocket];
    const chat = await makeGroup(ann, [bob.userId], 'Again');
    const two = [await sendText(ann, chat.chatId, 'one'), await sendText(ann, chat.chatId, 'two')][1];
    await bob.ok('readMessage', { chatId: chat.chatId, messageId: two?.messageId });
    await bob.ok('markDelivered', { chatId: chat.chatId, seq: 2 });
    await bob.ok('removeMember', { chatId: chat.chatId, userId: bob.userId });
    for (const text of ['three', 'four']) await sendText(ann, chat.chatId, text);

    const back = (await ann.ok('invite', { chatId: chat.chatId, userIds: [bob.userId] })).chat as Chat;
    expect(memberOf(back, bob.userId)).toMatchObject({ lastReadSeq: 4, lastDeliveredSeq: 4 });
    expect(await summaryOf(bob, chat.chatId)).toMatchObject({ lastReadSeq: 4, unreadCount: 0 });
    // Reading an older message does not move the cursor back.
    await bob.ok('readMessage', { chatId: chat.chatId, messageId: two?.messageId });
    expect(memberOf(await getChat(bob, chat.chatId), bob.userId)).toMatchObject({ lastReadSeq: 4 });
  });

  it('counts every message above the invitee’s cursor as unread when sends race with the invite', async () => {
    const [ann, bob, cid] = (await connectUsers(stack, 3, 'race')) as [UserSocket, UserSocket, UserSocket];
    const chat = await makeGroup(ann, [bob.userId], 'Race');
    for (const text of ['one', 'two']) await sendText(bob, chat.chatId, text);

    await Promise.all([
      ann.ok('invite', { chatId: chat.chatId, userIds: [cid.userId] }),
      ...['a', 'b', 'c', 'd'].map((text) => sendText(bob, chat.chatId, text)),
    ]);
    const summary = await summaryOf(cid, chat.chatId);
    const messages = (await history(cid, chat.chatId)).messages;
    expect(messages).toHaveLength(6);
    const cursor = summary?.lastReadSeq ?? -1;
    expect(cursor).toBeGreaterThanOrEqual(2);
    // No message above the cursor is hidden from the count, and none at or below it is counted.
    expect(summary?.unreadCount).toBe(messages.filter((m) => m.seq > cursor).length);
  });
});

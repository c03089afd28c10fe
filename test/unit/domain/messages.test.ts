/** Message decisions of the domain: sequencing, duplicates, authorship, read cursors. */
import { describe, expect, it, vi } from 'vitest';
import type { MessageRecord } from '../../../lambdas/data/store.ts';
import { newMessageId } from '../../../lambdas/domain/ids.ts';
import { LIMITS } from '../../../lambdas/domain/limits.ts';
import {
  deleteMessage,
  editMessage,
  getHistory,
  readMessage,
  sendMessage,
  typing,
} from '../../../lambdas/domain/messages.ts';
import { caller, fakeDeps, groupChat, NOW, sent } from './fakes.ts';

// The backoff between attempts at the sequence lock resolves at once here (retry.test.ts pins it).
vi.mock('node:timers/promises', () => ({ setTimeout: async () => undefined }));

const ann = caller('ann');
const send = { chatId: 'g1', text: 'hi', clientMessageId: 'cm-1', connectionId: 'k-ann' };

function withChat(lastSeq = 4) {
  const fake = fakeDeps();
  fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob'], { lastSeq }));
  return fake;
}

const stored = (seq: number, overrides: Partial<MessageRecord> = {}): MessageRecord => ({
  chatId: 'g1',
  messageId: newMessageId(seq),
  seq,
  senderId: 'ann',
  text: 'hi',
  replyTo: null,
  clientMessageId: null,
  createdAt: NOW,
  editedAt: null,
  deleted: false,
  ...overrides,
});

describe('sendMessage', () => {
  it('stores at the next seq, moves the sender cursor and tells the other sockets', async () => {
    const { deps, store, fanOut } = withChat(4);
    const { message, duplicate } = await sendMessage(deps, ann, send);
    expect(duplicate).toBe(false);
    expect(message).toMatchObject({ seq: 5, senderId: 'ann', clientMessageId: 'cm-1', createdAt: NOW });
    expect(store.messages.append).toHaveBeenCalledWith(expect.objectContaining({ seq: 5 }), 4);
    expect(store.cursors.advance).toHaveBeenCalledWith('g1', 'ann', 5);
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['ann', 'bob'],
        frame: { type: 'message.created', message },
        options: {
          excludeConnectionId: 'k-ann',
          chat: expect.objectContaining({ chatId: 'g1', kind: 'group' }),
        },
      },
    ]);
  });

  it('retries above the lastSeq a lost race returned, without reading it again', async () => {
    const { deps, store } = withChat(4);
    store.messages.append.mockResolvedValueOnce({ status: 'seq-conflict', lastSeq: 9 });
    const { message } = await sendMessage(deps, ann, send);
    expect(message.seq).toBe(10);
    expect(store.messages.append).toHaveBeenLastCalledWith(expect.objectContaining({ seq: 10 }), 9);
    expect(store.messages.getLastSeq).not.toHaveBeenCalled();
  });

  it('reads lastSeq when the lost race did not return it', async () => {
    const { deps, store } = withChat(4);
    store.messages.append.mockResolvedValueOnce({ status: 'seq-conflict' });
    store.messages.getLastSeq.mockResolvedValue(6);
    await expect(sendMessage(deps, ann, send)).resolves.toMatchObject({ message: { seq: 7 } });
  });

  it('answers the original for a duplicate clientMessageId, telling nobody', async () => {
    const { deps, store, fanOut } = withChat(4);
    const original = stored(2, { clientMessageId: 'cm-1' });
    store.messages.append.mockResolvedValue({ status: 'duplicate', seq: 2 });
    store.messages.get.mockResolvedValue(original);
    const result = await sendMessage(deps, ann, send);
    expect(result).toMatchObject({ duplicate: true, message: { messageId: original.messageId, seq: 2 } });
    expect(store.messages.get).toHaveBeenCalledWith('g1', 2, { consistent: true });
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it.each([
    ['the chat is gone', { status: 'chat-gone' } as const],
    ['the chat vanished during a race', { status: 'seq-conflict' } as const],
  ])('answers NOT_FOUND when %s', async (_case, outcome) => {
    const { deps, store } = withChat();
    store.messages.append.mockResolvedValue(outcome);
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers CONFLICT after the bounded attempts at the sequence lock', async () => {
    const { deps, store } = withChat();
    store.messages.append.mockResolvedValue({ status: 'seq-conflict', lastSeq: 5 });
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(store.messages.append).toHaveBeenCalledTimes(LIMITS.sendAttempts);
  });

  it('refuses a replyTo that names no message of this chat, storing nothing', async () => {
    const { deps, store } = withChat();
    store.messages.get.mockResolvedValue(stored(1));
    await expect(sendMessage(deps, ann, { ...send, replyTo: newMessageId(1) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(store.messages.append).not.toHaveBeenCalled();
  });

  it('still delivers when the sender cursor cannot move', async () => {
    const { deps, store, fanOut } = withChat();
    store.cursors.advance.mockRejectedValue(new Error('throttled'));
    await expect(sendMessage(deps, ann, send)).resolves.toMatchObject({ duplicate: false });
    expect(fanOut.toUsers).toHaveBeenCalled();
  });
});

describe('editing and deleting', () => {
  it.each([
    ['someone else’s message', stored(3, { senderId: 'bob' }), 'FORBIDDEN'],
    ['a deleted message', stored(3, { deleted: true }), 'CONFLICT'],
  ])('refuses editing %s', async (_case, message, code) => {
    const { deps, store } = withChat();
    store.messages.get.mockResolvedValue(message);
    const input = { chatId: 'g1', messageId: message.messageId, text: 'new' };
    await expect(editMessage(deps, ann, input)).rejects.toMatchObject({ code });
    expect(store.messages.edit).not.toHaveBeenCalled();
  });

  it('answers NOT_FOUND for an id whose seq holds another message', async () => {
    const { deps, store } = withChat();
    store.messages.get.mockResolvedValue(stored(3));
    const input = { chatId: 'g1', messageId: newMessageId(3), text: 'new' };
    await expect(editMessage(deps, ann, input)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers CONFLICT when the message was deleted between the read and the edit', async () => {
    const { deps, store } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.messages.edit.mockResolvedValue(undefined);
    const input = { chatId: 'g1', messageId: message.messageId, text: 'new' };
    await expect(editMessage(deps, ann, input)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('acks deleting an already deleted message without telling anyone again', async () => {
    const { deps, store, fanOut } = withChat();
    const message = stored(3, { deleted: true, text: '' });
    store.messages.get.mockResolvedValue(message);
    await expect(deleteMessage(deps, ann, { chatId: 'g1', messageId: message.messageId })).resolves.toEqual({
      chatId: 'g1',
      messageId: message.messageId,
    });
    expect(store.messages.softDelete).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });
});

describe('readMessage', () => {
  it('tells the chat when the cursor moved', async () => {
    const { deps, store, fanOut } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    await expect(readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId })).resolves.toEqual({
      chatId: 'g1',
      lastReadSeq: 3,
    });
    expect(sent(fanOut)[0]?.frame).toEqual({
      type: 'message.read',
      chatId: 'g1',
      userId: 'ann',
      lastReadSeq: 3,
    });
  });

  it('answers the cursor where it is, silently, when it is already further', async () => {
    const { deps, store, fanOut } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.cursors.advance.mockResolvedValue({ status: 'unchanged', lastReadSeq: 8 });
    const result = await readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId });
    expect(result.lastReadSeq).toBe(8);
    expect(fanOut.toUsers).not.toHaveBeenCalled();
    expect(store.chats.getMember).not.toHaveBeenCalled();
  });

  it('answers NOT_FOUND when the caller left meanwhile', async () => {
    const { deps, store } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.cursors.advance.mockResolvedValue({ status: 'not-member' });
    await expect(
      readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('history and typing', () => {
  it('shows history to members only', async () => {
    const { deps, store } = fakeDeps();
    await expect(getHistory(deps, ann, { chatId: 'g1', limit: 10 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(store.messages.getHistoryPage).not.toHaveBeenCalled();
  });

  it('answers a page of message views', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getMember.mockResolvedValue(groupChat('ann', ['ann']).members[0]);
    store.messages.getHistoryPage.mockResolvedValue({
      messages: [stored(1, { deleted: true, text: 'x' })],
      hasMore: true,
    });
    const page = await getHistory(deps, ann, { chatId: 'g1', before: 2, limit: 10 });
    expect(page).toMatchObject({ hasMore: true, messages: [{ seq: 1, text: '', deleted: true }] });
    expect(store.messages.getHistoryPage).toHaveBeenCalledWith('g1', { chatId: 'g1', before: 2, limit: 10 });
  });

  it('tells the other members that the caller is typing', async () => {
    const { deps, fanOut } = withChat();
    await typing(deps, ann, { chatId: 'g1', isTyping: true });
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['bob'],
        frame: { type: 'typing', chatId: 'g1', userId: 'ann', isTyping: true },
        options: { chat: expect.objectContaining({ chatId: 'g1', kind: 'group' }) },
      },
    ]);
  });
});

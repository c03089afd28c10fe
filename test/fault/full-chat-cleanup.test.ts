/**
 * A full chat (docs/data-model.md, "Size of a chat") can still be freed, through the real gateway,
 * queues and DynamoDB Local: DynamoDB refuses every write that grows the full partition, including an
 * update that adds an attribute to an item already there (refusal injected as
 * test/support/full-chat.ts models it). `deleteChat`'s mark removes as much as it adds; the retention
 * job deletes outright the items whose TTL update is refused; a leave in a big group goes without
 * its member-log entry (a new item); a block in a direct chat drops the chat's mirror of the blocks
 * instead of growing it, and stays effective.
 */
import { describe, expect, it } from 'vitest';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import {
  closeAll,
  connectUsers,
  expectRefused,
  getChat,
  groupOfTwo,
  makeDirect,
  makeGroup,
  sendText,
  type UserSocket,
} from '../support/chat.ts';
import { useFullChat } from '../support/full-chat.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack({ env: { [RETENTION_FINISH_DELAY_ENV]: '1' } });
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;
/** The chat whose growing writes are refused, while set; and what was refused (commands). */
const full = useFullChat(stack);

describe('a full chat', () => {
  it('is deleted by its owner, and the retention job removes its items (their TTL refused)', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Full', 'fullowner');
    for (let i = 0; i < 3; i++)
      await sendText(owner, chat.chatId, `message ${i}`, { clientMessageId: `f-${i}` });
    const deadBefore = queue().deadLetters.length;
    full.chatId = chat.chatId;
    full.refused.length = 0;
    try {
      expect((await owner.request('deleteChat', { chatId: chat.chatId })).type).toBe('ack');
      await stack.idle({ timers: true }); // the finish delay (1 s here), then the retention job
      // The retention job's TTL updates were refused (they add an attribute), its deletes were not.
      expect(full.refused).toContain('UpdateItemCommand');
      expect(await stack.items(`CHAT#${chat.chatId}`)).toEqual([]);
      expect(queue().deadLetters.length).toBe(deadBefore);
    } finally {
      full.chatId = undefined;
    }
    await closeAll(stack, owner, member);
  }, 60_000);

  it('lets a member leave a big group (100 or more: no member-log entry then)', async () => {
    const [owner, member] = (await connectUsers(stack, 2, 'fullbig')) as [UserSocket, UserSocket];
    const others = Array.from({ length: 98 }, (_, i) => `fullbig-x${i}-${Date.now()}`);
    const chat = await makeGroup(owner, [member.userId, ...others], 'Big');
    const logOf = async () =>
      (await stack.items(`CHAT#${chat.chatId}`)).filter((i) => String(i.sk).startsWith('MLOG#'));
    full.chatId = chat.chatId;
    full.refused.length = 0;
    try {
      const reply = await member.request('removeMember', { chatId: chat.chatId, userId: member.userId });
      expect(reply.type).toBe('ack');
      expect(full.refused).toEqual(['TransactWriteItemsCommand']); // with the entry; then without it
    } finally {
      full.chatId = undefined;
    }
    expect(await logOf()).toEqual([]); // the change is not logged: a gap, readers read the members
    const after = await getChat(owner, chat.chatId);
    expect(after.members.map((m) => m.userId)).not.toContain(member.userId);
    expect(after.members).toHaveLength(99);
    await closeAll(stack, owner, member);
  }, 120_000);

  it('lets a member block the other member of a full direct chat: the block holds, unmirrored', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'fullblock')) as [UserSocket, UserSocket];
    const { chatId } = await makeDirect(alice, bob.userId);
    await sendText(alice, chatId, 'spam');
    full.chatId = chatId;
    full.refused.length = 0;
    try {
      expect((await bob.request('blockUser', { userId: alice.userId })).type).toBe('ack');
      expect(full.refused).toContain('TransactWriteItemsCommand'); // with the mirror; then without it
    } finally {
      full.chatId = undefined;
    }
    const meta = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === 'META');
    expect(meta?.blocksMirrored).toBeUndefined();
    expect(meta?.blockedSenders).toBeUndefined();
    // Once the chat has room again, the block still refuses alice's sends (read from the block item).
    await expectRefused(stack, alice, 'sendMessage', { chatId, text: 'still here?' }, 'FORBIDDEN', {
      message: /cannot send messages/,
    });
    await closeAll(stack, alice, bob);
  }, 60_000);
});

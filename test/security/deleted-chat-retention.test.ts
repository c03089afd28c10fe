/**
 * Issue 17, item 8: a deleted chat's items do not stay forever. `deleteChat` removes the chat and its
 * memberships at once, queues the chat's retention job (delayed) and answers; the retention worker
 * (lib/workers.ts `RETENTION_WORKER`, run by the SQS stand-in) sets the TTL attribute on every other
 * item of the chat's partition (messages, voids, clientMessageId claims, reactions, report markers,
 * uploads), so DynamoDB's TTL deletes them (on AWS within about 48 h). DynamoDB Local does not run TTL:
 * the test checks that every item left in the partition carries a `ttl` no later than the deletion.
 */
import { describe, expect, it } from 'vitest';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, groupOfTwo, sendText } from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack({ env: { [RETENTION_FINISH_DELAY_ENV]: '1' } });
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;

describe('retention of a deleted chat', () => {
  it('answers first, then the queued job leaves only items that expire (ttl at the deletion)', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Short-lived', 'keeper');
    for (let i = 0; i < 12; i++) {
      await sendText(i % 2 ? member : owner, chat.chatId, `message ${i}`, { clientMessageId: `c-${i}` });
    }
    const first = await sendText(owner, chat.chatId, 'react to me');
    await member.ok('react', { chatId: chat.chatId, messageId: first.messageId, emoji: '👍' });
    await member.ok('reportMessage', { chatId: chat.chatId, messageId: first.messageId, reason: 'spam' });
    const kinds = new Set((await stack.items(`CHAT#${chat.chatId}`)).map((i) => String(i.sk).split('#')[0]));
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['CMID', 'MSG', 'REACT', 'REPORT']));

    // The worker is held back: the answer cannot have waited for the items' TTL.
    const sent = queue().stats.sent;
    queue().pause();
    const before = Math.floor(Date.now() / 1000);
    try {
      await owner.ok('deleteChat', { chatId: chat.chatId });
      await stack.gateway.idle();
      // The retention job and the finish job queued before the mark (both waiting its delay).
      expect(queue().stats.sent).toBe(sent + 2);
      const waiting = await stack.items(`CHAT#${chat.chatId}`);
      expect(waiting.filter((i) => String(i.sk).startsWith('MEMBER#') || i.sk === 'META')).toEqual([]);
      expect(waiting.filter((i) => i.ttl !== undefined).map((i) => i.sk)).toEqual([]);
    } finally {
      queue().resume();
    }
    // The retention job waits the finish delay (1 s here, 60 s as deployed: past any write in flight
    // at the deletion, deleted-chat-late-writes.test.ts).
    await stack.idle({ timers: true });
    const after = Math.ceil(Date.now() / 1000);
    const left = await stack.items(`CHAT#${chat.chatId}`);
    expect(left.length).toBeGreaterThan(12);
    expect(left.filter((i) => String(i.sk).startsWith('MEMBER#') || i.sk === 'META')).toEqual([]);
    const unexpiring = left.filter((i) => typeof i.ttl !== 'number' || i.ttl < before || i.ttl > after);
    expect(unexpiring.map((i) => i.sk)).toEqual([]);
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, member);
  });

  it('expires a group whose last member left the same way (a chat with no members is deleted)', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Emptied', 'leaver');
    for (let i = 0; i < 4; i++) {
      await sendText(i % 2 ? member : owner, chat.chatId, `message ${i}`, { clientMessageId: `c-${i}` });
    }
    await member.ok('removeMember', { chatId: chat.chatId, userId: member.userId });
    const sent = queue().stats.sent;
    const before = Math.floor(Date.now() / 1000);
    await owner.ok('removeMember', { chatId: chat.chatId, userId: owner.userId });
    // The leave's delayed job (1 s here), then the retention job it queues once META is gone.
    await stack.idle({ timers: true });
    const after = Math.ceil(Date.now() / 1000);
    expect(queue().stats.sent).toBe(sent + 2);
    const left = await stack.items(`CHAT#${chat.chatId}`);
    expect(left.filter((i) => String(i.sk).startsWith('MSG#')).length).toBe(4);
    expect(left.filter((i) => String(i.sk).startsWith('MEMBER#') || i.sk === 'META')).toEqual([]);
    const unexpiring = left.filter((i) => typeof i.ttl !== 'number' || i.ttl < before || i.ttl > after);
    expect(unexpiring.map((i) => i.sk)).toEqual([]);
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, member);
  });
});

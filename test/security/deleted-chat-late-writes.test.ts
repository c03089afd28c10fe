/**
 * Writes in flight when `deleteChat` marks a chat: a send and a reaction whose seq or version was
 * allocated before the mark land up to the write deadline later (lambdas/domain/timing.ts), and a
 * report checked before it lands whenever its transaction does. The deletion's retention job waits
 * the finish delay (60 s as deployed, beyond any request), so it meets the late message and reaction
 * and gives them the chat's TTL; the report is refused (`META` is marked: nothing new is written into
 * a deleted chat). Before, the job went at once and those items stayed without a TTL for good.
 *
 * The three writes are held at their write until `deleteChat` answered and the retention queue has
 * nothing visible (an immediate job would have run by then), then the queue is paused while they
 * land: the job, on its timer, runs only after them, whatever the machine's speed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MessageRepository } from '../../lambdas/data/messages.ts';
import { ReactionRepository } from '../../lambdas/data/reactions.ts';
import { ReportRepository } from '../../lambdas/data/reports.ts';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, groupOfTwo, sendText } from '../support/chat.ts';
import { deferred } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack({ env: { [RETENTION_FINISH_DELAY_ENV]: '2' } });
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;
afterEach(() => vi.restoreAllMocks());

/** Holds every call of `proto[name]` until `open()`; `reached` resolves at the first call. */
function hold<T extends object>(proto: T, name: keyof T & string) {
  const { promise: reached, resolve: arrive } = deferred();
  const { promise: opened, resolve: open } = deferred();
  const original = proto[name] as (...args: unknown[]) => Promise<unknown>;
  vi.spyOn(proto as Record<string, (...args: unknown[]) => Promise<unknown>>, name).mockImplementation(
    async function (this: unknown, ...args: unknown[]) {
      arrive();
      await opened;
      return original.apply(this, args);
    },
  );
  return { reached, open: () => open() };
}

describe('writes in flight when a chat is deleted', () => {
  it('land before its retention job, which gives them its TTL; a report landing after the mark is refused', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Doomed', 'late');
    const { chatId } = chat;
    const first = await sendText(owner, chatId, 'report me');
    const held = [
      hold(ReportRepository.prototype, 'file'),
      hold(MessageRepository.prototype, 'put'),
      hold(ReactionRepository.prototype, 'apply'),
    ];
    const reporting = member.request('reportMessage', { chatId, messageId: first.messageId, reason: 'spam' });
    const reacting = member.request('react', { chatId, messageId: first.messageId, emoji: '👍' });
    const sending = member.request('sendMessage', { chatId, text: 'late', clientMessageId: 'late-1' });
    await Promise.all(held.map((h) => h.reached));
    const before = Math.floor(Date.now() / 1000);
    await owner.ok('deleteChat', { chatId });
    // A retention job sent at once would be visible now, and run here.
    await queue().idleExceptTimers();
    queue().pause();
    try {
      for (const h of held) h.open();
      const [report, reaction, sent] = await Promise.all([reporting, reacting, sending]);
      // Allocated before the mark, the message and the reaction are ordered before the deletion:
      // acked, and gone with the chat. The report's write came after the mark: NOT_FOUND.
      expect(sent).toMatchObject({ type: 'ack', message: { text: 'late' } });
      expect(reaction).toMatchObject({ type: 'ack' });
      expect(report).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
      const landed = (await stack.items(`CHAT#${chatId}`)).map((i) => String(i.sk).split('#')[0]);
      expect(landed).toEqual(expect.arrayContaining(['MSG', 'REACT']));
    } finally {
      queue().resume();
    }
    await stack.idle({ timers: true });
    const after = Math.ceil(Date.now() / 1000);
    const left = await stack.items(`CHAT#${chatId}`);
    expect(left.filter((i) => String(i.sk).startsWith('MSG#'))).toHaveLength(2);
    expect(left.filter((i) => String(i.sk).startsWith('REPORT#'))).toEqual([]);
    const unexpiring = left.filter((i) => typeof i.ttl !== 'number' || i.ttl < before || i.ttl > after);
    expect(unexpiring.map((i) => i.sk)).toEqual([]);
    expect((await stack.items('REPORTS')).filter((r) => r.chatId === chatId)).toEqual([]);
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, member);
  });
});

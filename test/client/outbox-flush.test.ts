/**
 * The outbox's scheduling on its own, over a stub connection: the rules (one change in flight per
 * chat, in order; at most SENDS_IN_FLIGHT per action; the chat whose next change has waited longest
 * for a slot goes first; an action's full slots do not hold another action's changes) and that a
 * flush of n queued changes is linear work: each change is looked at a bounded number of times (it
 * was one pass over every change per settled change: O(n²), 0.55 s for 3,000).
 */
import { describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../client/src/api.ts';
import type { Connection, Frame } from '../../client/src/connection.ts';
import { Outbox, SENDS_IN_FLIGHT } from '../../client/src/outbox.ts';

interface Call {
  readonly action: string;
  readonly chatId: string;
  readonly text: string;
  readonly answer: () => void;
}

/** An outbox over a connection that is open and records each request until the test answers it. */
function outbox(answerAtOnce = false) {
  const calls: Call[] = [];
  const conn = {
    state: 'open',
    request(action: string, fields: Record<string, unknown>): Promise<Frame> {
      if (answerAtOnce) return Promise.resolve({ type: 'ack' });
      return new Promise((resolve) => {
        const answer = () => resolve({ type: 'ack' });
        calls.push({ action, chatId: String(fields.chatId), text: String(fields.text), answer });
      });
    },
  } as unknown as Connection;
  const stats = { resends: 0 } as never;
  const box = new Outbox(conn, { acked() {}, changed: async () => {}, emit() {} }, stats, [100, 1000]);
  box.load([]);
  let id = 0;
  const add = (chatId: string, action: OutboxEntry['action'] = 'sendMessage', text = '') =>
    box.add({ id: `e${++id}`, chatId, action, fields: { chatId, text }, createdAt: '', attempts: 0 });
  return { box, calls, add };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the outbox flush', () => {
  it('one change per chat in order, SENDS_IN_FLIGHT per action, the longest waiting chat first', async () => {
    const { calls, add } = outbox();
    const done: Promise<unknown>[] = [];
    for (const round of [0, 1])
      for (let c = 0; c < 6; c++) done.push(add(`c${c}`, 'sendMessage', `c${c}-${round}`));
    done.push(add('c0', 'react', 'c0-react'), add('r1', 'react', 'r1-react'));
    await tick();
    const sent = () => calls.map((c) => c.text);
    const answer = async (text: string) => {
      calls.find((c) => c.text === text)?.answer();
      await tick();
    };
    expect(SENDS_IN_FLIGHT).toBe(4);
    // Four sends (chats in the order their first change was queued); a reaction in another chat
    // goes beside them; c0's reaction waits behind c0's sends.
    expect(sent()).toEqual(['c0-0', 'c1-0', 'c2-0', 'c3-0', 'r1-react']);
    await answer('c0-0');
    expect(sent().slice(5)).toEqual(['c4-0']); // c4 and c5 waited longer than c0's next
    await answer('c1-0');
    await answer('c2-0');
    expect(sent().slice(6)).toEqual(['c5-0', 'c0-1']);
    await answer('c0-1');
    // c0's reaction goes at once (a react slot is free), and c1's next change takes the send slot.
    expect(sent().slice(8).sort()).toEqual(['c0-react', 'c1-1']);
    for (const text of ['c3-0', 'c4-0', 'c5-0', 'c1-1', 'c0-react', 'r1-react']) await answer(text);
    for (const text of ['c2-1', 'c3-1', 'c4-1', 'c5-1']) await answer(text);
    await Promise.all(done);
    expect(sent()).toHaveLength(14);
    for (let c = 0; c < 6; c++) {
      const mine = sent().filter((t) => t.startsWith(`c${c}-`));
      expect(mine).toEqual(c === 0 ? ['c0-0', 'c0-1', 'c0-react'] : [`c${c}-0`, `c${c}-1`]);
    }
  });

  it('visits each change a bounded number of times: the work is linear (3,000 vs 6,000 changes)', async () => {
    /** Reads of the changes' fields while n changes in `chats` chats are queued and flushed. */
    const reads = async (n: number, chats: number) => {
      const { box } = outbox(true);
      let count = 0;
      const counted = <T extends object>(entry: T): T =>
        new Proxy(entry, {
          get(target, key, receiver) {
            count++;
            return Reflect.get(target, key, receiver);
          },
        });
      const all = Array.from({ length: n }, (_, i) => {
        const chatId = `c${i % chats}`;
        const fields = { chatId, text: `${i}` };
        return box.add(
          counted({ id: `e${i}`, chatId, action: 'sendMessage', fields, createdAt: '', attempts: 0 }),
        );
      });
      await Promise.all(all);
      expect(box.entries).toEqual([]);
      return count;
    };
    for (const chats of [1, 300, 6000]) {
      const small = await reads(3000, Math.min(chats, 3000));
      const large = await reads(6000, chats);
      // Linear: twice the reads for twice the changes, a few per change. It was one pass over every
      // change per settled change (reads ∝ n²: four times as many, over a thousand per change).
      expect(large / small, `${chats} chats: ${small} reads, then ${large}`).toBeLessThan(2.2);
      expect(large / 6000).toBeLessThan(40);
    }
  });
});

/**
 * Issue 17, item 2 (server half): a `history` page never exceeds API Gateway's 128 KB frame. When a
 * full page would not fit, it carries fewer messages than `limit` with `hasMore: true`, and paging on
 * from there reaches every message, in both directions.
 */
import { describe, expect, it } from 'vitest';
import { connectUser, makeGroup, sendText } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const FRAME_LIMIT = 128 * 1024;
const COUNT = 15;

describe('history pages cut by size', () => {
  it('answers fewer messages with hasMore when a full page would not fit in 128 KB', async () => {
    const owner = await connectUser(stack, uniqueId('big'));
    const chat = await makeGroup(owner, []);
    // 4,000 three-byte characters: about 12 KB of JSON each, 15 of them about 180 KB.
    for (let i = 0; i < COUNT; i++) await sendText(owner, chat.chatId, `${i} ${'€'.repeat(3990)}`);
    const seen = new Set<number>();
    let before: number | undefined;
    for (let page = 0; page < COUNT; page++) {
      const reply = await owner.ok('history', {
        chatId: chat.chatId,
        limit: 50,
        ...(before ? { before } : {}),
      });
      expect(Buffer.byteLength(JSON.stringify(reply))).toBeLessThanOrEqual(FRAME_LIMIT);
      const seqs = (reply.messages as { seq: number }[]).map((m) => m.seq);
      expect(seqs.length).toBeGreaterThan(0);
      for (const seq of seqs) seen.add(seq);
      if (!reply.hasMore) break;
      expect(seqs.length).toBeLessThan(COUNT);
      before = seqs[0];
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    // Forward from the start: the oldest first, cut the same way.
    const forward = await owner.ok('history', { chatId: chat.chatId, after: 0, limit: 50 });
    expect(Buffer.byteLength(JSON.stringify(forward))).toBeLessThanOrEqual(FRAME_LIMIT);
    expect(forward.hasMore).toBe(true);
    expect((forward.messages as { seq: number }[])[0]?.seq).toBe(1);
    expect(stack.executionLog.filter((e) => e.routeKey === 'history')).toEqual([]);
    await owner.close();
  });
});

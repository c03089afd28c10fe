/**
 * A deleted chat's retention in several jobs: with 4 keys a page and 2 pages a job
 * (RETENTION_PAGE_SIZE, RETENTION_MAX_PAGES), the retention worker expires 8 items, queues the rest
 * of the partition as a continuation job on its own queue (the Query's LastEvaluatedKey), and so on
 * until every item of the partition has its TTL. Also what proves the worker's `sqs:SendMessage`
 * grant on its own queue (scripts/check-iam.ts).
 */
import { describe, expect, it } from 'vitest';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, groupOfTwo, sendText } from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';

const PAGE = 4;
const PAGES = 2;
const stack = useTestStack({
  env: {
    RETENTION_PAGE_SIZE: String(PAGE),
    RETENTION_MAX_PAGES: String(PAGES),
    // The deletion's retention job waits the finish job's delay (60 s as deployed).
    [RETENTION_FINISH_DELAY_ENV]: '1',
  },
});
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;

describe('retention jobs of a deleted chat', { timeout: 120_000 }, () => {
  it('hands the rest of a big partition on, job after job, until every item expires', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Many pages');
    for (let i = 0; i < 15; i++) {
      await sendText(i % 2 ? member : owner, chat.chatId, `message ${i}`, { clientMessageId: `m-${i}` });
    }
    await stack.idle();
    const before = Math.floor(Date.now() / 1000);
    const { sent, records } = queue().stats;
    await owner.ok('deleteChat', { chatId: chat.chatId });
    await stack.idle({ timers: true });
    const after = Math.ceil(Date.now() / 1000);

    const left = await stack.items(`CHAT#${chat.chatId}`);
    // 15 messages and 15 claims at least: more than three jobs' worth.
    expect(left.length).toBeGreaterThanOrEqual(30);
    const unexpiring = left.filter((i) => typeof i.ttl !== 'number' || i.ttl < before || i.ttl > after);
    expect(unexpiring.map((i) => i.sk)).toEqual([]);
    // Every job sent ran once: deleteChat's finish job (META gone: nothing to do) and its retention
    // jobs, one from deleteChat, then one continuation per full job: ⌈items / 8⌉ in all (one more
    // when the last page ended exactly at the partition's end, which a Query cannot tell).
    const ran = queue().stats.records - records;
    expect(queue().stats.sent - sent).toBe(ran);
    const jobs = ran - 1;
    const expected = Math.ceil(left.length / (PAGE * PAGES));
    expect(jobs).toBeGreaterThanOrEqual(expected);
    expect(jobs).toBeLessThanOrEqual(expected + 1);
    expect(queue().stats.failedRecords).toBe(0);
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, member);
  });
});

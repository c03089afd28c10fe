/**
 * When the retention queue refuses a deleted chat's job, the request expires what fits in its own
 * time and no more (lambdas/domain/chat-deletion.ts): a big chat's partition must not keep the
 * request past its timeout (on AWS Lambda kills it there, and nothing after the expiry runs: no
 * META deleted, no roster disbanded, nothing logged). The rest is left recoverable: the queue is
 * asked again, and when it still refuses, an ERROR line names the chat and the job that finishes
 * it, `RetentionNotQueued` is counted (alarmed), and a deletion keeps its marked `META`
 * (docs/operations.md, "A deleted chat's retention not queued"). Here every send to the queue
 * fails (its URL is a closed port), the routes' timeout is 5 s (its last 2 s kept: REQUEST_RESERVE_MS),
 * and the partition holds 6,000 items (DynamoDB Local gives a few hundred TTLs a second, about 1,300 in this request on a quiet machine). The
 * operator's step, the logged job sent to the queue, then finishes it. Real engines: DynamoDB Local.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { logger } from '../../lambdas/shared/logger.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { RETENTION_QUEUE_URL_ENV, RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, groupOfTwo } from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const TIMEOUT_SECONDS = 5;
const FILLER = 6_000;

const stack = useTestStack({
  env: { [RETENTION_QUEUE_URL_ENV]: `http://127.0.0.1:1/000000000000/${RETENTION_WORKER.name}` },
  timeoutSeconds: { deleteChat: TIMEOUT_SECONDS, removeMember: TIMEOUT_SECONDS },
});
const table = useTableStore(stack);
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;

const emitted: MetricValues[] = [];
let stopMetrics: () => void = () => {};
let errors: MockInstance<typeof logger.error>;
beforeEach(() => {
  emitted.length = 0;
  stopMetrics = onMetrics((values) => emitted.push(values));
  errors = vi.spyOn(logger, 'error');
});
afterEach(() => {
  stopMetrics();
  errors.mockRestore();
});
const notQueued = () => emitted.reduce((n, v) => n + (v.RetentionNotQueued ?? 0), 0);

/** `FILLER` message-like items written straight into the chat's partition. */
async function fill(chatId: string): Promise<void> {
  const items = Array.from({ length: FILLER }, (_, i) => ({
    pk: `CHAT#${chatId}`,
    sk: `MSG#filler-${String(i).padStart(5, '0')}`,
    text: `filler ${i}`,
  }));
  for (let i = 0; i < items.length; i += 25) {
    const chunk = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    await table.doc.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: chunk } }));
  }
}

/** The job the ERROR line hands the operator, for `chatId`. */
function loggedJob(chatId: string): Record<string, unknown> {
  const line = errors.mock.calls.find(([, extra]) => extra?.chatId === chatId && extra.job !== undefined);
  expect(line, 'an ERROR line naming the chat and its job').toBeDefined();
  return line?.[1]?.job as Record<string, unknown>;
}

const unexpired = async (chatId: string) =>
  (await stack.items(`CHAT#${chatId}`)).filter((i) => typeof i.ttl !== 'number').map((i) => String(i.sk));

describe('a big deleted chat when the retention queue refuses its job', { timeout: 180_000 }, () => {
  it('deleteChat answers within its timeout, keeps META marked and logs the job that finishes it', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Big, no queue');
    const { chatId } = chat;
    await fill(chatId);

    const started = Date.now();
    await owner.ok('deleteChat', { chatId });
    const took = Date.now() - started;
    expect(took).toBeLessThan(TIMEOUT_SECONDS * 1000);
    await member.event('chat.deleted', (f) => f.chatId === chatId);
    // Part of the partition expired, not all of it; META stays, marked: the deletion is unfinished.
    const left = await unexpired(chatId);
    expect(left).toContain('META');
    expect(left.length).toBeGreaterThan(1);
    expect(left.length, `expired in ${took} ms`).toBeLessThan(FILLER);
    const meta = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === 'META');
    expect(meta?.deletedAt).toEqual(expect.any(String));
    expect(notQueued()).toBe(1);
    const job = loggedJob(chatId);
    expect(job).toEqual({ v: 1, kind: 'finishDeletion', chatId });

    // The runbook: once the queue takes jobs again, the logged job sent to it finishes the deletion.
    queue().send(JSON.stringify(job));
    await stack.idle({ timers: true });
    expect(await unexpired(chatId)).toEqual([]);
    expect((await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === 'META')).toBeUndefined();
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, member);
  });

  it('the last member’s leave answers within its timeout and logs the retention job to send', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Big, last out, no queue');
    const { chatId } = chat;
    await fill(chatId);
    await member.ok('removeMember', { chatId, userId: member.userId });
    const before = Math.floor(Date.now() / 1000);

    const started = Date.now();
    await owner.ok('removeMember', { chatId, userId: owner.userId });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_SECONDS * 1000);
    const left = await unexpired(chatId);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(FILLER);
    expect(notQueued()).toBe(1);
    const job = loggedJob(chatId);
    expect(job).toEqual({ v: 1, chatId, expiresAt: expect.any(Number) });
    expect(job.expiresAt).toBeGreaterThanOrEqual(before);

    queue().send(JSON.stringify(job));
    await stack.idle({ timers: true });
    expect(await unexpired(chatId)).toEqual([]);
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, member);
  });
});

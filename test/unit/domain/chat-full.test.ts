/**
 * A chat near or at its storage limit (10 GB: lambdas/domain/chat-size.ts). A send whose put finds
 * the chat at 8 GB or more warns (a WARN naming the chat, `ChatStorageNearFull` counted); a full
 * chat refuses the send with `ChatFull` (FORBIDDEN, its sentence) after one allocation, writes no
 * void (none could be stored) and gives the clientMessageId back; readers take the seq left empty
 * for a void instead of failing; a scheduled message into it fails FORBIDDEN at once.
 */
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { CHAT_NEAR_FULL_GB } from '../../../lambdas/domain/chat-size.ts';
import { dispatchScheduled } from '../../../lambdas/domain/scheduled-dispatch.ts';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { repairTail, settleGap } from '../../../lambdas/domain/voids.ts';
import { CHAT_FULL_MESSAGE, ChatFull } from '../../../lambdas/shared/errors.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { type MetricValues, onMetrics } from '../../../lambdas/shared/metrics.ts';
import { annSend, caller, clock, groupChat, withChat } from './fakes.ts';
import { record, scheduledDeps } from './scheduled-fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ann = caller('ann');
let emitted: MetricValues[] = [];
let stop = () => {};
let warned: MockInstance<typeof logger.warn>;
beforeEach(() => {
  emitted = [];
  stop = onMetrics((m) => emitted.push(m));
  warned = vi.spyOn(logger, 'warn').mockImplementation(() => {});
});
afterEach(() => {
  stop();
  warned.mockRestore();
});
const nearFull = () => emitted.reduce((n, m) => n + (m.ChatStorageNearFull ?? 0), 0);
const sizeWarnings = () => warned.mock.calls.filter(([line]) => line === 'chat storage near its limit');

describe('a chat near its storage limit', () => {
  it('warns (naming the chat) and counts ChatStorageNearFull when the put’s estimate reaches 8 GB', async () => {
    expect(CHAT_NEAR_FULL_GB).toBe(8);
    const { deps, store } = withChat();
    store.messages.put.mockResolvedValueOnce({ status: 'stored', chatGB: 8.25 });
    const { message } = await sendMessage(deps, ann, annSend);
    expect(message).toMatchObject({ seq: 5 });
    expect(nearFull()).toBe(1);
    expect(sizeWarnings()).toEqual([
      ['chat storage near its limit', { chatId: 'g1', chatGB: 8.25, limitGB: 10 }],
    ]);
  });

  it('says nothing below 8 GB, or without an estimate (DynamoDB Local)', async () => {
    const { deps, store } = withChat();
    store.messages.put
      .mockResolvedValueOnce({ status: 'stored', chatGB: 7.99 })
      .mockResolvedValueOnce({ status: 'stored', chatGB: undefined });
    await sendMessage(deps, ann, annSend);
    await sendMessage(deps, ann, { ...annSend, clientMessageId: 'cm-2' });
    expect(nearFull()).toBe(0);
    expect(sizeWarnings()).toEqual([]);
  });
});

describe('a full chat', () => {
  it('refuses the send FORBIDDEN after one allocation, writes no void, gives the claim back', async () => {
    const { deps, store } = withChat();
    store.messages.put.mockRejectedValueOnce(new ChatFull());
    const error = await sendMessage(deps, ann, annSend).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatFull);
    expect(error).toMatchObject({ code: 'FORBIDDEN', message: CHAT_FULL_MESSAGE });
    expect(store.sequence.allocate).toHaveBeenCalledTimes(1);
    expect(store.sequence.fillVoid).not.toHaveBeenCalled();
    expect(store.claims.release).toHaveBeenCalledTimes(1);
  });

  it('leaves a seq it cannot fill to readers as a void, tried once (no retries)', async () => {
    const { deps, store } = withChat();
    store.sequence.fillVoid.mockRejectedValue(new ChatFull());
    const allocAt = clock.ms - 60_000; // long settled
    await expect(settleGap(deps, 'g1', 5, allocAt)).resolves.toEqual({ kind: 'void', seq: 5, allocAt });
    expect(store.sequence.fillVoid).toHaveBeenCalledTimes(1);
    // listChats' repair of an abandoned top: counted as a void in the answer, nothing thrown.
    const { chat } = groupChat('ann', ['ann', 'bob'], { lastSeq: 6, lastAllocAt: allocAt });
    const repaired = await repairTail(deps, chat, 4);
    expect([...(repaired.voidSeqs ?? [])].sort((a, b) => a - b)).toEqual([5, 6]);
  });

  it('fails a scheduled message FORBIDDEN at its first attempt (not retried until INTERNAL)', async () => {
    const { deps, store } = scheduledDeps();
    store.scheduled.claim.mockImplementation(async (_ref, dispatchId) =>
      record({ status: 'sending', dispatchId, attempts: 1 }),
    );
    store.claims.claim.mockRejectedValue(new ChatFull());
    const ref = { userId: 'ann', scheduledId: 's_1', sendAt: record().sendAt };
    expect(await dispatchScheduled(deps, ref)).toBe('failed');
    expect(store.scheduled.complete.mock.calls[0]?.[2]).toEqual({ status: 'failed', reason: 'FORBIDDEN' });
  });
});

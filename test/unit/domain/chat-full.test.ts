/**
 * A chat at its storage limit (10 GB: docs/data-model.md, "Size of a chat"). A full
 * chat refuses the send with `ChatFull` (FORBIDDEN, its sentence) after one allocation, writes no
 * void (none could be stored) and gives the clientMessageId back; readers take the seq left empty
 * for a void instead of failing; a scheduled message into it fails FORBIDDEN at once.
 */
import { describe, expect, it, vi } from 'vitest';
import { dispatchScheduled } from '../../../lambdas/domain/scheduled-dispatch.ts';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { repairTail, settleGap } from '../../../lambdas/domain/voids.ts';
import { CHAT_FULL_MESSAGE, ChatFull } from '../../../lambdas/shared/errors.ts';
import { annSend, caller, clock, groupChat, withChat } from './fakes.ts';
import { record, scheduledDeps } from './scheduled-fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ann = caller('ann');

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

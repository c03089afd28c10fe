/**
 * The sender's own read cursor (`sender-cursor.ts`): a scheduled message going out moves it in
 * neither kind of chat and is noted as the sender's (`sentAhead`) instead, also by a duplicate (the
 * dispatcher's next attempt) whose send died before noting it; in a group, a duplicate of a send
 * whose cursor move failed (or never ran) moves it, forward only; a move or note that fails is tried
 * again in place, and one that kept failing fails a send with a clientMessageId (its retry heals it). End to end over the gateway:
 * test/e2e/scheduled-read-cursor.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import type { MemberRecord } from '../../../lambdas/data/store.ts';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { ADMITTED } from '../../../lambdas/domain/send-checks.ts';
import { MARK_ATTEMPTS } from '../../../lambdas/domain/sender-cursor.ts';
import { ROUTE_TIMEOUT_SECONDS } from '../../../lambdas/shared/config.ts';
import { annSend, caller, clock, groupChat, stored, withChat } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ann = caller('ann');
const AS_SCHEDULED = { movesReadCursor: false } as const;

/** A send whose clientMessageId names a message stored at seq 2 (its send ended long ago). */
function duplicateOf(
  deps: ReturnType<typeof withChat>,
  anns: Partial<MemberRecord>,
  kind: 'group' | 'direct' = 'group',
) {
  const { store } = deps;
  const head = groupChat('ann', ['ann', 'bob'], { kind, lastSeq: 2 });
  head.members = head.members.map((m) => (m.userId === 'ann' ? { ...m, ...anns } : m));
  store.chats.getWithMembers.mockResolvedValue(head);
  const original = stored(2, { clientMessageId: 'cm-1', allocAt: clock.ms - ROUTE_TIMEOUT_SECONDS * 1000 });
  store.claims.claim.mockResolvedValue({
    status: 'taken',
    claim: { claimedAt: original.allocAt, token: 't0' },
  });
  store.messages.findByClientId.mockResolvedValue(original);
}

describe('a scheduled message going out', () => {
  it('in a group, moves no cursor: the message is noted as the sender’s', async () => {
    const { deps, store } = withChat();
    const { message } = await sendMessage(deps, ann, annSend, ADMITTED, AS_SCHEDULED);
    expect(store.cursors.advance).not.toHaveBeenCalled();
    expect(store.cursors.noteSentAhead).toHaveBeenCalledWith('g1', 'ann', message.seq);
  });

  it('in a direct chat, keeps the sender’s `sentSeq` out of the allocation, and notes the message', async () => {
    const { deps, store } = withChat({ kind: 'direct', sentSeq: {} });
    const { message } = await sendMessage(deps, ann, annSend, ADMITTED, AS_SCHEDULED);
    expect(store.sequence.allocate.mock.calls[0]?.[1]).toMatchObject({
      sentBy: 'ann',
      keepsReadCursor: true,
    });
    expect(store.cursors.advance).not.toHaveBeenCalled();
    expect(store.cursors.noteSentAhead).toHaveBeenCalledWith('g1', 'ann', message.seq);
  });

  it('a duplicate notes the message when the send that stored it did not', async () => {
    const fake = withChat();
    duplicateOf(fake, { lastReadSeq: 1 });
    await expect(sendMessage(fake.deps, ann, annSend, ADMITTED, AS_SCHEDULED)).resolves.toMatchObject({
      duplicate: true,
    });
    expect(fake.store.cursors.noteSentAhead).toHaveBeenCalledWith('g1', 'ann', 2);
    expect(fake.store.cursors.advance).not.toHaveBeenCalled();
  });

  it('a note that kept failing fails the send (its clientMessageId: the dispatcher tries again)', async () => {
    const fake = withChat();
    fake.store.cursors.noteSentAhead.mockRejectedValue(new Error('throttled'));
    const scheduled = { ...annSend, clientMessageId: 'sched_1' };
    await expect(sendMessage(fake.deps, ann, scheduled, ADMITTED, AS_SCHEDULED)).rejects.toThrow('throttled');
    expect(fake.store.cursors.noteSentAhead).toHaveBeenCalledTimes(MARK_ATTEMPTS);
  });

  it('a duplicate writes nothing when the message is noted, or the cursor is past it', async () => {
    for (const anns of [{ lastReadSeq: 1, sentAhead: new Set([2]) }, { lastReadSeq: 2 }]) {
      const fake = withChat();
      duplicateOf(fake, anns);
      await sendMessage(fake.deps, ann, annSend, ADMITTED, AS_SCHEDULED);
      expect(fake.store.cursors.noteSentAhead).not.toHaveBeenCalled();
      expect(fake.store.cursors.advance).not.toHaveBeenCalled();
    }
  });
});

describe('a duplicate in a group: the sender’s cursor', () => {
  it('moves when the send’s move kept failing: the send is answered INTERNAL, its retry heals it', async () => {
    const fake = withChat();
    for (let i = 0; i < MARK_ATTEMPTS; i++)
      fake.store.cursors.advance.mockRejectedValueOnce(new Error('throttled'));
    await expect(sendMessage(fake.deps, ann, annSend)).rejects.toThrow('throttled');
    expect(fake.store.cursors.advance).toHaveBeenCalledTimes(MARK_ATTEMPTS);
    // Answered only after its posts: the message went out.
    expect(fake.fanOut.toUsers).toHaveBeenCalled();
    // The retry finds the message stored; ann's membership still has the cursor behind it.
    const seq = fake.store.cursors.advance.mock.calls[0]?.[2] as number;
    const original = stored(seq, { clientMessageId: 'cm-1', allocAt: clock.ms });
    fake.store.claims.claim.mockResolvedValue({
      status: 'taken',
      claim: { claimedAt: clock.ms, token: 't0' },
    });
    fake.store.messages.findByClientId.mockResolvedValue(original);
    const retry = await sendMessage(fake.deps, ann, annSend);
    expect(retry).toMatchObject({ duplicate: true, message: { seq } });
    expect(fake.store.cursors.advance).toHaveBeenCalledTimes(MARK_ATTEMPTS + 1);
    expect(fake.store.cursors.advance).toHaveBeenLastCalledWith('g1', 'ann', seq);
  });

  it('is tried again in place after a failed move: the send is answered', async () => {
    const fake = withChat();
    fake.store.cursors.advance.mockRejectedValueOnce(new Error('throttled'));
    await expect(sendMessage(fake.deps, ann, annSend)).resolves.toMatchObject({ duplicate: false });
    expect(fake.store.cursors.advance).toHaveBeenCalledTimes(2);
  });

  it('kept failing without a clientMessageId (no retry could heal it): logged, the send answered', async () => {
    const fake = withChat();
    fake.store.cursors.advance.mockRejectedValue(new Error('throttled'));
    const { clientMessageId: _, ...withoutId } = annSend;
    await expect(sendMessage(fake.deps, ann, withoutId)).resolves.toMatchObject({ duplicate: false });
    expect(fake.store.cursors.advance).toHaveBeenCalledTimes(MARK_ATTEMPTS);
  });

  it('moves when the send died after its put (it never ran)', async () => {
    const fake = withChat();
    duplicateOf(fake, { lastReadSeq: 1 });
    await expect(sendMessage(fake.deps, ann, annSend)).resolves.toMatchObject({ duplicate: true });
    expect(fake.store.cursors.advance).toHaveBeenCalledWith('g1', 'ann', 2);
    expect(fake.store.cursors.noteSentAhead).not.toHaveBeenCalled();
  });

  it('writes nothing when the cursor is at or past the message, nor in a direct chat', async () => {
    for (const [anns, kind] of [
      [{ lastReadSeq: 2 }, 'group'],
      [{ lastReadSeq: 7 }, 'group'],
      [{ lastReadSeq: 0 }, 'direct'],
    ] as const) {
      const fake = withChat();
      duplicateOf(fake, anns, kind);
      await expect(sendMessage(fake.deps, ann, annSend)).resolves.toMatchObject({ duplicate: true });
      expect(fake.store.cursors.advance).not.toHaveBeenCalled();
      expect(fake.store.cursors.noteSentAhead).not.toHaveBeenCalled();
    }
  });

  it('a failed move fails the duplicate (INTERNAL): the next retry tries again', async () => {
    const fake = withChat();
    duplicateOf(fake, { lastReadSeq: 1 });
    fake.store.cursors.advance.mockRejectedValueOnce(new Error('throttled'));
    await expect(sendMessage(fake.deps, ann, annSend)).rejects.toThrow('throttled');
    await expect(sendMessage(fake.deps, ann, annSend)).resolves.toMatchObject({ duplicate: true });
    expect(fake.store.cursors.advance).toHaveBeenCalledTimes(2);
  });
});

/**
 * A retry of a send already stored (same clientMessageId, its ack lost) is answered with the stored
 * message whatever the pre-send hook says now (docs/hooks.md): here the hook is down and its fallback
 * is `deny`, which would refuse a new send. Both ways the claim can go: beside the checks (the
 * claim finds the message) and after them (a slow hook's timeout, or attachments: the claim is made
 * on the refusal's path, and waits for a first attempt still storing the message). A send that is
 * not a duplicate is still refused.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { caller, clock, fakeDeps, groupChat, stored } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const KEYS = ['PRE_SEND_HOOK', 'PRE_SEND_HOOK_FALLBACK', 'PRE_SEND_HOOK_TIMEOUT_MS'] as const;
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));

beforeEach(() => {
  process.env.PRE_SEND_HOOK = 'test/support/hooks/down-hook.ts';
  process.env.PRE_SEND_HOOK_FALLBACK = 'deny';
});
afterEach(() => {
  for (const key of KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

const ann = caller('ann');
const retry = { chatId: 'g1', text: 'hi', clientMessageId: 'cm-1', connectionId: 'k-ann' };

function storedAlready() {
  const fake = fakeDeps();
  fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
  fake.store.claims.claim.mockResolvedValue({
    status: 'taken',
    claim: { claimedAt: clock.ms - 10_000, token: 't0' },
  });
  fake.store.messages.findByClientId.mockResolvedValue(stored(2, { clientMessageId: 'cm-1' }));
  return fake;
}

describe('the hook refuses a retry of a stored send', () => {
  it('answers the stored message when the claim runs beside the checks', async () => {
    const { deps, store } = storedAlready();
    await expect(sendMessage(deps, ann, retry)).resolves.toMatchObject({
      duplicate: true,
      message: { seq: 2 },
    });
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(store.claims.release).not.toHaveBeenCalled();
    expect(store.chats.getMemberAndChat).toHaveBeenCalled(); // the consistent membership check
  });

  it('answers the stored message when the claim comes after the checks (a slow hook)', async () => {
    process.env.PRE_SEND_HOOK_TIMEOUT_MS = '5000';
    const { deps, store } = storedAlready();
    await expect(sendMessage(deps, ann, retry)).resolves.toMatchObject({
      duplicate: true,
      message: { seq: 2 },
    });
    expect(store.sequence.allocate).not.toHaveBeenCalled();
  });

  it('waits for a first attempt still storing the message when the claim comes after the checks', async () => {
    process.env.PRE_SEND_HOOK_TIMEOUT_MS = '5000';
    const { deps, store } = storedAlready();
    // The first attempt holds a fresh claim and its message lands a moment after the retry's
    // first look at the index: one read would find nothing and answer FORBIDDEN (final).
    const held = { claimedAt: clock.ms, token: 't0' };
    store.claims.claim.mockResolvedValue({ status: 'taken', claim: held });
    store.claims.get.mockResolvedValue(held);
    store.messages.findByClientId
      .mockReset()
      .mockResolvedValueOnce(undefined)
      .mockResolvedValue(stored(2, { clientMessageId: 'cm-1' }));
    await expect(sendMessage(deps, ann, retry)).resolves.toMatchObject({
      duplicate: true,
      message: { seq: 2 },
    });
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(store.claims.release).not.toHaveBeenCalled();
  });

  it('still refuses a send whose message is not stored', async () => {
    const { deps, store } = storedAlready();
    store.claims.claim.mockResolvedValue({ status: 'claimed' });
    store.messages.findByClientId.mockResolvedValue(undefined);
    await expect(sendMessage(deps, ann, retry)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'This message could not be checked. Please retry.',
    });
    expect(store.claims.release).toHaveBeenCalled();
    process.env.PRE_SEND_HOOK_TIMEOUT_MS = '5000';
    await expect(sendMessage(deps, ann, retry)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(store.sequence.allocate).not.toHaveBeenCalled();
  });
});

/**
 * The clientMessageId claim: whoever claims first writes; everyone else waits for that message,
 * claims a released id, or takes over a stale claim only after a conclusive look at the index.
 */
import { describe, expect, it, vi } from 'vitest';
import { claimClientId } from '../../../lambdas/domain/client-ids.ts';
import { claimStaleAfterMs } from '../../../lambdas/domain/timing.ts';
import { clock, fakeDeps, stored } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ref = { chatId: 'g1', senderId: 'ann', clientMessageId: 'cm-1' };
const holder = () => ({ claimedAt: clock.ms, token: 'holder' });

describe('claimClientId', () => {
  it('claims a free id with a fresh token at the current time', async () => {
    const { deps, store } = fakeDeps();
    const resolution = await claimClientId(deps, ref);
    expect(resolution).toEqual({
      status: 'claimed',
      claim: { ref, claimedAt: clock.ms, token: expect.stringMatching(/^[\w-]{12}$/) },
    });
    expect(store.messages.findByClientId).not.toHaveBeenCalled();
  });

  it('answers the stored message of a claimed id at once', async () => {
    const { deps, store } = fakeDeps();
    const original = stored(4, { clientMessageId: 'cm-1' });
    store.claims.claim.mockResolvedValue({ status: 'taken', claim: holder() });
    store.messages.findByClientId.mockResolvedValue(original);
    await expect(claimClientId(deps, ref)).resolves.toEqual({ status: 'duplicate', message: original });
    expect(store.messages.findByClientId).toHaveBeenCalledWith('g1', 'ann', 'cm-1');
    expect(store.claims.takeOver).not.toHaveBeenCalled();
  });

  it('waits for the holder’s message while the holder is within its deadline', async () => {
    const { deps, store } = fakeDeps();
    const original = stored(4, { clientMessageId: 'cm-1' });
    const claim = holder();
    store.claims.claim.mockResolvedValue({ status: 'taken', claim });
    store.claims.get.mockResolvedValue(claim);
    store.messages.findByClientId
      .mockResolvedValueOnce(undefined)
      .mockResolvedValueOnce(undefined)
      .mockResolvedValueOnce(original);
    await expect(claimClientId(deps, ref)).resolves.toEqual({ status: 'duplicate', message: original });
    expect(store.claims.takeOver).not.toHaveBeenCalled();
    expect(clock.ms - claim.claimedAt).toBeLessThan(claimStaleAfterMs());
  });

  it('claims an id its holder released (the holder stored nothing)', async () => {
    const { deps, store } = fakeDeps();
    store.claims.claim
      .mockResolvedValueOnce({ status: 'taken', claim: holder() })
      .mockResolvedValueOnce({ status: 'claimed' });
    store.claims.get.mockResolvedValue(undefined);
    await expect(claimClientId(deps, ref)).resolves.toMatchObject({ status: 'claimed' });
    expect(store.claims.claim).toHaveBeenCalledTimes(2);
  });

  it('takes a claim over once stale, only after one more look at the index, conditional on the old token', async () => {
    const { deps, store } = fakeDeps();
    const claim = { claimedAt: clock.ms - claimStaleAfterMs() + 1000, token: 'holder' }; // stale in 1 s
    store.claims.claim.mockResolvedValue({ status: 'taken', claim });
    store.claims.get.mockResolvedValue(claim); // the holder never comes back
    const looks: number[] = [];
    store.messages.findByClientId.mockImplementation(async () => {
      looks.push(clock.ms);
      return undefined;
    });
    const resolution = await claimClientId(deps, ref);
    expect(resolution).toMatchObject({ status: 'claimed', claim: { token: expect.any(String) } });
    const [, old, next] = store.claims.takeOver.mock.calls[0] ?? [];
    expect(old).toEqual(claim);
    expect(next?.claimedAt).toBe(clock.ms);
    // The look that decided was made once the claim was stale: no write of the holder could follow it.
    expect(looks.at(-1)).toBeGreaterThan(claim.claimedAt + claimStaleAfterMs());
  });

  it('answers the duplicate when the conclusive look finds the stale holder’s message after all', async () => {
    const { deps, store } = fakeDeps();
    const claim = { claimedAt: clock.ms - claimStaleAfterMs() - 1, token: 'dead' };
    const original = stored(4, { clientMessageId: 'cm-1' });
    store.claims.claim.mockResolvedValue({ status: 'taken', claim });
    store.messages.findByClientId.mockResolvedValueOnce(undefined).mockResolvedValueOnce(original);
    await expect(claimClientId(deps, ref)).resolves.toEqual({ status: 'duplicate', message: original });
    expect(store.claims.takeOver).not.toHaveBeenCalled();
  });

  it('keeps waiting when another sender took the stale claim over first', async () => {
    const { deps, store } = fakeDeps();
    const dead = { claimedAt: clock.ms - claimStaleAfterMs() - 1, token: 'dead' };
    const original = stored(4, { clientMessageId: 'cm-1' });
    store.claims.claim.mockResolvedValue({ status: 'taken', claim: dead });
    store.claims.takeOver.mockResolvedValue(false);
    store.claims.get.mockResolvedValue({ claimedAt: clock.ms, token: 'other' });
    store.messages.findByClientId
      .mockResolvedValueOnce(undefined)
      .mockResolvedValueOnce(undefined)
      .mockResolvedValueOnce(original);
    await expect(claimClientId(deps, ref)).resolves.toEqual({ status: 'duplicate', message: original });
    expect(store.claims.takeOver).toHaveBeenCalledTimes(1);
  });

  it('answers CONFLICT (retry) within a few seconds while a live holder keeps the id', async () => {
    const { deps, store } = fakeDeps();
    store.claims.claim.mockResolvedValue({ status: 'taken', claim: holder() });
    store.claims.get.mockImplementation(async () => holder()); // always freshly claimed
    const start = clock.ms;
    await expect(claimClientId(deps, ref)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(clock.ms - start).toBeLessThan(5000); // well inside the handler's 10 s
    expect(store.claims.takeOver).not.toHaveBeenCalled();
  });
});

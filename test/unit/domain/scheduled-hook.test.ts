/**
 * The scheduled dispatcher and the pre-send hook: a hook that could not answer (down, with fallback
 * `deny`) is a refusal that may pass, so the dispatch is tried again (the claim kept, as for any
 * error that may pass) and only given up after MAX_DISPATCH_ATTEMPTS; the hook's own refusal is
 * final: `scheduled.failed` with `reason` `FORBIDDEN` and the hook's sentence as `detail` (the
 * fallback's sentence never is: it is no refusal of the hook's).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dispatchScheduled, MAX_DISPATCH_ATTEMPTS } from '../../../lambdas/domain/scheduled-dispatch.ts';
import { record, scheduledDeps, scheduledWrites } from './scheduled-fakes.ts';

const KEYS = ['PRE_SEND_HOOK', 'PRE_SEND_HOOK_FALLBACK', 'WORD_FILTER_DENY'] as const;
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));

afterEach(() => {
  for (const key of KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

const ref = { userId: 'ann', scheduledId: 's_1', sendAt: record().sendAt };

function claimedOnAttempt(attempts: number) {
  const fake = scheduledDeps();
  fake.store.scheduled.claim.mockImplementation(async (_ref, dispatchId) =>
    record({ status: 'sending', dispatchId, attempts }),
  );
  return fake;
}

describe('dispatchScheduled with a pre-send hook', () => {
  it('tries again when the hook could not answer (fallback deny), and gives up only after the last attempt', async () => {
    process.env.PRE_SEND_HOOK = 'test/support/hooks/down-hook.ts';
    process.env.PRE_SEND_HOOK_FALLBACK = 'deny';
    const first = claimedOnAttempt(1);
    await expect(dispatchScheduled(first.deps, ref)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(scheduledWrites(first.store)).toEqual(['claim']); // kept: the next delivery takes over
    expect(first.store.sequence.allocate).not.toHaveBeenCalled();
    expect(first.fanOut.toUsers).not.toHaveBeenCalled();

    const last = claimedOnAttempt(MAX_DISPATCH_ATTEMPTS);
    await expect(dispatchScheduled(last.deps, ref)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const beyond = claimedOnAttempt(MAX_DISPATCH_ATTEMPTS + 1);
    expect(await dispatchScheduled(beyond.deps, ref)).toBe('failed');
    expect(beyond.store.scheduled.complete.mock.calls[0]?.[2]).toEqual({
      status: 'failed',
      reason: 'INTERNAL',
    });
  });

  it('fails for good with FORBIDDEN when the hook refuses the message', async () => {
    process.env.PRE_SEND_HOOK = 'hooks/word-filter.ts';
    process.env.WORD_FILTER_DENY = 'hi';
    const { deps, store, fanOut } = claimedOnAttempt(1);
    expect(await dispatchScheduled(deps, ref)).toBe('failed');
    // The hook's sentence goes to the author (stored, and in the event); no other error's text does.
    const detail = 'This message contains a word that is not allowed here.';
    expect(store.scheduled.complete.mock.calls[0]?.[2]).toEqual({
      status: 'failed',
      reason: 'FORBIDDEN',
      detail,
    });
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(fanOut.toUsers).toHaveBeenCalledWith(
      ['ann'],
      expect.objectContaining({
        type: 'scheduled.failed',
        scheduled: expect.objectContaining({ reason: 'FORBIDDEN', detail }),
      }),
    );
  });
});

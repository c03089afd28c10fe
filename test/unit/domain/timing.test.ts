/** The write path's time bounds: defaults, the environment's overrides, and what readers derive. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  claimStaleAfterMs,
  DEFAULT_WRITE_TIMING,
  headQuietMs,
  settleWindowMs,
  setWriteTiming,
  writeTiming,
} from '../../../lambdas/domain/timing.ts';
import { loadConfig } from '../../../lambdas/shared/config.ts';

afterEach(() => setWriteTiming(undefined));

describe('write timing', () => {
  it('fits a claim’s writes inside the 10 s handler timeout by default', () => {
    expect(DEFAULT_WRITE_TIMING.claimDeadlineMs).toBeLessThan(10_000);
    expect(DEFAULT_WRITE_TIMING.writeDeadlineMs).toBeLessThan(DEFAULT_WRITE_TIMING.claimDeadlineMs);
  });

  it('derives what readers wait for from the bounds', () => {
    const t = { allocTimeoutMs: 8, writeDeadlineMs: 5, skewMarginMs: 1, claimDeadlineMs: 9 };
    expect(settleWindowMs(t)).toBe(6); // write deadline + skew
    expect(headQuietMs(t)).toBe(14); // allocation timeout + write deadline + skew
    expect(claimStaleAfterMs(t)).toBe(10); // claim deadline + skew
  });

  it('reads overrides from the environment, ignoring values that are not positive integers', () => {
    expect(loadConfig({ WRITE_DEADLINE_MS: '20000', CLAIM_DEADLINE_MS: '30000' }).writeTiming).toEqual({
      writeDeadlineMs: 20_000,
      claimDeadlineMs: 30_000,
    });
    expect(
      loadConfig({ WRITE_DEADLINE_MS: '-1', ALLOC_TIMEOUT_MS: 'soon', CLOCK_SKEW_MS: '1.5' }).writeTiming,
    ).toEqual({});
  });

  it('lets a test replace some bounds and go back', () => {
    setWriteTiming({ writeDeadlineMs: 100 });
    expect(writeTiming()).toEqual({ ...DEFAULT_WRITE_TIMING, writeDeadlineMs: 100 });
    setWriteTiming(undefined);
    expect(writeTiming()).toEqual(DEFAULT_WRITE_TIMING);
  });
});

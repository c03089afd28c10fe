/** The one backoff: full jitter, capped, waiting on node:timers/promises. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backOff, backoffDelay } from '../../lambdas/shared/retry.ts';

// Vitest's fake timers do not reach node:timers/promises: route it through the (faked) global timer.
vi.mock('node:timers/promises', () => ({
  setTimeout: (ms: number) => new Promise<void>((resolve) => globalThis.setTimeout(resolve, ms)),
}));

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('backoffDelay', () => {
  const policy = { baseMs: 10, capMs: 100 };

  it('draws uniformly below base·2^attempt (full jitter)', () => {
    expect(backoffDelay(policy, 2, () => 0)).toBe(0);
    expect(backoffDelay(policy, 2, () => 0.5)).toBe(20);
    expect(backoffDelay(policy, 2, () => 0.999)).toBeLessThan(40);
  });

  it('never exceeds the cap', () => {
    expect(backoffDelay(policy, 10, () => 0.999)).toBeLessThan(100);
    expect(backoffDelay(policy, 10, () => 0.5)).toBe(50);
  });
});

describe('backOff', () => {
  it('waits exactly the drawn delay', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    let done = false;
    const waiting = backOff({ baseMs: 100, capMs: 10_000 }, 3).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(399);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });
});

/** Bounded concurrency (lambdas/shared/concurrency.ts): the limit, order, and what a failure does. */
import { describe, expect, it } from 'vitest';
import { eachLimited, mapSettled } from '../../lambdas/shared/concurrency.ts';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/** A task that records what started and how many ran at once, and fails for `failing`. */
function tracked(failing: readonly number[] = []) {
  const started: number[] = [];
  const done: number[] = [];
  let inFlight = 0;
  let most = 0;
  const task = async (n: number) => {
    started.push(n);
    most = Math.max(most, ++inFlight);
    await tick();
    inFlight--;
    if (failing.includes(n)) throw new Error(`task ${n} failed`);
    done.push(n);
  };
  return { task, started, done, most: () => most };
}

const numbers = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

describe('eachLimited', () => {
  it('runs every item, in order, never more than the limit at once', async () => {
    const t = tracked();
    await eachLimited(numbers(10), 3, t.task);
    expect(t.started).toEqual(numbers(10));
    expect(t.done.sort((a, b) => a - b)).toEqual(numbers(10));
    expect(t.most()).toBe(3);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const t = tracked([2]);
    await expect(eachLimited(numbers(10), 2, t.task)).rejects.toThrow('task 2 failed');
    await new Promise((resolve) => setTimeout(resolve, 30)); // 3 ends meanwhile
    // 1 and 2 ran together; 3 started when 1 ended, before 2 failed; nothing after.
    expect(t.started).toEqual([1, 2, 3]);
  });

  it('fails on a task that throws before it returns a promise, like one that rejects', async () => {
    const task = (n: number): Promise<void> => {
      if (n === 2) throw new Error('thrown at once');
      return tick();
    };
    await expect(eachLimited(numbers(3), 2, task)).rejects.toThrow('thrown at once');
    await expect(mapSettled(numbers(3), 2, task)).resolves.toBeUndefined();
  });

  it('does nothing for no items', async () => {
    const t = tracked();
    await eachLimited([], 4, t.task);
    expect(t.started).toEqual([]);
  });
});

describe('mapSettled', () => {
  it('runs every task even when some throw, within the limit', async () => {
    const t = tracked([2, 5]);
    await mapSettled(numbers(6), 2, t.task);
    expect(t.started).toEqual(numbers(6));
    expect(t.done.sort((a, b) => a - b)).toEqual([1, 3, 4, 6]);
    expect(t.most()).toBe(2);
  });
});

/** Bounded concurrency for the many small requests of a fan-out or a presence lookup. */
import { logger } from './logger.ts';

/**
 * Runs `task` over `items`, at most `limit` at once, in order of `items`; rejects with the first
 * failure (the tasks already started still run to their end, and no new one starts after it).
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      // Through a promise: a task that throws before its first await fails like one that rejects.
      await Promise.resolve(item)
        .then(task)
        .catch((error: unknown) => {
          failed = true;
          throw error;
        });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Runs `task` over `items` with at most `limit` in flight and resolves when all have settled: a
 * task that throws is logged and never stops the rest (`Promise.allSettled` semantics).
 */
export function mapSettled<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  return eachLimited(items, limit, (item) =>
    Promise.resolve(item)
      .then(task)
      .catch((error: unknown) => logger.error('concurrent task failed', { error })),
  );
}

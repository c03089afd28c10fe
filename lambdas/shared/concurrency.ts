/** Bounded concurrency for the many small requests of a fan-out or a presence lookup. */
import { logger } from './logger.ts';

/**
 * Runs `task` over `items` with at most `limit` in flight and resolves when all have settled: a
 * task that throws is logged and never stops the rest (`Promise.allSettled` semantics).
 */
export async function mapSettled<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        logger.error('concurrent task failed', { error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Stale connection cleanup, for the suites that check it route by route (test/fault/stale-cleanup-*):
 * a "ghost" socket that vanished without `$disconnect`, and the check that an action removed exactly
 * its record and counted the removal (`StaleConnectionsRemoved`). Call `useStaleCleanup(stack)` at
 * the top of a file: it collects the metrics around each test.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { connectUser, storedConnectionIds } from './chat.ts';
import { vanishSocket } from './ghost.ts';
import type { TestStack } from './stack.ts';

export interface StaleCleanup {
  /** Opens another socket for `userId` and drops it without a close frame: its record stays behind. */
  ghostOf(userId: string): Promise<string>;
  /** Runs `action`, then expects the ghost's record gone, every other record kept, and the removal counted. */
  expectCleaned(userId: string, ghost: string, action: () => Promise<unknown>): Promise<void>;
  /** Stale records removed (as counted by the metric) since the test began. */
  removed(): number;
}

export function useStaleCleanup(stack: TestStack): StaleCleanup {
  let metrics: MetricValues[] = [];
  let stop: () => void = () => {};
  beforeEach(() => {
    metrics = [];
    stop = onMetrics((m) => metrics.push(m));
  });
  afterEach(() => stop());
  const removed = () => metrics.reduce((n, m) => n + (m.StaleConnectionsRemoved ?? 0), 0);

  return {
    removed,
    async ghostOf(userId) {
      const ghost = await connectUser(stack, userId);
      await stack.gateway.idle();
      await vanishSocket(stack, ghost);
      expect(await storedConnectionIds(stack, userId)).toContain(ghost.connectionId);
      return ghost.connectionId;
    },
    async expectCleaned(userId, ghost, action) {
      const others = (await storedConnectionIds(stack, userId)).filter((id) => id !== ghost);
      const counted = removed();
      await action();
      await stack.gateway.idle();
      const after = await storedConnectionIds(stack, userId);
      expect(after).not.toContain(ghost);
      expect(after).toEqual(expect.arrayContaining(others));
      expect(removed()).toBeGreaterThan(counted);
    },
  };
}

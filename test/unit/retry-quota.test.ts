import { INITIAL_RETRY_TOKENS, NO_RETRY_INCREMENT, Retry } from '@smithy/core/retry';
import { describe, expect, it } from 'vitest';
import type { SocketDirectory } from '../../lambdas/fanout/directory.ts';
import { FanOut, LATE_DELAY_SECONDS, REQUEST_RESERVE_MS, type Target } from '../../lambdas/fanout/fanout.ts';
import { withInvocation } from '../../lambdas/shared/budget.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { RETRY_QUOTA, RetryQuota } from '../../lambdas/shared/retry.ts';
import { fakeApi, fakeDirectory, fakeQueue, serverError } from './fanout-fakes.ts';

describe('RetryQuota', () => {
  it('has the sizes of the SDK’s standard retry strategy', () => {
    expect(RETRY_QUOTA).toEqual({
      capacity: INITIAL_RETRY_TOKENS,
      transientCost: Retry.cost(),
      throttlingCost: Retry.throttlingCost(),
      successRefund: NO_RETRY_INCREMENT,
    });
  });

  it('charges 14 a retry, 5 after throttling, and refuses one it cannot pay', () => {
    const quota = new RetryQuota(33);
    expect(quota.take('transient')).toBe(14);
    expect(quota.take('transient')).toBe(14);
    expect(quota.take('transient')).toBeUndefined();
    expect(quota.available).toBe(5);
    expect(quota.take('throttling')).toBe(5);
    expect(quota.take('throttling')).toBeUndefined();
    expect(quota.available).toBe(0);
  });

  it('gives back what a success’s last retry spent, or 1, never above its capacity', () => {
    const quota = new RetryQuota(30);
    quota.take('transient');
    quota.succeeded(14);
    expect(quota.available).toBe(30);
    quota.take('transient');
    quota.succeeded(0);
    expect(quota.available).toBe(17);
    for (let i = 0; i < 20; i++) quota.succeeded(0);
    expect(quota.available).toBe(30);
    expect(new RetryQuota().capacity).toBe(RETRY_QUOTA.capacity);
  });

  it('takes back the price of a retry not made, never above its capacity', () => {
    const quota = new RetryQuota(30);
    quota.take('transient');
    quota.release(14);
    expect(quota.available).toBe(30);
    quota.release(14);
    expect(quota.available).toBe(30);
  });
});

/** A Management API that answers 500 to the connections in `down`, every time. */
const api = (down: readonly string[]) =>
  fakeApi(Object.fromEntries(down.map((id) => [id, Array.from({ length: 10 }, serverError)])));

const sockets = (n: number): Target[] =>
  Array.from({ length: n }, (_, i) => ({ userId: `u${i}`, connectionId: `c${i}` }));
/** Each target's user has that one socket; a group g1 lists them all. */
const directory = (targets: readonly Target[]): SocketDirectory =>
  fakeDirectory(Object.fromEntries(targets.map((t) => [t.userId, [t.connectionId]])), { g1: [...targets] })
    .dir;

describe("the fan-out's retries", () => {
  it('stop when the quota is spent: the other posts are tried once, and a success pays back', async () => {
    const targets = sockets(4);
    const { client, calls } = api(['c0', 'c1', 'c2']);
    const quota = new RetryQuota(28); // two retries
    const fanOut = new FanOut(() => client, directory(targets), {
      concurrency: 1,
      baseDelayMs: 1,
      retryQuota: quota,
    });
    const report = await fanOut.toUsers(['u0', 'u1', 'u2', 'u3'], { type: 'x' });
    expect(calls).toEqual(['c0', 'c0', 'c0', 'c1', 'c2', 'c3']);
    expect(report).toMatchObject({ delivered: 1, failed: 3, retried: 2, queued: 0 });
    expect(quota.available).toBe(1); // c3's success
    // Without a quota of its own, a FanOut has the SDK's: every post gets its 3 attempts.
    const again = api(['c0', 'c1', 'c2']);
    await new FanOut(() => again.client, directory(targets), { concurrency: 1, baseDelayMs: 1 }).toUsers(
      ['u0', 'u1', 'u2', 'u3'],
      { type: 'x' },
    );
    expect(again.calls).toHaveLength(10);
  });

  it('in a request with a queue, hand the posts the quota refuses to the queue', async () => {
    const targets = sockets(3);
    const { client, calls } = api(['c0', 'c1']);
    const { queue, sends } = fakeQueue();
    const fanOut = new FanOut(() => client, directory(targets), {
      queue,
      concurrency: 1,
      baseDelayMs: 1,
      retryQuota: new RetryQuota(0),
    });
    const invocation = { getRemainingTimeInMillis: () => REQUEST_RESERVE_MS + 60_000 };
    const metrics: MetricValues[] = [];
    const stop = onMetrics((m) => metrics.push(m));
    const report = await withInvocation(invocation, () =>
      fanOut.toUsers(['u0', 'u1', 'u2'], { type: 'x' }, { chat: { chatId: 'g1', kind: 'group' } }),
    ).finally(stop);
    expect(calls).toEqual(['c0', 'c1', 'c2']);
    expect(report).toMatchObject({ delivered: 1, failed: 0, retried: 0, queued: 2 });
    // A second later, as their retry would have waited; not counted as failed posts.
    expect(sends.map((q) => [q.jobs.flatMap((j) => j.targets.map(([, c]) => c)), q.delaySeconds])).toEqual([
      [['c0', 'c1'], LATE_DELAY_SECONDS],
    ]);
    expect(metrics).toEqual([{ FanOutPosts: 1 }]);
  });
});

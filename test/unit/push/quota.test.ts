/**
 * The providers' retry quota (lambdas/push/quota.ts): while a provider keeps failing, a container's
 * calls to it stop multiplying. First attempts are always made, retries only while the quota lasts;
 * a notification whose retry it refuses is deferred (queued as a job of deferred notifications, 30 s
 * later at least), or given up and counted when there is no queue.
 */
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../../../lambdas/data/store.ts';
import { Counters } from '../../../lambdas/pipeline/metrics.ts';
import {
  type DeliveryDeps,
  deliverAll,
  type PlannedPush,
  QUOTA_DEFER_MS,
} from '../../../lambdas/push/deliver.ts';
import { type PushJob, type PushJobQueue, planPushJobs } from '../../../lambdas/push/jobs.ts';
import type { SendOutcome } from '../../../lambdas/push/provider.ts';
import { RetryQuota } from '../../../lambdas/push/quota.ts';
import { processPushJobs } from '../../../lambdas/push/worker.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { fakeDeps, groupChat, NOW } from '../domain/fakes.ts';
import { CONTENT, deviceRecord, LUNCH_MESSAGE, PUSH_MESSAGE } from './fixtures.ts';

const down: SendOutcome = { kind: 'retry', status: 503, reason: 'UNAVAILABLE' };
const timeout = () =>
  Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });

/** A provider that answers `answer()` (or throws it), counting its calls, with the quota given (null: none). */
function setup(answer: () => SendOutcome | Error, quota: RetryQuota | null = new RetryQuota()) {
  const counters = new Counters('test');
  const calls = { count: 0 };
  const send = async () => {
    calls.count++;
    const outcome = answer();
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  const deps: DeliveryDeps = {
    providers: new Map([['fcm', { platform: 'fcm', send, close: () => undefined }]]),
    quotas: quota ? new Map<Platform, RetryQuota>([['fcm', quota]]) : undefined,
    removeDevice: async () => undefined,
    counters,
    sleep: async () => undefined,
  };
  return { deps, counters, calls, quota };
}

const notifications = (count: number): PlannedPush[] =>
  Array.from({ length: count }, (_, i) => ({ device: deviceRecord(`u${i}`, 'fcm'), content: CONTENT }));

beforeEach(() => {
  vi.restoreAllMocks();
  vi.spyOn(logger, 'warn').mockImplementation(() => {});
  vi.spyOn(logger, 'error').mockImplementation(() => {});
});

describe('RetryQuota', () => {
  it('has the SDK standard numbers: 500 tokens, 5 a retry, 10 after a timeout, 1 back a success', () => {
    const quota = new RetryQuota();
    expect(quota.available).toBe(500);
    expect(quota.acquire(false)).toBe(5);
    expect(quota.acquire(true)).toBe(10);
    quota.recordSuccess(10); // the retry that took 10 succeeded: all of it back
    quota.recordSuccess(undefined); // a first attempt succeeded
    expect(quota.available).toBe(496);
    quota.recordSuccess(100);
    expect(quota.available).toBe(500); // never above its capacity
    const small = new RetryQuota(9);
    expect(small.acquire(true)).toBeUndefined();
    expect(small.acquire(false)).toBe(5);
    expect(small.acquire(false)).toBeUndefined();
  });
});

describe('deliverAll while a provider is down', () => {
  it('makes every first attempt, and only 100 retries of 1,000 notifications: the rest deferred', async () => {
    const t = setup(() => down);
    const left = await deliverAll(notifications(1000), t.deps, undefined, true);
    expect(t.calls.count).toBe(1000 + 100);
    expect(t.counters.get('PushRetried')).toBe(100);
    expect(t.quota?.available).toBe(0);
    // Each notification is either deferred (none lost) or was given up after its 4 attempts.
    const givenUp = t.counters.get('PushGivenUp');
    expect(left.length + givenUp).toBe(1000);
    expect(givenUp).toBeLessThanOrEqual(Math.floor(100 / 3));
    expect(t.counters.get('PushRetryQuotaRefused')).toBe(left.length);
    expect(t.counters.get('PushDeferred')).toBe(left.length);
    expect(left.every((d) => d.tried >= 1 && d.tried < 4 && d.afterMs >= QUOTA_DEFER_MS)).toBe(true);

    // Without a quota the same batch makes four calls a notification.
    const unbounded = setup(() => down, null);
    expect(await deliverAll(notifications(1000), unbounded.deps, undefined, true)).toEqual([]);
    expect(unbounded.calls.count).toBe(4000);
  });

  it('spends twice as much on a retry after a timeout', async () => {
    const t = setup(timeout);
    const left = await deliverAll(notifications(1000), t.deps, undefined, true);
    expect(t.calls.count).toBe(1000 + 50);
    expect(left.length + t.counters.get('PushGivenUp')).toBe(1000);
  });

  it('without a queue, gives up the notifications it may not retry, counted and logged', async () => {
    const t = setup(() => down, new RetryQuota(50));
    expect(await deliverAll(notifications(100), t.deps)).toEqual([]);
    expect(t.calls.count).toBe(100 + 10);
    expect(t.counters.get('PushGivenUp')).toBe(100);
    expect(t.counters.get('PushRetryQuotaRefused')).toBeGreaterThanOrEqual(100 - 3);
    expect(t.counters.get('PushDeferred')).toBe(0);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('retry quota is spent'),
      expect.objectContaining({ userId: expect.any(String) }),
    );
  });

  it('retries again once successes have filled the quota', async () => {
    let up = false;
    const t = setup(() => (up ? { kind: 'sent', status: 200 } : down), new RetryQuota(5));
    await deliverAll(notifications(2), t.deps, undefined, true);
    expect(t.quota?.available).toBe(0);
    up = true;
    await deliverAll(notifications(5), t.deps, undefined, true); // 5 first attempts sent: 5 back
    expect(t.quota?.available).toBe(5);
    up = false;
    const calls = t.calls.count;
    await deliverAll(notifications(1), t.deps, undefined, true);
    expect(t.calls.count - calls).toBe(2);
    expect(t.counters.get('PushRetried')).toBe(2);
  });
});

describe('the push worker while a provider is down', () => {
  const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);

  it('queues what its quota did not retry as deferred notifications, 30 s later', async () => {
    const t = fakeDeps();
    t.store.chats.getWithMembers.mockResolvedValue(groupChat('alice', ['alice', ...USERS], { lastSeq: 5 }));
    t.store.messages.get.mockResolvedValue(LUNCH_MESSAGE);
    t.store.devices.pushTargets.mockImplementation(async (userId: string) => ({
      online: false,
      devices: [deviceRecord(userId, 'fcm')],
    }));
    const provider = setup(() => down, new RetryQuota(25));
    const queued: PushJob[] = [];
    const delays: (number | undefined)[] = [];
    const queue: PushJobQueue = {
      send: async (jobs, options) => {
        queued.push(...jobs);
        delays.push(options?.delaySeconds);
      },
    };
    const [job] = planPushJobs(
      PUSH_MESSAGE,
      USERS.map((userId) => ({ userId, chatUnread: 1 })),
      200,
    );
    const event = { Records: [{ messageId: 'q0', body: JSON.stringify(job), attributes: {} }] };
    const response = await processPushJobs(event as unknown as SQSEvent, {
      plan: { store: t.deps.store, now: () => new Date(NOW) },
      delivery: provider.deps,
      counters: provider.counters,
      queue,
    });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(provider.calls.count).toBe(USERS.length + 5);
    const sends = queued.flatMap((j) => j.sends ?? []);
    expect(queued.every((j) => j.v === 2)).toBe(true);
    expect(sends.length + provider.counters.get('PushGivenUp')).toBe(USERS.length);
    expect(sends.length).toBe(provider.counters.get('PushRetryQuotaRefused'));
    expect(delays).toEqual([QUOTA_DEFER_MS / 1000]);
  });
});

/**
 * The providers' retry quota (lambdas/shared/retry.ts `RetryQuota`, one per provider, deliver.ts):
 * while a provider keeps failing, a container's calls to it stop multiplying. A retry costs what the
 * SDK's standard strategy charges (14 after a 5xx, a network failure or a timeout, 5 after a 429).
 * First attempts are always made, retries only while the quota lasts; a notification whose retry it
 * refuses is deferred (queued as a job of deferred notifications, 30 s later at least), or given up
 * and counted when there is no queue.
 */
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../../../lambdas/data/store.ts';
import { Counters } from '../../../lambdas/pipeline/metrics.ts';
import {
  type DeliveryDeps,
  deliver,
  deliverAll,
  type PlannedPush,
  QUOTA_DEFER_MS,
} from '../../../lambdas/push/deliver.ts';
import { type PushJob, type PushJobQueue, planPushJobs } from '../../../lambdas/push/jobs.ts';
import type { SendOutcome } from '../../../lambdas/push/provider.ts';
import { ProviderQuota } from '../../../lambdas/push/provider-quota.ts';
import { processPushJobs } from '../../../lambdas/push/worker.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { RETRY_QUOTA } from '../../../lambdas/shared/retry.ts';
import { fakeDeps, groupChat, NOW } from '../domain/fakes.ts';
import { CONTENT, deviceRecord, LUNCH_MESSAGE, PUSH_MESSAGE, storeTargets } from './fixtures.ts';

const down: SendOutcome = { kind: 'retry', status: 503, reason: 'UNAVAILABLE' };
const throttled: SendOutcome = { kind: 'retry', status: 429, reason: 'QUOTA_EXCEEDED' };
const timeout = () =>
  Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });

/** A provider that answers `answer()` (or throws it), counting its calls, with the quota given (null: none). */
function setup(answer: () => SendOutcome | Error, quota: ProviderQuota | null = new ProviderQuota()) {
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
    quotas: quota ? new Map<Platform, ProviderQuota>([['fcm', quota]]) : undefined,
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

describe('deliverAll while a provider is down', () => {
  it('makes every first attempt, and only 35 retries of 1,000 notifications: the rest deferred', async () => {
    const t = setup(() => down);
    const { deferred: left } = await deliverAll(notifications(1000), t.deps, undefined, true);
    // 500 tokens at 14 a retry (the SDK's standard strategy, as light-sqs.ts and the fan-out pay).
    expect(RETRY_QUOTA.transientCost).toBe(14);
    expect(t.calls.count).toBe(1000 + 35);
    expect(t.counters.get('PushRetried')).toBe(35);
    expect(t.quota?.available).toBe(500 - 35 * 14);
    // Each notification is either deferred (none lost) or was given up after its 4 attempts.
    const givenUp = t.counters.get('PushGivenUp');
    expect(left.length + givenUp).toBe(1000);
    expect(givenUp).toBeLessThanOrEqual(Math.floor(35 / 3));
    expect(t.counters.get('PushRetryQuotaRefused')).toBe(left.length);
    expect(t.counters.get('PushDeferred')).toBe(left.length);
    expect(left.every((d) => d.tried >= 1 && d.tried < 4 && d.afterMs >= QUOTA_DEFER_MS)).toBe(true);

    // Without a quota the same batch makes four calls a notification.
    const unbounded = setup(() => down, null);
    expect((await deliverAll(notifications(1000), unbounded.deps, undefined, true)).deferred).toEqual([]);
    expect(unbounded.calls.count).toBe(4000);
  });

  it('prices a retry after a timeout or a network failure as one after a 5xx: 14', async () => {
    for (const answer of [timeout, () => new Error('fetch failed')]) {
      const t = setup(answer);
      const { deferred: left } = await deliverAll(notifications(1000), t.deps, undefined, true);
      expect(t.calls.count).toBe(1000 + 35);
      expect(left.length + t.counters.get('PushGivenUp')).toBe(1000);
    }
  });

  it('prices a retry after throttling (429) lower: 5', async () => {
    const t = setup(() => throttled);
    const { deferred: left } = await deliverAll(notifications(1000), t.deps, undefined, true);
    expect(RETRY_QUOTA.throttlingCost).toBe(5);
    expect(t.calls.count).toBe(1000 + 100);
    expect(t.quota?.available).toBe(0);
    expect(left.length + t.counters.get('PushGivenUp')).toBe(1000);
  });

  it('without a queue, gives up the notifications it may not retry, counted and logged', async () => {
    const t = setup(() => down, new ProviderQuota(Date.now, undefined, 50));
    expect((await deliverAll(notifications(100), t.deps)).deferred).toEqual([]);
    expect(t.calls.count).toBe(100 + 3);
    expect(t.counters.get('PushGivenUp')).toBe(100);
    expect(t.counters.get('PushRetryQuotaRefused')).toBeGreaterThanOrEqual(100 - 3);
    expect(t.counters.get('PushDeferred')).toBe(0);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('retry quota is spent'),
      expect.objectContaining({ userId: expect.any(String) }),
    );
  });

  it('gives back the price of a retry not made: the device moved during its wait', async () => {
    const t = setup(() => down, new ProviderQuota(Date.now, undefined, 14));
    const deps: DeliveryDeps = { ...t.deps, stillRegistered: async () => false };
    expect(await deliver(deviceRecord('u0', 'fcm'), CONTENT, deps)).toBe('moved');
    expect(t.calls.count).toBe(1);
    expect(t.counters.get('PushRetrySkipped')).toBe(1);
    expect(t.quota?.available).toBe(14);
    // So the next notification's retry is still paid for.
    expect((await deliverAll(notifications(1), t.deps, undefined, true)).deferred).toHaveLength(1);
    expect(t.calls.count).toBe(1 + 2);
    expect(t.counters.get('PushRetryQuotaRefused')).toBe(1);
  });

  it("pays a deferred notification's next attempt as a retry: refused, deferred again, no call", async () => {
    const t = setup(() => down, new ProviderQuota(Date.now, undefined, 13));
    const [push] = notifications(1) as [PlannedPush];
    const { deferred: left } = await deliverAll([{ ...push, tried: 2 }], t.deps, undefined, true);
    expect(t.calls.count).toBe(0);
    expect(left).toEqual([{ ...push, tried: 2, afterMs: QUOTA_DEFER_MS, refused: true }]);
    expect(t.counters.get('PushRetryQuotaRefused')).toBe(1);
    // Without a queue to defer it to: given up, counted and logged.
    expect((await deliverAll([{ ...push, tried: 2 }], t.deps)).deferred).toEqual([]);
    expect(t.counters.get('PushGivenUp')).toBe(1);
    // Paid (14): made, and its success gives the 14 back.
    const paid = setup(() => ({ kind: 'sent', status: 200 }), new ProviderQuota(Date.now, undefined, 14));
    expect((await deliverAll([{ ...push, tried: 2 }], paid.deps, undefined, true)).deferred).toEqual([]);
    expect(paid.calls.count).toBe(1);
    expect(paid.quota?.available).toBe(14);
  });

  it('retries again once successes have filled the quota', async () => {
    let up = false;
    const t = setup(
      () => (up ? { kind: 'sent', status: 200 } : down),
      new ProviderQuota(Date.now, undefined, 14),
    );
    await deliverAll(notifications(2), t.deps, undefined, true);
    expect(t.quota?.available).toBe(0);
    up = true;
    await deliverAll(notifications(14), t.deps, undefined, true); // 14 first attempts sent: 14 back
    expect(t.quota?.available).toBe(14);
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
    storeTargets(t.store, (userId) => ({
      online: false,
      connectionIds: [],
      devices: [deviceRecord(userId, 'fcm')],
    }));
    const provider = setup(() => down, new ProviderQuota(Date.now, undefined, 25));
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
    expect(provider.calls.count).toBe(USERS.length + 1); // 25 tokens: one retry at 14
    const sends = queued.flatMap((j) => j.sends ?? []);
    expect(queued.every((j) => j.v === 2)).toBe(true);
    expect(sends.length + provider.counters.get('PushGivenUp')).toBe(USERS.length);
    expect(sends.length).toBe(provider.counters.get('PushRetryQuotaRefused'));
    expect(delays).toEqual([QUOTA_DEFER_MS / 1000]);
  });
});

/**
 * The retry quota across deferred jobs (lambdas/push/deliver.ts, jobs.ts, worker.ts): a deferred
 * notification's next attempt is a retry, paid from the quota like any other; one the quota refuses
 * is not made but deferred again with the attempts it had, each time waiting as long as it has
 * waited already, until its job expires (15 minutes: its notifications counted as given up). So
 * while a provider stays down, the deferred jobs do not add up to four calls a notification.
 *
 * The push worker runs job after job on a simulated clock: 1,000 recipients in jobs of 200, and
 * each deferred job fed back when its delay is over, until none is left.
 */
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../../../lambdas/data/store.ts';
import { Counters } from '../../../lambdas/pipeline/metrics.ts';
import type { DeliveryDeps } from '../../../lambdas/push/deliver.ts';
import {
  PUSH_JOB_MAX_AGE_MS,
  type PushJob,
  type PushJobQueue,
  planPushJobs,
} from '../../../lambdas/push/jobs.ts';
import type { SendOutcome } from '../../../lambdas/push/provider.ts';
import { ProviderQuota } from '../../../lambdas/push/provider-quota.ts';
import { processPushJobs } from '../../../lambdas/push/worker.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { fakeDeps, groupChat, NOW } from '../domain/fakes.ts';
import { deviceRecord, LUNCH_MESSAGE, PUSH_MESSAGE, storeTargets } from './fixtures.ts';

const USERS = Array.from({ length: 1000 }, (_, i) => `u${i}`);
const down: SendOutcome = { kind: 'retry', status: 503, reason: 'UNAVAILABLE' };
const T0 = Date.parse(NOW);

interface Queued {
  readonly job: PushJob;
  readonly due: number;
  readonly sentAt: number;
}

/**
 * Runs USERS' jobs, then every job they queue, in the order they fall due, until none is left
 * (at most `maxJobs`: a requeue that never ends fails the test). `quotaFor()`: each job's quota (the
 * same one: one warm container; a new one: a container of its own). `answer(now)`: the provider.
 */
async function runUntilDrained(
  quotaFor: (now: () => number) => ProviderQuota,
  answer: (now: number) => SendOutcome,
  maxJobs = 500,
) {
  const t = fakeDeps();
  t.store.chats.getWithMembers.mockResolvedValue(groupChat('alice', ['alice', ...USERS], { lastSeq: 5 }));
  t.store.messages.get.mockResolvedValue(LUNCH_MESSAGE);
  storeTargets(t.store, (userId) => ({
    online: false,
    connectionIds: [],
    devices: [deviceRecord(userId, 'fcm')],
  }));
  const counters = new Counters('test');
  let clock = T0;
  const callsPer = new Map<string, number>();
  let sent = 0;
  const send = async (token: string) => {
    callsPer.set(token, (callsPer.get(token) ?? 0) + 1);
    const outcome = answer(clock);
    if (outcome.kind === 'sent') sent++;
    return outcome;
  };
  const pending: Queued[] = planPushJobs(
    PUSH_MESSAGE,
    USERS.map((userId) => ({ userId, chatUnread: 1 })),
    200,
  ).map((job) => ({ job: { ...job, since: T0 }, due: T0, sentAt: T0 }));
  const queue: PushJobQueue = {
    send: async (jobs, options) => {
      for (const job of jobs)
        pending.push({ job, due: clock + (options?.delaySeconds ?? 0) * 1000, sentAt: clock });
    },
  };
  let jobs = 0;
  while (pending.length > 0) {
    if (++jobs > maxJobs) throw new Error(`still requeueing after ${maxJobs} jobs`);
    pending.sort((a, b) => a.due - b.due);
    const next = pending.shift() as Queued;
    clock = Math.max(clock, next.due);
    const delivery: DeliveryDeps = {
      providers: new Map([['fcm', { platform: 'fcm', send, close: () => undefined }]]),
      quotas: new Map<Platform, ProviderQuota>([['fcm', quotaFor(() => clock)]]),
      removeDevice: async () => undefined,
      counters,
      sleep: async () => undefined,
    };
    const record = {
      messageId: `q${jobs}`,
      body: JSON.stringify(next.job),
      attributes: { SentTimestamp: `${next.sentAt}` },
    };
    const response = await processPushJobs({ Records: [record] } as unknown as SQSEvent, {
      plan: { store: t.deps.store, now: () => new Date(clock) },
      delivery,
      counters,
      queue,
    });
    expect(response).toEqual({ batchItemFailures: [] });
  }
  const calls = [...callsPer.values()].reduce((a, b) => a + b, 0);
  return { counters, calls, callsPer, sent, jobs, lastAt: clock };
}

/** One quota for every job: one warm container (made at the first job's time). */
const warmContainer = () => {
  let quota: ProviderQuota | undefined;
  return (now: () => number) => {
    quota ??= new ProviderQuota(now);
    return quota;
  };
};

beforeEach(() => {
  vi.restoreAllMocks();
  vi.spyOn(logger, 'warn').mockImplementation(() => {});
  vi.spyOn(logger, 'error').mockImplementation(() => {});
});

describe('deferred notifications while a provider stays down', () => {
  it('in one container: the first attempts and 35 retries, then nothing until the jobs expire', async () => {
    const run = await runUntilDrained(warmContainer(), () => down);
    // The first attempts, 35 retries, and a probe every 10 s at most (one a job here): was 4,000,
    // each deferred job's first attempt free.
    expect(run.calls).toBeGreaterThan(1000 + 35);
    expect(run.calls).toBeLessThanOrEqual(1000 + 35 + run.jobs);
    expect(Math.max(...run.callsPer.values())).toBeLessThanOrEqual(4);
    // None lost: each one given up, after its 4 attempts or when its job expired (counted, logged).
    expect(run.sent).toBe(0);
    expect(run.counters.get('PushGivenUp')).toBe(1000);
    expect(run.counters.get('PushJobsExpired')).toBeGreaterThan(0);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('its notifications given up'),
      expect.objectContaining({ givenUp: expect.any(Number) }),
    );
    // Refused again and again, without a call, each job waiting as long as it had waited: ended
    // within the age bound and its last delay, after a few rounds rather than one every 30 s.
    expect(run.counters.get('PushRetryQuotaRefused')).toBeGreaterThan(1000);
    // 5 jobs, deferred again at 30 s, 1, 2, 4 and 8 min; expired when they come back at 16 min.
    expect(run.lastAt - T0).toBeLessThanOrEqual(PUSH_JOB_MAX_AGE_MS + 2 * 60_000);
    expect(run.jobs).toBeLessThanOrEqual(5 * 7);
  });

  it('in a container per job: each job retries 35 at most, and they stop when the jobs expire', async () => {
    const run = await runUntilDrained(
      (now) => new ProviderQuota(now),
      () => down,
    );
    // The first attempts, and 35 retries (500 tokens at 14) a job at most: about 2,000, not 4,000.
    expect(run.calls).toBeLessThanOrEqual(1000 + 35 * run.jobs);
    expect(run.calls).toBeLessThan(2100);
    expect(run.counters.get('PushJobsExpired')).toBeGreaterThan(0);
    expect(Math.max(...run.callsPer.values())).toBeLessThanOrEqual(4);
    expect(run.sent).toBe(0);
    expect(run.counters.get('PushGivenUp')).toBe(1000);
  });

  it('sends them all once the provider is back, a container per job', async () => {
    const upAt = T0 + 60_000;
    const run = await runUntilDrained(
      (now) => new ProviderQuota(now),
      (now) => (now >= upAt ? { kind: 'sent', status: 200 } : down),
    );
    expect(run.sent + run.counters.get('PushGivenUp')).toBe(1000);
    expect(run.counters.get('PushJobsExpired')).toBe(0);
    expect(run.sent).toBeGreaterThan(900);
  });

  it('sends them all once the provider is back, in one warm container whose quota was spent', async () => {
    // Only deferred jobs come back to it, each attempt a retry: without the probe its spent quota
    // refused every one until the jobs expired, the provider up all along.
    const upAt = T0 + 60_000;
    const run = await runUntilDrained(warmContainer(), (now) =>
      now >= upAt ? { kind: 'sent', status: 200 } : down,
    );
    expect(run.sent + run.counters.get('PushGivenUp')).toBe(1000);
    expect(run.counters.get('PushJobsExpired')).toBe(0);
    expect(run.sent).toBeGreaterThan(900);
  });
});

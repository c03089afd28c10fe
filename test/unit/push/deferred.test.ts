/**
 * Notifications deferred for want of time (lambdas/push/budget.ts), over mocked repositories: the
 * push function and the push worker send what fits in their invocation and queue exactly the rest
 * as a job of deferred notifications (each device's id, its badge, the attempts made), delayed by
 * what the provider asked; the worker sends such a job to the devices as stored now (none to a
 * recipient now online or a device gone) and as the message now reads (nothing for a deleted one),
 * keeps the first queueing's age, hands a job back to SQS when no time is left for it or its
 * follow-up cannot be queued.
 */
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MESSAGE } from '../../../lambdas/data/items.ts';
import type { DeviceRecord } from '../../../lambdas/data/store.ts';
import { Counters } from '../../../lambdas/pipeline/metrics.ts';
import { ATTEMPT_MS, READS_MS, type SendBudget } from '../../../lambdas/push/budget.ts';
import type { DeferredPush, DeliveryDeps } from '../../../lambdas/push/deliver.ts';
import { pushNewMessage } from '../../../lambdas/push/handler.ts';
import {
  decodePushJob,
  deferredJobs,
  type PushJob,
  type PushJobQueue,
  planPushJobs,
} from '../../../lambdas/push/jobs.ts';
import type { PushContent } from '../../../lambdas/push/payload.ts';
import type { SendOutcome } from '../../../lambdas/push/provider.ts';
import { processPushJobs } from '../../../lambdas/push/worker.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { fakeDeps, groupChat, NOW } from '../domain/fakes.ts';
import { deviceRecord, LUNCH_MESSAGE, PUSH_MESSAGE, storeTargets } from './fixtures.ts';

const stored = LUNCH_MESSAGE;
const pushMessage = PUSH_MESSAGE;
const OTHERS = ['bob', 'carol', 'dave', 'erin', 'fred'];
const deviceOf = (userId: string): DeviceRecord => deviceRecord(userId, userId === 'carol' ? 'fcm' : 'apns');
/**
 * Each provider answer takes this long on the test's clock: a budget of two sends or more also
 * leaves the reads their time (`READS_MS` and an attempt), one of one send does not.
 */
const SEND_MS = 10_000;

let t: ReturnType<typeof fakeDeps>;
let clock: number;
let sent: { token: string; content: PushContent }[];
let queued: PushJob[];
let delays: (number | undefined)[];
let queue: PushJobQueue;
let counters: Counters;
let delivery: DeliveryDeps;
/** What the providers answer (after `SEND_MS`). */
let answer: () => SendOutcome;

/** A budget that fits `attempts` sends one after another (the clock moves with each answer). */
const budgetFor = (attempts: number): SendBudget => ({
  until: clock + (attempts - 1) * SEND_MS + ATTEMPT_MS,
  now: () => clock,
});

beforeEach(() => {
  vi.spyOn(logger, 'warn').mockImplementation(() => {});
  t = fakeDeps();
  clock = Date.parse(NOW);
  sent = [];
  queued = [];
  delays = [];
  counters = new Counters('test');
  queue = {
    send: vi.fn(async (jobs: readonly PushJob[], options?: { delaySeconds?: number }) => {
      queued.push(...jobs);
      delays.push(options?.delaySeconds);
    }),
  };
  answer = () => ({ kind: 'sent', status: 200 });
  const send = async (token: string, content: PushContent) => {
    clock += SEND_MS;
    const outcome = answer();
    if (outcome.kind === 'sent') sent.push({ token, content });
    return outcome;
  };
  delivery = {
    providers: new Map([
      ['apns', { platform: 'apns', send, close: () => undefined }],
      ['fcm', { platform: 'fcm', send, close: () => undefined }],
    ]),
    removeDevice: async () => undefined,
    counters,
  };
  const group = groupChat('alice', ['alice', ...OTHERS], { lastSeq: 5 });
  t.store.chats.getWithMembers.mockResolvedValue(group);
  t.store.messages.get.mockResolvedValue(stored);
  storeTargets(t.store, (userId) => ({
    online: false,
    connectionIds: [],
    devices: [deviceOf(userId)],
  }));
});

const plan = () => ({ store: t.deps.store, now: () => new Date(clock) });
const recipientsJob = () =>
  planPushJobs(
    pushMessage,
    OTHERS.map((userId) => ({ userId, chatUnread: 2 })),
    200,
  )[0] as PushJob;
const usersOf = (pushes: { token: string }[]) => pushes.map((p) => p.token.replace(/-token$/, '')).sort();
const queuedUsers = () => queued.flatMap((j) => (j.sends ?? []).map((s) => s[0])).sort();
const deferredOf = (userId: string, extra: Partial<DeferredPush> = {}): DeferredPush => ({
  device: deviceOf(userId),
  content: { badge: 1 } as PushContent,
  tried: 0,
  afterMs: 0,
  ...extra,
});

describe('the push function within its budget', () => {
  const push = (budget: SendBudget | undefined, withQueue = true) =>
    pushNewMessage(
      {
        plan: plan(),
        delivery,
        counters,
        queue: withQueue ? queue : undefined,
        jobSize: 200,
        budget,
      },
      MESSAGE.toItem(stored),
      Date.parse(NOW),
    );

  it('sends what fits and queues exactly the rest, each device with its badge', async () => {
    await push(budgetFor(2));
    expect(sent).toHaveLength(2);
    expect(queued).toHaveLength(1);
    const [job] = queued as [PushJob];
    expect(decodePushJob(JSON.stringify(job))).toEqual(job);
    expect(job).toMatchObject({ v: 2, message: pushMessage, recipients: [], since: Date.parse(NOW) });
    expect([...usersOf(sent), ...queuedUsers()].sort()).toEqual(OTHERS);
    // Device ids, never tokens; the badge planned (each member: 5 unread in the chat); no attempt yet.
    expect(job.sends?.map((s) => [s[1], s[2], s[3]])).toEqual(queuedUsers().map((u) => [`d_${u}`, 5, 0]));
    expect(JSON.stringify(job)).not.toContain('-token');
    expect(delays).toEqual([undefined]);
    expect(counters.get('PushDeferred')).toBe(3);
    expect(counters.get('PushJobsQueued')).toBe(1);
  });

  it('queues the recipients for the worker when no time is left for their lookups', async () => {
    await push(budgetFor(1));
    expect(sent).toEqual([]);
    expect(t.store.devices.pushTargets).not.toHaveBeenCalled();
    expect(queued.map((j) => [j.v, j.recipients.length, j.since])).toEqual([
      [1, OTHERS.length, Date.parse(NOW)],
    ]);
  });

  it('without a queue, sends everything itself, however long it takes', async () => {
    await push(budgetFor(1), false);
    expect(usersOf(sent)).toEqual(OTHERS);
    expect(counters.get('PushDeferred')).toBe(0);
  });
});

describe('the push worker within its budget', () => {
  const event = (job: PushJob, sentAt = clock): SQSEvent =>
    ({
      Records: [
        { messageId: 'q0', body: JSON.stringify(job), attributes: { SentTimestamp: String(sentAt) } },
      ],
    }) as unknown as SQSEvent;
  const run = (e: SQSEvent, budget?: SendBudget, withQueue = true) =>
    processPushJobs(e, {
      plan: plan(),
      delivery,
      counters,
      queue: withQueue ? queue : undefined,
      budget,
    });

  it('queues what it had no time for, counting the age from the first queueing', async () => {
    const firstQueued = clock - 60_000;
    expect(await run(event(recipientsJob(), firstQueued), budgetFor(3))).toEqual({ batchItemFailures: [] });
    expect(sent).toHaveLength(3);
    expect([...usersOf(sent), ...queuedUsers()].sort()).toEqual(OTHERS);
    expect(queued[0]?.since).toBe(firstQueued);

    // The deferred job, later: only its devices, as stored now and as the message now reads, with
    // the planned badges.
    t.store.messages.get.mockResolvedValue({ ...stored, text: 'Lunch at one?', editedAt: NOW });
    t.store.devices.pushTargets.mockClear();
    const later = sent.length;
    expect(await run(event(queued[0] as PushJob))).toEqual({ batchItemFailures: [] });
    expect(usersOf(sent.slice(later))).toEqual(queuedUsers());
    expect(sent.slice(later).map((s) => [s.content.body, s.content.badge, s.content.title])).toEqual([
      ['Lunch at one?', 2, 'Team'],
      ['Lunch at one?', 2, 'Team'],
    ]);
    expect(t.store.devices.pushTargets.mock.calls.map(([u]) => u).sort()).toEqual(queuedUsers());
  });

  it('sends a deferred notification to no one now online, and to no device gone since', async () => {
    const [job] = deferredJobs(
      pushMessage,
      ['bob', 'carol', 'dave'].map((u) => deferredOf(u)),
      clock,
    );
    storeTargets(t.store, (userId) => ({
      online: userId === 'bob',
      // Dave's token went to someone else since: his device is gone, another one is stored.
      devices:
        userId === 'dave'
          ? [{ ...deviceOf('dave'), deviceId: 'd_new', token: 'new-token' }]
          : [deviceOf(userId)],
    }));
    expect(await run(event(job as PushJob))).toEqual({ batchItemFailures: [] });
    expect(sent.map((s) => s.token)).toEqual(['carol-token']);
    expect(counters.get('PushDeferredSkipped')).toBe(2);
  });

  it('waits what the provider asked before the deferred job, and goes on counting attempts', async () => {
    // Attempt 3 of 4 is refused with Retry-After 9 s, and no time is left for the wait.
    const [job] = deferredJobs(pushMessage, [deferredOf('bob', { tried: 2 })], clock);
    answer = () => ({ kind: 'retry', status: 429, reason: 'TooManyRequests', retryAfterMs: 9_000 });
    expect(await run(event(job as PushJob), budgetFor(2))).toEqual({ batchItemFailures: [] });
    expect(delays).toEqual([9]);
    expect(queued[0]?.sends).toEqual([['bob', 'd_bob', 1, 3]]);
    // Its fourth attempt is its last: refused again, it is given up, not deferred again.
    expect(await run(event(queued[0] as PushJob), budgetFor(2))).toEqual({ batchItemFailures: [] });
    expect(counters.get('PushGivenUp')).toBe(1);
    expect(queued).toHaveLength(1);
  });

  it('sends nothing of a deferred job whose message was deleted, or whose first queueing is too old', async () => {
    const [job] = deferredJobs(pushMessage, [deferredOf('bob')], clock);
    t.store.messages.get.mockResolvedValueOnce({ ...stored, deleted: true, text: '' });
    expect(await run(event(job as PushJob))).toEqual({ batchItemFailures: [] });
    expect(counters.get('PushSkippedGone')).toBe(1);
    // Deferred again and again, a notification still expires 15 minutes after it was first queued.
    const [old] = deferredJobs(pushMessage, [deferredOf('bob')], clock - 16 * 60_000);
    expect(await run(event(old as PushJob))).toEqual({ batchItemFailures: [] });
    expect(counters.get('PushJobsExpired')).toBe(1);
    expect(sent).toEqual([]);
    expect(await run(event(job as PushJob))).toEqual({ batchItemFailures: [] });
    expect(sent.map((s) => s.token)).toEqual(['bob-token']);
  });

  it('hands a job back unread when no time is left for its reads and a send', async () => {
    const budget = budgetFor(1);
    expect(budget.until - clock).toBeLessThan(READS_MS + ATTEMPT_MS);
    expect(await run(event(recipientsJob()), budget)).toEqual({
      batchItemFailures: [{ itemIdentifier: 'q0' }],
    });
    expect(t.store.devices.pushTargets).not.toHaveBeenCalled();
    expect(sent).toEqual([]);
  });

  it('gives up a follow-up the queue refuses once some were sent (a retry would send those twice)', async () => {
    vi.spyOn(logger, 'error').mockImplementation(() => {});
    queue.send = vi.fn(async () => {
      throw new Error('the queue refused 1 jobs');
    });
    expect(await run(event(recipientsJob()), budgetFor(2))).toEqual({ batchItemFailures: [] });
    expect(sent).toHaveLength(2);
    expect(counters.get('PushGivenUp')).toBe(3);
    expect(counters.get('PushJobsDone')).toBe(1);
  });

  it('without its queue, defers nothing', async () => {
    expect(await run(event(recipientsJob()), budgetFor(1), false)).toEqual({ batchItemFailures: [] });
    expect(usersOf(sent)).toEqual(OTHERS);
  });
});

describe('deferred jobs', () => {
  it('carry at most 200 notifications each, and refuse malformed ones', () => {
    const many = Array.from({ length: 401 }, (_, i) => deferredOf(`u${i}`, { tried: i % 4 }));
    const jobs = deferredJobs(pushMessage, many, 7);
    expect(jobs.map((j) => j.sends?.length)).toEqual([200, 200, 1]);
    for (const job of jobs) expect(decodePushJob(JSON.stringify(job))).toEqual(job);
    const good = jobs[2] as PushJob;
    const bad = [
      { ...good, sends: 'x' },
      { ...good, sends: undefined },
      { ...good, v: 1 },
      { ...recipientsJob(), sends: good.sends },
      { ...good, recipients: [['bob', 1]] },
      { ...good, sends: [['u', 'd', 1]] },
      { ...good, sends: [['u', '', 1, 0]] },
      { ...good, sends: [['', 'd', 1, 0]] },
      { ...good, sends: [['u', 'd', -1, 0]] },
      { ...good, sends: [['u', 'd', 1, 0.5]] },
      { ...good, since: 'yesterday' },
    ];
    for (const body of bad) expect(decodePushJob(JSON.stringify(body)), JSON.stringify(body)).toBeUndefined();
  });
});

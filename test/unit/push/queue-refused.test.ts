/**
 * A queue that refuses jobs once some notifications went out (lambdas/push/jobs.ts `queueJobs`):
 * the push worker's job and the push function's record are not failed, since SQS or the stream
 * would then deliver them again and every notification (and badge) would go out twice; the
 * notifications not queued are given up (`PushGivenUp`) and logged, and the message is marked.
 * A queue that takes none of them when nothing went out yet (a notification refused or given up is
 * not one that went out) still fails the job (sent once, later).
 * The jobs of recipients, queued before anything is sent: test/unit/push/marks.test.ts.
 */
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, expect, it, vi } from 'vitest';
import { MESSAGE } from '../../../lambdas/data/items.ts';
import type { Platform } from '../../../lambdas/data/store.ts';
import { JobsNotQueued } from '../../../lambdas/fanout/jobs.ts';
import { Counters } from '../../../lambdas/pipeline/metrics.ts';
import type { DeliveryDeps } from '../../../lambdas/push/deliver.ts';
import { pushNewMessage } from '../../../lambdas/push/handler.ts';
import { type PushJob, type PushJobQueue, planPushJobs } from '../../../lambdas/push/jobs.ts';
import type { ProviderQuota } from '../../../lambdas/push/provider-quota.ts';
import { processPushJobs } from '../../../lambdas/push/worker.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { fakeDeps, groupChat, NOW } from '../domain/fakes.ts';
import { deviceRecord, LUNCH_MESSAGE, PUSH_MESSAGE, storeTargets } from './fixtures.ts';

let t: ReturnType<typeof fakeDeps>;
let calls: string[];
let counters: Counters;
let delivery: DeliveryDeps;
let error: ReturnType<typeof vi.spyOn>;
/** The queue refuses every job: its one call fails (SQS kept refusing the entries). */
const refusing: PushJobQueue = {
  send: async (jobs) => {
    throw new JobsNotQueued(jobs, jobs.length);
  },
};

/** One SQS record of `job`, sent now, through the push worker with the refusing queue. */
const runJob = (messageId: string, job: PushJob) =>
  processPushJobs(
    {
      Records: [
        { messageId, body: JSON.stringify(job), attributes: { SentTimestamp: String(Date.parse(NOW)) } },
      ],
    } as unknown as SQSEvent,
    { plan: { store: t.deps.store, now: () => new Date(NOW) }, delivery, counters, queue: refusing },
  );

beforeEach(() => {
  vi.spyOn(logger, 'warn').mockImplementation(() => {});
  error = vi.spyOn(logger, 'error').mockImplementation(() => {});
  t = fakeDeps();
  t.store.chats.getWithMembers.mockResolvedValue(groupChat('alice', ['alice', 'u0', 'u1'], { lastSeq: 5 }));
  t.store.messages.get.mockResolvedValue(LUNCH_MESSAGE);
  t.store.pushMarks.has.mockImplementation(async () => t.store.pushMarks.put.mock.calls.length > 0);
  storeTargets(t.store, (userId) => ({
    online: false,
    connectionIds: [],
    devices: [deviceRecord(userId, 'fcm')],
  }));
  calls = [];
  counters = new Counters('test');
  // u0's device takes the notification; u1's provider is down (5xx), and the retry quota refuses
  // its retry: deferred to a job of its own, which the queue refuses.
  const send = async (token: string) => {
    calls.push(token);
    return token.includes('u0')
      ? ({ kind: 'sent', status: 200 } as const)
      : ({ kind: 'retry', status: 503, reason: 'Unavailable' } as const);
  };
  const quota = { pay: () => undefined, paidOff: () => {}, release: () => {} } as unknown as ProviderQuota;
  delivery = {
    providers: new Map([['fcm', { platform: 'fcm', send, close: () => undefined }]]),
    quotas: new Map<Platform, ProviderQuota>([['fcm', quota]]),
    removeDevice: async () => undefined,
    counters,
    sleep: async () => undefined,
  };
});

it('a worker job whose deferred part cannot be queued is done, not redelivered to push again', async () => {
  const [job] = planPushJobs(
    PUSH_MESSAGE,
    [
      { userId: 'u0', chatUnread: 1 },
      { userId: 'u1', chatUnread: 1 },
    ],
    200,
  );
  const answer = await runJob('q1', job as PushJob);
  expect(answer.batchItemFailures).toEqual([]);
  expect(calls).toEqual(['u0-token', 'u1-token']);
  expect(t.store.badges.bump).toHaveBeenCalledTimes(2);
  expect(counters.get('PushGivenUp')).toBe(1);
  expect(counters.get('PushJobsDone')).toBe(1);
  expect(error).toHaveBeenCalledWith(
    'push jobs not queued: their notifications given up',
    expect.objectContaining({ messageId: PUSH_MESSAGE.messageId, jobs: 1, givenUp: 1 }),
  );
});

it('a record whose deferred part cannot be queued is marked pushed, and its retry sends nothing', async () => {
  const push = () =>
    pushNewMessage(
      {
        plan: { store: t.deps.store, now: () => new Date(NOW) },
        delivery,
        counters,
        queue: refusing,
        jobSize: 200,
        budget: undefined,
      },
      MESSAGE.toItem(LUNCH_MESSAGE),
      Date.parse(NOW),
    );
  await expect(push()).resolves.toBeUndefined();
  await push(); // a retry of its batch (another record failed)
  expect(calls.sort()).toEqual(['u0-token', 'u1-token']);
  expect(t.store.pushMarks.put).toHaveBeenCalledOnce();
  expect(counters.get('PushGivenUp')).toBe(1);
  expect(counters.get('PushRepeatSkipped')).toBe(1);
});

it('a worker job that sent nothing and queued nothing is handed back to SQS', async () => {
  delivery = {
    ...delivery,
    providers: new Map([
      [
        'fcm',
        {
          platform: 'fcm',
          send: async (token: string) => {
            calls.push(token);
            return { kind: 'retry', status: 503, reason: 'Unavailable' } as const;
          },
          close: () => undefined,
        },
      ],
    ]),
  };
  const [job] = planPushJobs(PUSH_MESSAGE, [{ userId: 'u1', chatUnread: 1 }], 200) as [PushJob];
  const answer = await runJob('q2', job);
  expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'q2' }]);
  expect(counters.get('PushGivenUp')).toBe(0);
});

it('a job or record whose notifications all failed or were deferred counts as having sent nothing', async () => {
  // u0's provider refuses its notification (400): nothing went out, so trying again sends nothing twice.
  const send = delivery.providers.get('fcm')?.send;
  delivery = {
    ...delivery,
    providers: new Map([
      [
        'fcm',
        {
          platform: 'fcm',
          send: async (token: string, content) => {
            if (!token.includes('u0')) return (await send?.(token, content)) ?? { kind: 'sent', status: 200 };
            calls.push(token);
            return { kind: 'failed', status: 400, reason: 'InvalidArgument' } as const;
          },
          close: () => undefined,
        },
      ],
    ]),
  };
  const plan = { store: t.deps.store, now: () => new Date(NOW) };
  const recipients = [
    { userId: 'u0', chatUnread: 1 },
    { userId: 'u1', chatUnread: 1 },
  ];
  const [job] = planPushJobs(PUSH_MESSAGE, recipients, 200) as [PushJob];
  const answer = await runJob('q3', job);
  expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'q3' }]);

  const stream = { plan, delivery, counters, queue: refusing, jobSize: 200, budget: undefined };
  await expect(pushNewMessage(stream, MESSAGE.toItem(LUNCH_MESSAGE), Date.parse(NOW))).rejects.toThrow(
    JobsNotQueued,
  );
  expect(t.store.pushMarks.put).not.toHaveBeenCalled();
  expect(counters.get('PushGivenUp')).toBe(0);
});

/**
 * The fan-out worker dropping a presence job (too old to post: a failed lookup's redelivery) or giving
 * up on its sockets (after its last attempt) queues a presence recheck of that user, so the peers it
 * missed are told again (docs/protocol.md, `presence`: "announced again about 5 s later"), instead of
 * showing them a wrong presence until the user's next change.
 */
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FanOut } from '../../lambdas/fanout/fanout.ts';
import { type FanOutJob, planJobs, planLookupJob, planPresenceRecheck } from '../../lambdas/fanout/jobs.ts';
import { MAX_JOB_ATTEMPTS, processFanOutJobs } from '../../lambdas/fanout/worker.ts';
import { fakeApi, fakeDirectory, fakeQueue, serverError } from './fanout-fakes.ts';

const SENT_AT = 1_000_000;
const offline = JSON.stringify({
  type: 'presence',
  userId: 'ann',
  online: false,
  lastSeenAt: '2026-12-05T00:00:00.000Z',
});
const eventOf = (job: FanOutJob, sentAt = SENT_AT): SQSEvent =>
  ({
    Records: [{ messageId: 'm0', body: JSON.stringify(job), attributes: { SentTimestamp: String(sentAt) } }],
  }) as unknown as SQSEvent;

describe('the fan-out worker: a presence job it cannot deliver', () => {
  it('whose lookup failed, then dropped as too old on its redelivery, queues a recheck of the user', async () => {
    const api = fakeApi();
    const unreachable = new Set(['bob']);
    const { dir } = fakeDirectory({ bob: ['b1'] }, {}, unreachable);
    const { queue, sends } = fakeQueue();
    const job = planLookupJob(['bob'], offline, undefined);
    const deps = { fanOut: new FanOut(() => api.client, dir), queue, retryLater: async () => undefined };
    const first = await processFanOutJobs(eventOf(job), { ...deps, now: () => SENT_AT + 50 });
    expect(first.batchItemFailures).toHaveLength(1);
    unreachable.clear();
    // Redelivered 10 s later (queue/retry-later.ts): too old to post, dropped.
    const again = await processFanOutJobs(eventOf(job), { ...deps, now: () => SENT_AT + 10_050 });
    expect(again.batchItemFailures).toEqual([]);
    expect(api.delivered).toEqual([]);
    // Ann's true state is announced again shortly, her mark of `offline` taken back first.
    expect(sends).toEqual([{ jobs: [planPresenceRecheck('ann', false)], delaySeconds: 5 }]);
  });

  it('whose sockets still fail at its last attempt queues a recheck (not the dead-letter queue); a typing job no recheck', async () => {
    const api = fakeApi({ b1: [serverError(), serverError()], b2: [serverError(), serverError()] });
    const { queue, sends } = fakeQueue();
    const fanOut = new FanOut(() => api.client, fakeDirectory().dir, { baseDelayMs: 1, maxAttempts: 2 });
    const deps = { fanOut, queue, now: () => SENT_AT };
    const last = planJobs([{ userId: 'bob', connectionId: 'b1' }], offline, undefined, 10, MAX_JOB_ATTEMPTS);
    await expect(processFanOutJobs(eventOf(last[0] as FanOutJob), deps)).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(sends).toEqual([{ jobs: [planPresenceRecheck('ann', false)], delaySeconds: 5 }]);
    const typing = '{"type":"typing","chatId":"c1","userId":"ann"}';
    const given = planJobs([{ userId: 'bob', connectionId: 'b2' }], typing, undefined, 10, MAX_JOB_ATTEMPTS);
    await processFanOutJobs(eventOf(given[0] as FanOutJob), deps);
    await processFanOutJobs(eventOf(planLookupJob(['bob'], typing, undefined), SENT_AT - 20_000), deps);
    expect(sends).toHaveLength(1);
  });

  it('is tried in three jobs at most (the last 6 s after the first), never 14 s late', async () => {
    const api = fakeApi({ b1: [serverError(), serverError(), serverError(), serverError()] });
    const { queue, sends } = fakeQueue();
    const fanOut = new FanOut(() => api.client, fakeDirectory().dir, { baseDelayMs: 1, maxAttempts: 2 });
    const deps = { fanOut, queue, now: () => SENT_AT };
    // Each retry is a new message, so its SentTimestamp is recent: only the attempt count bounds it.
    const second = planJobs([{ userId: 'bob', connectionId: 'b1' }], offline, undefined, 10, 2);
    await processFanOutJobs(eventOf(second[0] as FanOutJob), deps);
    expect(sends).toEqual([
      { jobs: planJobs([{ userId: 'bob', connectionId: 'b1' }], offline, undefined, 10, 3), delaySeconds: 4 },
    ]);
    const third = planJobs([{ userId: 'bob', connectionId: 'b1' }], offline, undefined, 10, 3);
    await expect(processFanOutJobs(eventOf(third[0] as FanOutJob), deps)).resolves.toEqual({
      batchItemFailures: [],
    });
    // Not a fourth job (8 s later: 14 s after the first) but a recheck of Ann's true state.
    expect(sends.slice(1)).toEqual([{ jobs: [planPresenceRecheck('ann', false)], delaySeconds: 5 }]);
  });

  it('whose recheck cannot be queued is handed back to SQS', async () => {
    const { queue } = fakeQueue(true);
    const fanOut = new FanOut(() => fakeApi().client, fakeDirectory({ bob: ['b1'] }).dir);
    const job = planLookupJob(['bob'], offline, undefined);
    const deps = { fanOut, queue, now: () => SENT_AT + 10_050 };
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }],
    });
  });
});

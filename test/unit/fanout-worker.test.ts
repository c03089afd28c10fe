import { GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { POST_ATTEMPT_MS } from '../../lambdas/fanout/delivery.ts';
import { DEFAULT_JOB_SIZE, FanOut } from '../../lambdas/fanout/fanout.ts';
import {
  decodeJob,
  type FanOutJob,
  planJobs,
  planLookupJob,
  planPresenceRecheck,
} from '../../lambdas/fanout/jobs.ts';
import { MAX_JOB_ATTEMPTS, processFanOutJobs, retryDelaySeconds } from '../../lambdas/fanout/worker.ts';
import type { SendBudget } from '../../lambdas/shared/budget.ts';
import { fakeApi, fakeDirectory, fakeQueue, serverError } from './fanout-fakes.ts';

const targets = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ userId: `u${i}`, connectionId: `c${i}` }));

function worker(failures: Record<string, Error[]> = {}, options: { refuse?: boolean } = {}) {
  const api = fakeApi(failures);
  const { dir, gone } = fakeDirectory();
  const { queue, sends: requeued } = fakeQueue(options.refuse);
  const fanOut = new FanOut(() => api.client, dir, { baseDelayMs: 1, maxAttempts: 2 });
  /** The records it had received again sooner (queue/retry-later.ts). */
  const retried: string[] = [];
  const retryLater = async (r: SQSRecord) => {
    retried.push(r.messageId);
  };
  return {
    api,
    gone,
    requeued,
    retried,
    run: (event: SQSEvent) => processFanOutJobs(event, { fanOut, queue, retryLater }),
  };
}

const record = (messageId: string, body: string) =>
  ({ messageId, body }) as unknown as SQSEvent['Records'][number];
const eventOf = (...jobs: FanOutJob[]): SQSEvent => ({
  Records: jobs.map((j, i) => record(`m${i}`, JSON.stringify(j))),
});

describe('the fan-out worker', () => {
  it('posts each job’s frame to each of its sockets exactly once', async () => {
    const w = worker();
    const jobs = planJobs(targets(5), '{"type":"message.created","n":1}', 'g1', 3);
    await expect(w.run(eventOf(...jobs))).resolves.toEqual({ batchItemFailures: [] });
    expect(w.api.delivered.map((p) => p.connectionId).sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(new Set(w.api.delivered.map((p) => p.data))).toEqual(
      new Set(['{"type":"message.created","n":1}']),
    );
    expect(w.requeued).toEqual([]);
    expect(w.retried).toEqual([]);
  });

  it('forgets a gone socket with its roster entry, and does not retry it', async () => {
    const gone = new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } });
    const w = worker({ c1: [gone] });
    await w.run(eventOf(...planJobs(targets(3), '{}', 'g1', 10)));
    expect(w.gone).toEqual(['g1/u1/c1']);
    expect(w.requeued).toEqual([]);
  });

  it('queues the sockets that still fail as a smaller, delayed job, until the last attempt', async () => {
    const w = worker({ c2: [serverError(), serverError()] });
    await expect(w.run(eventOf(...planJobs(targets(4), '{"a":1}', 'g1', 10)))).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(w.requeued).toEqual([
      {
        delaySeconds: retryDelaySeconds(1),
        jobs: [{ v: 1, chatId: 'g1', frame: '{"a":1}', targets: [['u2', 'c2']], attempt: 2 }],
      },
    ]);
    // That job's turn: delivered this time.
    await w.run(eventOf(...(w.requeued[0]?.jobs ?? [])));
    expect(w.api.delivered.filter((p) => p.connectionId === 'c2')).toHaveLength(1);

    // The last attempt, all failed: reported, so SQS delivers it again and then dead-letters it.
    const last = worker({ c0: [serverError(), serverError()] });
    await expect(
      last.run(eventOf(...planJobs(targets(1), '{}', 'g1', 10, MAX_JOB_ATTEMPTS))),
    ).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }],
    });
    expect(last.requeued).toEqual([]);
    expect(last.retried).toEqual(['m0']);
  });

  it('reports the job as a batch item failure when the failed sockets cannot be queued again', async () => {
    const w = worker({ c0: [serverError(), serverError()] }, { refuse: true });
    const jobs = planJobs(targets(2), '{}', 'g1', 1);
    await expect(w.run(eventOf(...jobs))).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(w.api.delivered.map((p) => p.connectionId)).toEqual(['c1']);
    // Received again after a short backoff, not the queue's 3-minute visibility timeout.
    expect(w.retried).toEqual(['m0']);
  });

  it('drops a message that is not a job instead of failing forever', async () => {
    const w = worker();
    const event: SQSEvent = {
      Records: [record('junk', '{"hello":1}'), ...eventOf(...planJobs(targets(1), '{}', 'g1', 1)).Records],
    };
    await expect(w.run(event)).resolves.toEqual({ batchItemFailures: [] });
    expect(w.api.delivered).toHaveLength(1);
  });

  it('runs a presence recheck with the mark its job is to take back (a failed post’s retry)', async () => {
    const rechecks: [string, boolean | undefined][] = [];
    const jobs = [planPresenceRecheck('ann'), planPresenceRecheck('bob', false)];
    expect(jobs[0]).not.toHaveProperty('unmark');
    expect(decodeJob(JSON.stringify({ ...jobs[1], unmark: 'false' }))).toBeUndefined();
    await processFanOutJobs(eventOf(...jobs), {
      fanOut: new FanOut(() => fakeApi().client, fakeDirectory().dir),
      queue: fakeQueue().queue,
      recheckPresence: async (userId, unmark) => {
        rechecks.push([userId, unmark]);
      },
    });
    expect(rechecks).toEqual([
      ['ann', undefined],
      ['bob', false],
    ]);
  });
});

describe('the fan-out worker re-queueing thousands of sockets', () => {
  /** SQS's largest message body. */
  const SQS_MAX_BODY = 256 * 1024;
  /** 500 users of 10 sockets each: ids as long as real ones (a UUID user id, a gateway connection id). */
  const users = Array.from(
    { length: 500 },
    (_, i) => `user-${String(i).padStart(4, '0')}-4b1c-9f2e-8d7a6c5b4e3f-aa`,
  );
  const sockets = Object.fromEntries(
    users.map((userId, u) => [
      userId,
      Array.from({ length: 10 }, (_, k) => `Cn${String(u * 10 + k).padStart(5, '0')}AbCdEfGh=`),
    ]),
  );
  const frame = JSON.stringify({ type: 'message.created', message: { text: 'x'.repeat(2_000) } });
  /** The lookup job a request queued when it could not look these users up (fanout.ts). */
  const lookupEvent = () => ({
    Records: [record('m0', JSON.stringify(planLookupJob(users, frame, undefined)))],
  });
  const bodies = (sends: { jobs: FanOutJob[] }[]) =>
    sends.flatMap((s) => s.jobs.map((j) => JSON.stringify(j)));

  it('queues the 5,000 sockets it had no time for in jobs of the job size, none over 256 KB', async () => {
    let clock = 0;
    const api = fakeApi({}, () => {
      clock += 1_000;
    });
    const fanOut = new FanOut(() => api.client, fakeDirectory(sockets).dir, { concurrency: 2 });
    const { queue, sends } = fakeQueue();
    const budget: SendBudget = { until: 1_000 + POST_ATTEMPT_MS, now: () => clock };
    await expect(processFanOutJobs(lookupEvent(), { fanOut, queue, budget })).resolves.toEqual({
      batchItemFailures: [],
    });
    const queued = sends.flatMap((s) => s.jobs);
    expect(api.delivered.length + queued.reduce((n, j) => n + j.targets.length, 0)).toBe(5_000);
    expect(Math.max(...queued.map((j) => j.targets.length))).toBe(DEFAULT_JOB_SIZE);
    expect(Math.max(...bodies(sends).map((b) => Buffer.byteLength(b)))).toBeLessThan(SQS_MAX_BODY);
  });

  it('queues the 5,000 sockets whose posts failed in jobs of the size it is given', async () => {
    const failures = Object.fromEntries(
      Object.values(sockets)
        .flat()
        .map((id) => [id, [serverError(), serverError()]]),
    );
    const fanOut = new FanOut(() => fakeApi(failures).client, fakeDirectory(sockets).dir, {
      concurrency: 64,
      baseDelayMs: 0,
      maxAttempts: 2,
    });
    const { queue, sends } = fakeQueue();
    await processFanOutJobs(lookupEvent(), { fanOut, queue, jobSize: 300 });
    const queued = sends.flatMap((s) => s.jobs);
    expect(queued.map((j) => j.targets.length)).toEqual(
      Array.from({ length: 17 }, (_, i) => (i < 16 ? 300 : 200)),
    );
    expect(new Set(queued.map((j) => j.attempt))).toEqual(new Set([2]));
    expect(Math.max(...bodies(sends).map((b) => Buffer.byteLength(b)))).toBeLessThan(SQS_MAX_BODY);
  });
});

describe('the fan-out worker within its time budget', () => {
  /** A Management API whose every answer takes a second of the test's clock. */
  function timed(failures: Record<string, Error[]> = {}) {
    let clock = 0;
    const api = fakeApi(failures, () => {
      clock += 1_000;
    });
    const fanOut = new FanOut(() => api.client, fakeDirectory().dir, {
      concurrency: 2,
      baseDelayMs: 1,
      maxAttempts: 3,
    });
    const { queue, sends: requeued } = fakeQueue();
    /** A budget in which posts may start until `lastStartMs` on the test's clock. */
    const budget = (lastStartMs: number): SendBudget => ({
      until: lastStartMs + POST_ATTEMPT_MS,
      now: () => clock,
    });
    const run = (event: SQSEvent, b: SendBudget) => processFanOutJobs(event, { fanOut, queue, budget: b });
    return {
      /** The connection ids posted to, in order. */
      get posts() {
        return api.delivered.map((d) => d.connectionId);
      },
      requeued,
      budget,
      run,
    };
  }

  it('queues at once, as the same attempt, exactly the sockets it had no time to try', async () => {
    const t = timed();
    const [job] = planJobs(targets(6), '{"a":1}', 'g1', 10, 2);
    await expect(t.run(eventOf(job as FanOutJob), t.budget(2_000))).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(t.posts.length).toBeGreaterThan(0);
    expect(t.requeued).toHaveLength(1);
    const again = t.requeued[0];
    expect(again?.delaySeconds).toBeUndefined();
    expect(again?.jobs.map((j) => [j.chatId, j.frame, j.attempt])).toEqual([['g1', '{"a":1}', 2]]);
    const deferred = (again?.jobs ?? []).flatMap((j) => j.targets.map(([, c]) => c));
    expect([...t.posts, ...deferred].sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
    // The queued job's turn, with time: the rest, once each.
    const posted = t.posts.length;
    await t.run(eventOf(...(again?.jobs ?? [])), t.budget(1e9));
    expect(t.posts.slice(posted).sort()).toEqual(deferred.sort());
  });

  it('fails a post whose retry would end too late: the next job attempt, delayed, as the rest go on', async () => {
    // c0 fails once with no time for its retry; c1 is never tried: the same attempt, at once.
    const t = timed({ c0: [serverError()] });
    await t.run(eventOf(...planJobs(targets(2), '{}', 'g1', 10)), t.budget(500));
    expect(t.posts).toEqual([]);
    expect(
      t.requeued
        .map((r) => [r.delaySeconds, r.jobs[0]?.attempt, r.jobs[0]?.targets])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    ).toEqual([
      [undefined, 1, [['u1', 'c1']]],
      [retryDelaySeconds(1), 2, [['u0', 'c0']]],
    ]);
  });

  it('hands a job reached with no time for one post back to SQS untouched', async () => {
    const t = timed();
    const tooLate: SendBudget = { until: POST_ATTEMPT_MS - 1, now: () => 0 };
    await expect(t.run(eventOf(...planJobs(targets(2), '{}', 'g1', 10)), tooLate)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }],
    });
    expect(t.posts).toEqual([]);
    expect(t.requeued).toEqual([]);
  });
});

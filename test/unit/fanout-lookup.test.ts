/**
 * A user whose sockets cannot be looked up is never skipped in silence: the directory retries the
 * Query, then names the user (`SocketLookupFailed`); the fan-out posts to the sockets found and
 * hands the user to the queue as a lookup job, or counts them as failed (FanOutFailures) without
 * one; the worker looks them up and posts, and a lookup still failing there makes SQS deliver the
 * job again.
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { ChatStore } from '../../lambdas/data/store.ts';
import { LOOKUP_ATTEMPTS, SocketLookupFailed, StoreDirectory } from '../../lambdas/fanout/directory.ts';
import { FanOut } from '../../lambdas/fanout/fanout.ts';
import { decodeJob, type FanOutJob, planLookupJob } from '../../lambdas/fanout/jobs.ts';
import { processFanOutJobs } from '../../lambdas/fanout/worker.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { fakeApi, fakeDirectory, fakeQueue } from './fanout-fakes.ts';

const unavailable = () => Object.assign(new Error('unavailable'), { name: 'InternalServerError' });

describe('StoreDirectory: a failed connection lookup', () => {
  function directory(failures: Record<string, number>) {
    const listIds = vi.fn(async (userId: string) => {
      if ((failures[userId] ?? 0) > 0) {
        failures[userId] = (failures[userId] ?? 0) - 1;
        throw unavailable();
      }
      return [`${userId}-1`];
    });
    const store = { connections: { listIds }, rosters: {}, socketCount: {} } as unknown as Pick<
      ChatStore,
      'connections' | 'rosters' | 'socketCount'
    >;
    return { dir: new StoreDirectory(store, 4), listIds };
  }

  it('is retried, and then finds the sockets', async () => {
    const { dir, listIds } = directory({ bob: LOOKUP_ATTEMPTS - 1 });
    const found = await dir.socketsOfUsers(['ann', 'bob']);
    expect(found.map((t) => t.connectionId).sort()).toEqual(['ann-1', 'bob-1']);
    expect(listIds.mock.calls.filter(([userId]) => userId === 'bob')).toHaveLength(LOOKUP_ATTEMPTS);
  });

  it('still failing after its attempts, names the user and keeps what was found of the others', async () => {
    const { dir, listIds } = directory({ bob: LOOKUP_ATTEMPTS });
    const error = await dir.socketsOfUsers(['ann', 'bob']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SocketLookupFailed);
    expect(error).toMatchObject({ userIds: ['bob'], found: [{ userId: 'ann', connectionId: 'ann-1' }] });
    expect((error as Error).cause).toMatchObject({ name: 'InternalServerError' });
    expect(listIds.mock.calls.filter(([userId]) => userId === 'bob')).toHaveLength(LOOKUP_ATTEMPTS);
  });
});

describe('FanOut.toUsers: users whose sockets could not be looked up', () => {
  const metrics: MetricValues[] = [];
  const stop = onMetrics((m) => metrics.push(m));
  afterEach(() => {
    metrics.length = 0;
  });
  afterAll(() => stop());

  const setup = (queue?: ReturnType<typeof fakeQueue>) => {
    const api = fakeApi();
    const { dir } = fakeDirectory({ ann: ['a1', 'a2'], bob: ['b1'] }, {}, new Set(['bob']));
    const fanOut = new FanOut(() => api.client, dir, { queue: queue?.queue });
    return { api, fanOut };
  };

  it('go to the queue as one lookup job; the sockets found are posted to at once', async () => {
    const queue = fakeQueue();
    const { api, fanOut } = setup(queue);
    const report = await fanOut.toUsers(['ann', 'bob'], { type: 'x' }, { excludeConnectionId: 'a1' });
    expect(api.delivered.map((d) => d.connectionId)).toEqual(['a2']);
    expect(report).toMatchObject({ delivered: 1, failed: 0, queued: 1 });
    expect(queue.jobs).toEqual([
      { v: 1, frame: '{"type":"x"}', targets: [], users: ['bob'], exclude: 'a1', attempt: 1 },
    ]);
    expect(metrics).toEqual([{ FanOutPosts: 1 }]);
  });

  it('count as failed (FanOutFailures) without a queue, or when it refuses the job', async () => {
    for (const queue of [undefined, fakeQueue(true)]) {
      metrics.length = 0;
      const { api, fanOut } = setup(queue);
      const report = await fanOut.toUsers(['ann', 'bob'], { type: 'x' });
      expect(api.delivered).toHaveLength(2);
      expect(report).toMatchObject({ delivered: 2, failed: 1, queued: 0 });
      expect(metrics).toEqual([{ FanOutPosts: 2 }, { FanOutFailures: 1 }]);
    }
  });

  it("a group's failed roster lookup: all its users go to the queue as one lookup job", async () => {
    const { api } = setup();
    const roster = {
      socketsOfUsers: vi.fn(),
      socketsOfGroup: vi.fn(async () => Promise.reject(unavailable())),
      someSocketsOfGroup: vi.fn(async () => Promise.reject(unavailable())),
      gone: vi.fn(),
    };
    const { queue, jobs } = fakeQueue();
    const fanOut = new FanOut(() => api.client, roster, { queue });
    const report = await fanOut.toUsers(
      ['ann', 'bob', 'ann'],
      { type: 'x' },
      {
        chat: { chatId: 'g1', kind: 'group' },
        excludeConnectionId: 'a1',
      },
    );
    expect(report).toMatchObject({ delivered: 0, failed: 0, queued: 2 });
    expect(jobs).toEqual([planLookupJob(['ann', 'bob'], '{"type":"x"}', 'a1', 'g1')]);
    // Without a queue they count as failed (the call does not fail).
    const alone = new FanOut(() => api.client, roster);
    await expect(
      alone.toUsers(['ann'], { type: 'x' }, { chat: { chatId: 'g1', kind: 'group' } }),
    ).resolves.toMatchObject({ failed: 1 });
  });
});

describe('the fan-out worker: a lookup job', () => {
  const eventOf = (job: FanOutJob): SQSEvent =>
    ({ Records: [{ messageId: 'm0', body: JSON.stringify(job) }] }) as unknown as SQSEvent;

  it('decodes, and nothing malformed of it', () => {
    const job = planLookupJob(['bob'], '{"type":"x"}', 'a1', 'g1');
    expect(decodeJob(JSON.stringify(job))).toEqual(job);
    expect(decodeJob(JSON.stringify({ ...job, users: 'bob' }))).toBeUndefined();
    expect(decodeJob(JSON.stringify({ ...job, users: [7] }))).toBeUndefined();
    expect(decodeJob(JSON.stringify({ ...job, exclude: '' }))).toBeUndefined();
  });

  it('looks the users up and posts to their sockets, except the one left out', async () => {
    const api = fakeApi();
    const { dir } = fakeDirectory({ bob: ['b1', 'b2'], ann: ['a1', 'a2'] });
    const fanOut = new FanOut(() => api.client, dir);
    const job = planLookupJob(['bob', 'ann'], '{"type":"x"}', 'a1');
    await expect(processFanOutJobs(eventOf(job), { fanOut, queue: fakeQueue().queue })).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(api.delivered.map((d) => d.connectionId).sort()).toEqual(['a2', 'b1', 'b2']);
  });

  it('of presence or typing, delivered again after its lookup failed, is dropped once 10 s old', async () => {
    const api = fakeApi();
    const { dir } = fakeDirectory({ bob: ['b1'] });
    const fanOut = new FanOut(() => api.client, dir);
    const at = (sentAt: number, frame: string): SQSEvent =>
      ({
        Records: [
          {
            messageId: 'm0',
            body: JSON.stringify(planLookupJob(['bob'], frame, undefined)),
            attributes: { SentTimestamp: String(sentAt) },
          },
        ],
      }) as unknown as SQSEvent;
    const deps = { fanOut, queue: fakeQueue().queue, now: () => 1_000_000 };
    const online = '{"type":"presence","userId":"ann","online":true}';
    // Redelivered after its first receive's backoff (10 s, queue/retry-later.ts) or the queue's three
    // minutes: ann's later "offline" may have reached bob directly meanwhile.
    await processFanOutJobs(at(1_000_000 - 12_000, online), deps);
    await processFanOutJobs(at(1_000_000 - 180_000, '{"type":"typing","chatId":"c1","userId":"ann"}'), deps);
    expect(api.delivered).toEqual([]);
    // Fresh: posted. Any other event: posted however late.
    await processFanOutJobs(at(1_000_000 - 2_000, online), deps);
    await processFanOutJobs(at(1_000_000 - 180_000, '{"type":"message.created","message":{}}'), deps);
    expect(api.delivered.map((d) => d.connectionId)).toEqual(['b1', 'b1']);
  });

  it('still failing to look them up, posts nothing and has SQS deliver the job again', async () => {
    const api = fakeApi();
    const unreachable = new Set(['bob']);
    const { dir } = fakeDirectory({ bob: ['b1'], ann: ['a2'] }, {}, unreachable);
    const fanOut = new FanOut(() => api.client, dir);
    const job = planLookupJob(['bob', 'ann'], '{"type":"x"}', undefined);
    const retried: string[] = [];
    const retryLater = async (record: SQSRecord) => {
      retried.push(record.messageId);
    };
    const deps = { fanOut, queue: fakeQueue().queue, retryLater };
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }],
    });
    expect(api.delivered).toEqual([]);
    // Received again after a short backoff (queue/retry-later.ts), not the queue's 3 minutes.
    expect(retried).toEqual(['m0']);
    unreachable.clear(); // the next receive
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({ batchItemFailures: [] });
    expect(api.delivered.map((d) => d.connectionId).sort()).toEqual(['a2', 'b1']);
    expect(retried).toEqual(['m0']);
  });
});

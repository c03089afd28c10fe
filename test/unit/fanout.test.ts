/**
 * The fan-out's delivery policy with an in-memory Management API (AWS itself cannot run here; the
 * end-to-end suites run the same code against the local gateway's real Management API).
 */

import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { GoneException, type PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { POST_ATTEMPT_MS } from '../../lambdas/fanout/delivery.ts';
import { FanOut, REQUEST_RESERVE_MS, type Target } from '../../lambdas/fanout/fanout.ts';
import { withInvocation } from '../../lambdas/shared/budget.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { fakeDirectory as directory, fakeApi, fakeQueue, httpError } from './fanout-fakes.ts';

const sockets = (n: number, prefix = 'u'): Target[] =>
  Array.from({ length: n }, (_, i) => ({ userId: `${prefix}${i}`, connectionId: `${prefix}${i}-c` }));

const group = { chatId: 'g1', kind: 'group' } as const;

describe('FanOut', () => {
  it('posts to every socket of every user, except the excluded one', async () => {
    const api = fakeApi();
    const { dir } = directory({ a: ['a1', 'a2'], b: ['b1'] });
    const fanOut = new FanOut(() => api.client, dir);
    const report = await fanOut.toUsers(['a', 'b', 'a'], { type: 'x', n: 1 }, { excludeConnectionId: 'a1' });
    expect(report).toEqual({ delivered: 2, gone: 0, connecting: 0, failed: 0, retried: 0, queued: 0 });
    expect(api.delivered.map((d) => d.connectionId).sort()).toEqual(['a2', 'b1']);
    expect(JSON.parse(api.delivered[0]?.data ?? '')).toEqual({ type: 'x', n: 1 });
  });

  it('deletes exactly the connection that is gone and keeps delivering to the rest', async () => {
    const gone = new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } });
    const api = fakeApi({ b1: [gone] });
    const { dir, gone: forgotten } = directory({ a: ['a1'], b: ['b1', 'b2'] });
    const report = await new FanOut(() => api.client, dir).toUsers(['a', 'b'], { type: 'x' });
    expect(report).toMatchObject({ delivered: 2, gone: 1, failed: 0 });
    expect(forgotten).toEqual(['-/b/b1']);
  });

  it('retries throttling and server errors, then delivers, and counts the retries as a metric', async () => {
    const api = fakeApi({
      a1: [httpError(429, 'LimitExceededException'), httpError(500, 'InternalServerErrorException')],
    });
    const { dir, gone } = directory({ a: ['a1'] });
    const metrics: MetricValues[] = [];
    const stop = onMetrics((m) => metrics.push(m));
    try {
      const report = await new FanOut(() => api.client, dir, { baseDelayMs: 1 }).toUsers(['a'], {
        type: 'x',
      });
      expect(report).toEqual({ delivered: 1, gone: 0, connecting: 0, failed: 0, retried: 2, queued: 0 });
    } finally {
      stop();
    }
    expect(gone).toEqual([]);
    expect(metrics).toEqual([{ FanOutPosts: 1, FanOutRetries: 2 }]); // zero counts are left out
  });

  it('gives up after the bounded attempts without throwing, counting the failure', async () => {
    const api = fakeApi({
      a1: Array.from({ length: 5 }, () => httpError(500, 'InternalServerErrorException')),
    });
    const { dir } = directory({ a: ['a1'], b: ['b1'] });
    const report = await new FanOut(() => api.client, dir, { baseDelayMs: 1, maxAttempts: 3 }).toUsers(
      ['a', 'b'],
      {
        type: 'x',
      },
    );
    expect(report).toEqual({ delivered: 1, gone: 0, connecting: 0, failed: 1, retried: 2, queued: 0 });
  });

  it('does not retry client errors other than throttling', async () => {
    const api = fakeApi({ a1: [httpError(403, 'ForbiddenException')] });
    const { dir } = directory({ a: ['a1'] });
    const report = await new FanOut(() => api.client, dir, { baseDelayMs: 1 }).toUsers(['a'], {
      type: 'x',
    });
    expect(report).toEqual({ delivered: 0, gone: 0, connecting: 0, failed: 1, retried: 0, queued: 0 });
  });

  it('keeps at most `concurrency` posts in flight', async () => {
    const api = fakeApi();
    const byUser = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`u${i}`, [`c${i}`]]));
    const { dir } = directory(byUser);
    const report = await new FanOut(() => api.client, dir, { concurrency: 4 }).toUsers(Object.keys(byUser), {
      type: 'x',
    });
    expect(report.delivered).toBe(40);
    expect(api.maxInFlight()).toBeLessThanOrEqual(4);
    expect(api.maxInFlight()).toBeGreaterThan(1);
  });
});

describe('FanOut: groups and the queue', () => {
  it("finds a group's sockets in its roster, only for the users asked, without per-user lookups", async () => {
    const api = fakeApi();
    const roster = [
      { userId: 'a', connectionId: 'a1' },
      { userId: 'a', connectionId: 'a2' },
      { userId: 'b', connectionId: 'b1' },
      { userId: 'gone-member', connectionId: 'x1' },
    ];
    const { dir, lookedUp } = directory({}, { g1: roster });
    const report = await new FanOut(() => api.client, dir).toUsers(
      ['a', 'b'],
      { type: 'x' },
      {
        chat: group,
        excludeConnectionId: 'a1',
      },
    );
    expect(report).toMatchObject({ delivered: 2, queued: 0 });
    expect(api.delivered.map((d) => d.connectionId).sort()).toEqual(['a2', 'b1']);
    expect(lookedUp).toEqual([]);
  });

  it('looks direct chats up per user', async () => {
    const api = fakeApi();
    const { dir, lookedUp } = directory({ a: ['a1'], b: ['b1'] }, { d1: sockets(5) });
    await new FanOut(() => api.client, dir).toUsers(
      ['a', 'b'],
      { type: 'x' },
      {
        chat: { chatId: 'd1', kind: 'direct' },
      },
    );
    expect(lookedUp.sort()).toEqual(['a', 'b']);
    expect(api.delivered.map((d) => d.connectionId).sort()).toEqual(['a1', 'b1']);
  });

  it("forgets a gone socket together with its entry in the group's roster", async () => {
    const gone = new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } });
    const api = fakeApi({ b1: [gone] });
    const { dir, gone: forgotten } = directory(
      {},
      { g1: sockets(1, 'a').concat({ userId: 'b', connectionId: 'b1' }) },
    );
    await new FanOut(() => api.client, dir).toUsers(['a0', 'b'], { type: 'x' }, { chat: group });
    expect(forgotten).toEqual(['g1/b/b1']);
  });

  it('posts up to the threshold itself, and queues jobs of at most jobSize sockets above it', async () => {
    const api = fakeApi();
    const { queue, jobs } = fakeQueue();
    const members = sockets(25);
    const { dir } = directory({}, { g1: members });
    const fanOut = new FanOut(() => api.client, dir, { queue, queueThreshold: 25, jobSize: 10 });
    const all = members.map((m) => m.userId);

    expect(await fanOut.toUsers(all, { type: 'small' }, { chat: group })).toMatchObject({
      delivered: 25,
      queued: 0,
    });
    expect(jobs).toEqual([]);

    const bigger = sockets(26);
    const { dir: dir2 } = directory({}, { g1: bigger });
    const fanOut2 = new FanOut(() => api.client, dir2, { queue, queueThreshold: 25, jobSize: 10 });
    const before = api.delivered.length;
    const report = await fanOut2.toUsers(
      bigger.map((m) => m.userId),
      { type: 'big', n: 1 },
      { chat: group },
    );
    expect(report).toEqual({ delivered: 0, gone: 0, connecting: 0, failed: 0, retried: 0, queued: 26 });
    expect(api.delivered.length).toBe(before);
    expect(jobs.map((j) => j.targets.length)).toEqual([10, 10, 6]);
    expect(jobs.every((j) => j.chatId === 'g1' && j.attempt === 1 && j.v === 1)).toBe(true);
    expect(JSON.parse(jobs[0]?.frame ?? '')).toEqual({ type: 'big', n: 1 });
    expect(jobs.flatMap((j) => j.targets.map(([, c]) => c)).sort()).toEqual(
      bigger.map((m) => m.connectionId).sort(),
    );
  });

  it('posts in the request when the queue refuses the jobs', async () => {
    const api = fakeApi();
    const { queue } = fakeQueue(true);
    const { dir } = directory({}, { g1: sockets(5) });
    const fanOut = new FanOut(() => api.client, dir, { queue, queueThreshold: 2 });
    const report = await fanOut.toUsers(
      sockets(5).map((s) => s.userId),
      { type: 'x' },
      { chat: group },
    );
    expect(report).toMatchObject({ delivered: 5, queued: 0 });
  });

  it('posts everything in the request when no queue is configured', async () => {
    const api = fakeApi();
    const { dir } = directory({}, { g1: sockets(30) });
    const fanOut = new FanOut(() => api.client, dir, { queueThreshold: 2 });
    const report = await fanOut.toUsers(
      sockets(30).map((s) => s.userId),
      { type: 'x' },
      { chat: group },
    );
    expect(report).toMatchObject({ delivered: 30, queued: 0 });
  });
});

describe('FanOut in a request short of time', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A Management API whose every answer takes a second of the (faked) clock. */
  function slowApi() {
    const posted: string[] = [];
    const client = {
      async send(command: PostToConnectionCommand) {
        vi.setSystemTime(Date.now() + 1_000);
        posted.push(command.input.ConnectionId as string);
        return {};
      },
    } as unknown as ApiGatewayManagementApiClient;
    return { client, posted };
  }
  const members = sockets(6);
  const ids = members.map((m) => m.userId);
  /** An invocation in which posts may start for the next `ms` only. */
  const invocation = (ms: number) => ({
    getRemainingTimeInMillis: () => REQUEST_RESERVE_MS + POST_ATTEMPT_MS + ms,
  });

  it('queues the sockets it has no time left to post to, and posts each of the rest once', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = slowApi();
    const { queue, jobs } = fakeQueue();
    const { dir } = directory({}, { g1: members });
    const fanOut = new FanOut(() => api.client, dir, { queue, concurrency: 2 });
    const report = await withInvocation(invocation(2_000), () =>
      fanOut.toUsers(ids, { type: 'x' }, { chat: group }),
    );
    expect(report.delivered).toBe(api.posted.length);
    expect(report.delivered).toBeGreaterThan(0);
    expect(report.queued).toBeGreaterThan(0);
    const queued = jobs.flatMap((j) => j.targets.map(([, c]) => c));
    expect(report.queued).toBe(queued.length);
    expect([...api.posted, ...queued].sort()).toEqual(members.map((m) => m.connectionId).sort());
    expect(jobs.every((j) => j.chatId === 'g1' && j.attempt === 1 && j.frame === '{"type":"x"}')).toBe(true);

    // Outside a route's invocation (a worker, a test), or without a queue: every socket is posted.
    const all = slowApi();
    const anywhere = new FanOut(() => all.client, dir, { queue, concurrency: 2 });
    expect(await anywhere.toUsers(ids, { type: 'x' }, { chat: group })).toMatchObject({
      delivered: 6,
      queued: 0,
    });
    const noQueue = slowApi();
    const without = new FanOut(() => noQueue.client, dir, { concurrency: 2 });
    const report2 = await withInvocation(invocation(2_000), () =>
      without.toUsers(ids, { type: 'x' }, { chat: group }),
    );
    expect(report2).toMatchObject({ delivered: 6, queued: 0 });
  });

  it('queues a socket whose post failed with no time left for its retry, as a fresh job', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const failing = { 'u0-c': [httpError(500, 'InternalServerErrorException')] };
    const api = fakeApi(failing);
    const { queue, jobs } = fakeQueue();
    const { dir } = directory({}, { g1: sockets(1) });
    const fanOut = new FanOut(() => api.client, dir, { queue, concurrency: 2, baseDelayMs: 1 });
    // Time for one post, not for the wait before its retry (1 s at most) and another post.
    const report = await withInvocation(invocation(500), () =>
      fanOut.toUsers(['u0'], { type: 'x' }, { chat: group }),
    );
    expect(report).toMatchObject({ delivered: 0, failed: 0, retried: 0, queued: 1 });
    expect(jobs.map((j) => [j.attempt, j.targets])).toEqual([[1, [['u0', 'u0-c']]]]);
  });

  it('counts the sockets as failed when the queue refuses them', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = slowApi();
    const { queue } = fakeQueue(true);
    const { dir } = directory({}, { g1: members });
    const fanOut = new FanOut(() => api.client, dir, { queue, concurrency: 2 });
    const report = await withInvocation(invocation(0), () =>
      fanOut.toUsers(ids, { type: 'x' }, { chat: group }),
    );
    expect(report.queued).toBe(0);
    expect(report.failed).toBe(6 - api.posted.length);
    expect(report.failed).toBeGreaterThan(0);
  });
});

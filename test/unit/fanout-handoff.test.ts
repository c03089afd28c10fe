/**
 * A request's posts refused on every attempt it makes (throttled, 5xx): with a queue they are handed
 * to the queue worker, which posts them again a little later, rather than given up (fanout.ts). A 410
 * never is (the socket is forgotten), nor a `presence` post (its announcement is rechecked instead:
 * lambdas/domain/presence-announce.ts).
 */
import { GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FanOut, LATE_DELAY_SECONDS, REQUEST_RESERVE_MS } from '../../lambdas/fanout/fanout.ts';
import { processFanOutJobs } from '../../lambdas/fanout/worker.ts';
import { withInvocation } from '../../lambdas/shared/budget.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { fakeApi, fakeDirectory, fakeQueue, httpError, serverError } from './fanout-fakes.ts';

const throttled = () => httpError(429, 'LimitExceededException');
const gone = () => new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } });
/** A route's invocation with a minute to go: time is never what stops a retry here. */
const invocation = { getRemainingTimeInMillis: () => REQUEST_RESERVE_MS + 60_000 };

/** A request's fan-out to ann (a1), bob (b1), cat (c1) and dan (d1), with a queue. */
function request(failures: Record<string, Error[]>) {
  const api = fakeApi(failures);
  const { dir, gone: forgotten } = fakeDirectory({ ann: ['a1'], bob: ['b1'], cat: ['c1'], dan: ['d1'] });
  const { queue, sends, jobs } = fakeQueue();
  const fanOut = new FanOut(() => api.client, dir, { queue, baseDelayMs: 1, maxAttempts: 3 });
  const metrics: MetricValues[] = [];
  const send = async (frame: { type: string }) => {
    const stop = onMetrics((m) => metrics.push(m));
    try {
      return await withInvocation(invocation, () => fanOut.toUsers(['ann', 'bob', 'cat', 'dan'], frame));
    } finally {
      stop();
    }
  };
  return { api, dir, forgotten, sends, jobs, metrics, send };
}

const queuedIds = (sends: ReturnType<typeof fakeQueue>['sends']) =>
  sends.map((s) => [s.jobs.flatMap((j) => j.targets.map(([, c]) => c)).sort(), s.delaySeconds]);

describe('a request’s posts refused on every attempt', () => {
  it('go to the queue (a second later, not counted as failed), and its worker posts them', async () => {
    const r = request({
      a1: [serverError(), serverError(), serverError()],
      b1: [throttled(), throttled(), throttled()],
      c1: [gone()],
    });
    const report = await r.send({ type: 'message.created' });
    expect(report).toEqual({ delivered: 1, gone: 1, connecting: 0, failed: 0, retried: 4, queued: 2 });
    // The gone socket is forgotten, never queued; the refused ones go as one fresh job.
    expect(r.forgotten).toEqual(['-/cat/c1']);
    expect(queuedIds(r.sends)).toEqual([[['a1', 'b1'], LATE_DELAY_SECONDS]]);
    expect(r.jobs.map((j) => j.attempt)).toEqual([1]);
    expect(r.metrics).toEqual([{ FanOutPosts: 1, FanOutRetries: 4, StaleConnectionsRemoved: 1 }]);
    expect(r.api.delivered.map((d) => d.connectionId)).toEqual(['d1']);

    // The worker (its fan-out has no queue) posts the job once the Management API answers again.
    const worker = new FanOut(() => r.api.client, r.dir, { baseDelayMs: 1 });
    const event = {
      Records: r.jobs.map((job, i) => ({ messageId: `m${i}`, body: JSON.stringify(job) })),
    } as unknown as SQSEvent;
    await expect(processFanOutJobs(event, { fanOut: worker, queue: undefined })).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(r.api.delivered.map((d) => d.connectionId).sort()).toEqual(['a1', 'b1', 'd1']);
    expect(new Set(r.api.delivered.map((d) => d.data))).toEqual(new Set(['{"type":"message.created"}']));
  });

  it('count as failed when the queue refuses them too', async () => {
    const api = fakeApi({ a1: [serverError(), serverError(), serverError()] });
    const { dir } = fakeDirectory({ ann: ['a1'], bob: ['b1'] });
    const { queue } = fakeQueue(true);
    const fanOut = new FanOut(() => api.client, dir, { queue, baseDelayMs: 1 });
    const metrics: MetricValues[] = [];
    const stop = onMetrics((m) => metrics.push(m));
    const report = await withInvocation(invocation, () =>
      fanOut.toUsers(['ann', 'bob'], { type: 'message.created' }),
    ).finally(stop);
    expect(report).toMatchObject({ delivered: 1, failed: 1, queued: 0 });
    expect(metrics.reduce((n, m) => n + (m.FanOutFailures ?? 0), 0)).toBe(1);
  });

  it('of a presence event are not queued: they count as failed, and the announcement is rechecked', async () => {
    const r = request({ a1: [serverError(), serverError(), serverError()], c1: [gone()] });
    const report = await r.send({ type: 'presence' });
    expect(report).toMatchObject({ delivered: 2, gone: 1, failed: 1, queued: 0 });
    expect(r.sends).toEqual([]);
  });

  it('are not queued without a queue: they count as failed', async () => {
    const api = fakeApi({ a1: [serverError(), serverError(), serverError()] });
    const { dir } = fakeDirectory({ ann: ['a1'] });
    const report = await withInvocation(invocation, () =>
      new FanOut(() => api.client, dir, { baseDelayMs: 1 }).toUsers(['ann'], { type: 'message.created' }),
    );
    expect(report).toMatchObject({ delivered: 0, failed: 1, queued: 0 });
  });
});

/**
 * The fan-out worker under a Management API throttle longer than a few seconds (lifecycle review):
 * an open socket must still get the event once the throttle is over, and a socket whose posts never
 * succeed must end in the dead-letter queue (a batch item failure on the last attempt), never be
 * dropped silently. The SQS queue is played by the test: each queued job runs after its delay on
 * the test's clock, a reported record runs again after its `retryLater` backoff.
 */
import { GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FanOut } from '../../lambdas/fanout/fanout.ts';
import { type FanOutJob, planJobs } from '../../lambdas/fanout/jobs.ts';
import { MAX_JOB_ATTEMPTS, processFanOutJobs, retryDelaySeconds } from '../../lambdas/fanout/worker.ts';
import { retryBackoffSeconds } from '../../lambdas/queue/retry-later.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import { fakeApi, fakeDirectory, fakeQueue, serverError } from './fanout-fakes.ts';

const FRAME = '{"type":"message.created","message":{"chatId":"g1","seq":9}}';

/**
 * Runs `first` and every job it leads to as SQS would, on a test clock (ms): `failing(id, now)`
 * says whether a post to that socket fails then. Returns what was posted and what SQS did.
 */
async function drain(first: FanOutJob[], failing: (connectionId: string, now: number) => boolean) {
  let now = 0;
  const api = fakeApi();
  const posted: string[] = [];
  const calls: { connectionId: string; at: number }[] = [];
  const client = {
    async send(command: { input: { ConnectionId?: string } }) {
      const id = command.input.ConnectionId as string;
      calls.push({ connectionId: id, at: now });
      if (id.startsWith('gone')) {
        throw new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } });
      }
      if (failing(id, now)) throw serverError();
      posted.push(id);
      return {};
    },
  };
  const { dir, gone } = fakeDirectory();
  const fanOut = new FanOut(() => client as unknown as typeof api.client, dir, {
    baseDelayMs: 1,
    maxAttempts: 2,
  });
  const { queue, sends } = fakeQueue();
  /** Messages waiting in the "queue": when each is visible, its body and receive count. */
  const pending: { at: number; body: string; receives: number; id: string }[] = first.map((job, i) => ({
    at: 0,
    body: JSON.stringify(job),
    receives: 0,
    id: `m${i}`,
  }));
  const deadLetters: string[] = [];
  let next = first.length;
  while (pending.length > 0) {
    pending.sort((a, b) => a.at - b.at);
    const message = pending.shift() as (typeof pending)[number];
    now = Math.max(now, message.at);
    message.receives += 1;
    const record = {
      messageId: message.id,
      body: message.body,
      attributes: { SentTimestamp: String(now), ApproximateReceiveCount: String(message.receives) },
    } as unknown as SQSRecord;
    let backoff: number | undefined;
    const sent = sends.length;
    const out = await processFanOutJobs({ Records: [record] } as SQSEvent, {
      fanOut,
      queue,
      now: () => now,
      retryLater: async (r) => {
        backoff = retryBackoffSeconds(Number(r.attributes.ApproximateReceiveCount));
      },
    });
    for (const send of sends.slice(sent)) {
      expect(send.delaySeconds ?? 0).toBeLessThanOrEqual(900);
      for (const job of send.jobs) {
        pending.push({
          at: now + (send.delaySeconds ?? 0) * 1000,
          body: JSON.stringify(job),
          receives: 0,
          id: `m${next++}`,
        });
      }
    }
    if (out.batchItemFailures.some((f) => f.itemIdentifier === message.id)) {
      if (message.receives >= FANOUT_WORKER.maxReceiveCount) deadLetters.push(message.body);
      else pending.push({ ...message, at: now + (backoff ?? 6 * FANOUT_WORKER.timeoutSeconds) * 1000 });
    }
  }
  return { posted, calls, gone, deadLetters, endedAt: now };
}

describe('the fan-out worker under a long Management API throttle', () => {
  it('still posts the event, exactly once, to a socket whose posts fail for 10 s', async () => {
    const run = await drain(
      planJobs([{ userId: 'bob', connectionId: 'open-1' }], FRAME, 'g1', 10),
      (_id, now) => now < 10_000,
    );
    expect(run.posted).toEqual(['open-1']);
    expect(run.deadLetters).toEqual([]);
  });

  it('still posts to a socket whose posts fail for two minutes', async () => {
    const run = await drain(
      planJobs([{ userId: 'bob', connectionId: 'open-1' }], FRAME, 'g1', 10),
      (_id, now) => now < 120_000,
    );
    expect(run.posted).toEqual(['open-1']);
    expect(run.deadLetters).toEqual([]);
  });

  it('moves a job whose posts never succeed to the dead-letter queue, after minutes of retries', async () => {
    const targets = [
      { userId: 'bob', connectionId: 'open-1' },
      { userId: 'bob', connectionId: 'open-2' },
      { userId: 'ann', connectionId: 'gone-1' },
    ];
    const run = await drain(planJobs(targets, FRAME, 'g1', 10), (id) => id === 'open-1');
    expect(run.posted).toEqual(['open-2']);
    // Only the failing socket ends in the dead-letter queue, with the frame to redrive.
    expect(run.deadLetters.map((b) => JSON.parse(b) as FanOutJob)).toEqual([
      { v: 1, chatId: 'g1', frame: FRAME, targets: [['bob', 'open-1']], attempt: MAX_JOB_ATTEMPTS },
    ]);
    // The 410 was never retried: one post, its socket forgotten.
    expect(run.calls.filter((c) => c.connectionId === 'gone-1')).toHaveLength(1);
    expect(run.gone).toEqual(['g1/ann/gone-1']);
    // Retried for minutes (not the 6 s of three jobs), within the fan-out queue's 1-day retention.
    expect(run.endedAt).toBeGreaterThan(4 * 60_000);
    expect(run.endedAt).toBeLessThan(10 * 60_000);
    expect(Array.from({ length: 8 }, (_, i) => retryDelaySeconds(i + 1))).toEqual([
      2, 4, 8, 16, 32, 60, 120, 120,
    ]);
  });
});

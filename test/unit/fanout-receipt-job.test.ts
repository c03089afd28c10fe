/**
 * A receipt's lookup job (`maxSockets`: a group's roster could not be read in the request,
 * lambdas/domain/receipts.ts): the worker looks its users up, as for any lookup job, and applies the
 * receipt rule to what it finds: posted to their sockets when they have at most `maxSockets` open,
 * to none when more. A lookup still failing makes SQS deliver the job again.
 */
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FanOut } from '../../lambdas/fanout/fanout.ts';
import { decodeJob, type FanOutJob, planLookupJob } from '../../lambdas/fanout/jobs.ts';
import { processFanOutJobs } from '../../lambdas/fanout/worker.ts';
import { fakeApi, fakeDirectory, fakeQueue } from './fanout-fakes.ts';

const frame = '{"type":"message.read","chatId":"g1","userId":"ann","lastReadSeq":3}';
const eventOf = (job: FanOutJob): SQSEvent =>
  ({ Records: [{ messageId: 'm0', body: JSON.stringify(job) }] }) as unknown as SQSEvent;

function run(sockets: Record<string, string[]>, unreachable = new Set<string>()) {
  const api = fakeApi();
  const { dir, lookedUp } = fakeDirectory(sockets, {}, unreachable);
  const fanOut = new FanOut(() => api.client, dir);
  const job = planLookupJob(['bob', 'cat'], frame, undefined, 'g1', 3);
  return { api, lookedUp, job, deps: { fanOut, queue: fakeQueue().queue } };
}

describe('a receipt’s lookup job', () => {
  it('decodes, and nothing malformed of it', () => {
    const { job } = run({});
    expect(job).toMatchObject({ chatId: 'g1', users: ['bob', 'cat'], maxSockets: 3 });
    expect(decodeJob(JSON.stringify(job))).toEqual(job);
    expect(decodeJob(JSON.stringify({ ...job, maxSockets: '3' }))).toBeUndefined();
    expect(decodeJob(JSON.stringify({ ...job, maxSockets: 1.5 }))).toBeUndefined();
  });

  it('posts to its users’ sockets when they have at most maxSockets open', async () => {
    // The reader's (ann's) are not its users': the request told them.
    const { api, lookedUp, job, deps } = run({ ann: ['a1', 'a2'], bob: ['b1', 'b2'], cat: ['c1'] });
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({ batchItemFailures: [] });
    expect(lookedUp).toEqual(['bob', 'cat']);
    expect(api.delivered.map((d) => d.connectionId).sort()).toEqual(['b1', 'b2', 'c1']);
    expect(api.delivered[0]?.data).toBe(frame);
  });

  it('posts to nobody when they have more', async () => {
    const { api, job, deps } = run({ bob: ['b1', 'b2'], cat: ['c1', 'c2'] });
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({ batchItemFailures: [] });
    expect(api.delivered).toEqual([]);
  });

  it('has SQS deliver it again while a lookup fails, counting every user once it succeeds', async () => {
    const unreachable = new Set(['cat']);
    const { api, job, deps } = run({ bob: ['b1', 'b2'], cat: ['c1', 'c2'] }, unreachable);
    // bob's two sockets alone are within the rule: nothing is posted before cat's are known.
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }],
    });
    expect(api.delivered).toEqual([]);
    unreachable.clear();
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({ batchItemFailures: [] });
    expect(api.delivered).toEqual([]);
  });
});

/**
 * A receipt's job (a group's roster could not be read in the request, lambdas/domain/receipts.ts):
 * it names the chat, the frame, the reader and the receipt rule (`maxSockets`), not the members. The
 * worker reads the group's roster again, once (up to `maxSockets` sockets: more, and it is posted to
 * none), leaves out the reader's sockets and posts to the rest; a roster still unreadable makes SQS
 * deliver the job again. Before, the job carried every other member and the worker looked each up
 * (one consistent Query per user, retried): ~200 Queries a receipt in a group of 200, about 79,000
 * a message while throttled, and one failed lookup delivered the whole job again.
 */
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FanOut, type Target } from '../../lambdas/fanout/fanout.ts';
import {
  decodeJob,
  type FanOutJob,
  planBlockedLookupJob,
  planReceiptJob,
} from '../../lambdas/fanout/jobs.ts';
import { processFanOutJobs } from '../../lambdas/fanout/worker.ts';
import { fakeApi, fakeDirectory, fakeQueue } from './fanout-fakes.ts';

const frame = '{"type":"message.read","chatId":"g1","userId":"ann","lastReadSeq":3}';
/**
 * As receipts.ts queues it (jobs.ts `planReceiptJob`) (written out: the job's shape is the contract
 * with the worker): version 2, which no worker from before the block filter decodes.
 */
const job: FanOutJob = { v: 2, chatId: 'g1', frame, targets: [], maxSockets: 3, reader: 'ann', attempt: 1 };
const eventOf = (j: FanOutJob): SQSEvent =>
  ({ Records: [{ messageId: 'm0', body: JSON.stringify(j) }] }) as unknown as SQSEvent;
const socketsOf = (userId: string, n: number): Target[] =>
  Array.from({ length: n }, (_, i) => ({ userId, connectionId: `${userId}${i + 1}` }));

function run(listed: Target[], unreachable = new Set<string>()) {
  const api = fakeApi();
  const { dir, lookedUp, rosterReads } = fakeDirectory({}, { g1: listed }, unreachable);
  const fanOut = new FanOut(() => api.client, dir);
  return { api, lookedUp, rosterReads, deps: { fanOut, queue: fakeQueue().queue } };
}

describe('a receipt’s job', () => {
  it('decodes, and nothing malformed of it', () => {
    expect(planReceiptJob('g1', frame, 'ann', 3)).toEqual(job);
    expect(decodeJob(JSON.stringify(job))).toEqual(job);
    // One an older request queued (version 1, during a deploy) is still run, blocks read all the same.
    expect(decodeJob(JSON.stringify({ ...job, v: 1 }))).toEqual({ ...job, v: 1 });
    const { reader: _reader, ...noReader } = job;
    expect(decodeJob(JSON.stringify(noReader))).toBeUndefined();
    const { chatId: _chatId, ...noChat } = job;
    expect(decodeJob(JSON.stringify(noChat))).toBeUndefined();
    expect(decodeJob(JSON.stringify({ ...job, maxSockets: '3' }))).toBeUndefined();
    expect(decodeJob(JSON.stringify({ ...job, maxSockets: 1.5 }))).toBeUndefined();
    expect(decodeJob(JSON.stringify({ ...job, reader: 7 }))).toBeUndefined();
  });

  it('reads the roster once, not each member, and posts to its sockets but the reader’s', async () => {
    // A group of 200 members, three of them online: one Query, three posts.
    const { api, lookedUp, rosterReads, deps } = run([...socketsOf('ann', 2), ...socketsOf('bob', 1)]);
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({ batchItemFailures: [] });
    expect(rosterReads).toEqual(['g1']);
    expect(lookedUp).toEqual([]);
    // The reader's (ann's) were told by the request; they count toward the rule all the same.
    expect(api.delivered).toEqual([{ connectionId: 'bob1', data: frame }]);
  });

  it('posts to nobody when the roster lists more than maxSockets', async () => {
    const { api, deps } = run([...socketsOf('ann', 1), ...socketsOf('bob', 2), ...socketsOf('cat', 1)]);
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({ batchItemFailures: [] });
    expect(api.delivered).toEqual([]);
  });

  it('has SQS deliver it again while the roster cannot be read, then posts', async () => {
    const unreachable = new Set(['g1']);
    const { api, rosterReads, deps } = run(socketsOf('bob', 2), unreachable);
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }],
    });
    expect(api.delivered).toEqual([]);
    unreachable.clear();
    await expect(processFanOutJobs(eventOf(job), deps)).resolves.toEqual({ batchItemFailures: [] });
    expect(rosterReads).toEqual(['g1', 'g1']);
    expect(api.delivered.map((d) => d.connectionId).sort()).toEqual(['bob1', 'bob2']);
  });

  it('is refused by every older worker (a deploy, a rollback, a DLQ redrive): dropped, not posted to those the reader blocked', () => {
    // Up to 1ad5706, jobs.ts decodeJob took `v: 1` only, and that worker posted a receipt job to the
    // whole roster but the reader, blocks unread. From d43df0c it also took `v: 2`, only with `users`.
    const upTo1ad5706 = (j: Partial<FanOutJob>) => j.v === 1;
    const fromD43df0c = (j: Partial<FanOutJob>) =>
      j.v === 1 || (j.v === 2 && j.users !== undefined && j.reader !== undefined);
    const queued = JSON.parse(JSON.stringify(planReceiptJob('g1', frame, 'ann', 200))) as FanOutJob;
    expect(upTo1ad5706(queued)).toBe(false);
    expect(fromD43df0c(queued)).toBe(false);
  });

  it('leaves out the sockets of the users the reader has blocked, asking only when others are listed', async () => {
    const { api, deps } = run([...socketsOf('ann', 1), ...socketsOf('bob', 1), ...socketsOf('cat', 1)]);
    const asked: [string, string[]][] = [];
    const blockedBy = async (reader: string, ids: readonly string[]) => {
      asked.push([reader, [...ids].sort()]);
      return new Set(['bob']);
    };
    await expect(processFanOutJobs(eventOf(job), { ...deps, blockedBy })).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(asked).toEqual([['ann', ['bob', 'cat']]]);
    expect(api.delivered).toEqual([{ connectionId: 'cat1', data: frame }]);
    // Only the reader's own sockets listed: nothing asked.
    const alone = run(socketsOf('ann', 2));
    await processFanOutJobs(eventOf(job), { ...alone.deps, blockedBy });
    expect(asked).toHaveLength(1);
  });
});

describe('a direct chat’s receipt whose reader’s blocks could not be read', () => {
  /**
   * As receipts.ts queues it (jobs.ts `planBlockedLookupJob`): the other member and the reader, at
   * version 2, which no worker before it decodes (they would post it to the peer, `reader` unread).
   */
  const lookup: FanOutJob = { v: 2, frame, targets: [], users: ['bob'], reader: 'ann', attempt: 1 };

  function runLookup(blocked: () => Promise<ReadonlySet<string>>) {
    const api = fakeApi();
    const { dir, lookedUp } = fakeDirectory({ bob: ['bob1'] });
    const fanOut = new FanOut(() => api.client, dir);
    const asked: string[] = [];
    const blockedBy = async (reader: string, ids: readonly string[]) => {
      asked.push(`${reader}:${ids.join(',')}`);
      return blocked();
    };
    return { api, lookedUp, asked, deps: { fanOut, queue: fakeQueue().queue, blockedBy } };
  }

  it('decodes, and nothing else at its version', () => {
    expect(planBlockedLookupJob(['bob'], frame, 'ann')).toEqual(lookup);
    expect(decodeJob(JSON.stringify(lookup))).toEqual(lookup);
    const { reader: _reader, ...noReader } = lookup;
    expect(decodeJob(JSON.stringify(noReader))).toBeUndefined();
    expect(
      decodeJob(JSON.stringify({ ...lookup, users: undefined, targets: [['bob', 'bob1']] })),
    ).toBeUndefined();
    expect(decodeJob(JSON.stringify({ ...lookup, v: 3 }))).toBeUndefined();
  });

  it('is refused by an older worker (a deploy, a rollback, a DLQ redrive): dropped, not posted to the peer', () => {
    // Every worker before it (jobs.ts decodeJob up to cb36170) decodes only `v: 1` jobs, and drops
    // the others; one reading this job as a plain lookup job would post to a peer the reader blocked.
    const olderDecodes = (body: string) => (JSON.parse(body) as { v?: unknown }).v === 1;
    expect(olderDecodes(JSON.stringify(planBlockedLookupJob(['bob'], frame, 'ann')))).toBe(false);
  });

  it('reads the reader’s blocks, then posts to the peer they did not block', async () => {
    const { api, asked, deps } = runLookup(async () => new Set());
    await expect(processFanOutJobs(eventOf(lookup), deps)).resolves.toEqual({ batchItemFailures: [] });
    expect(asked).toEqual(['ann:bob']);
    expect(api.delivered).toEqual([{ connectionId: 'bob1', data: frame }]);
  });

  it('never looks up nor posts to a peer the reader blocked', async () => {
    const { api, lookedUp, deps } = runLookup(async () => new Set(['bob']));
    await expect(processFanOutJobs(eventOf(lookup), deps)).resolves.toEqual({ batchItemFailures: [] });
    expect(lookedUp).toEqual([]);
    expect(api.delivered).toEqual([]);
  });

  it('has SQS deliver it again while the blocks cannot be read', async () => {
    const { api, deps } = runLookup(async () => {
      throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    });
    await expect(processFanOutJobs(eventOf(lookup), deps)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }],
    });
    expect(api.delivered).toEqual([]);
  });
});

/**
 * Queue bodies older releases wrote (test/fixtures/old-forms/, emitted by their own encoders) as
 * head's workers meet them during a deploy: each decodes to what the old code meant (the chat, the
 * sockets, the recipients, the schedule's keys), and the fan-out ones are posted where they were
 * meant to go. A change to a decoder that drops or misreads one of them fails here.
 */
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { decodeFinishJob, decodeRetentionJob } from '../../lambdas/domain/retention-job-codec.ts';
import { decodeSafetyNetJob } from '../../lambdas/domain/safety-net-jobs.ts';
import { FanOut } from '../../lambdas/fanout/fanout.ts';
import { decodeJob, targetsOf } from '../../lambdas/fanout/jobs.ts';
import { EPHEMERAL_MAX_AGE_MS, processFanOutJobs } from '../../lambdas/fanout/worker.ts';
import { DEFERRED_JOB_VERSION, decodePushJob, recipientsOf, sendsOf } from '../../lambdas/push/jobs.ts';
import { parseDueMessage } from '../../lambdas/queue/due-queue.ts';
import { bodyOf, itemOf, OLD_RELEASES, oldRelease } from '../support/old-forms.ts';
import { fakeApi, fakeDirectory, fakeQueue } from './fanout-fakes.ts';

const SENT_AT = 1_800_000_000_000;
const recordOf = (body: string) =>
  ({
    Records: [{ messageId: 'm0', body, attributes: { SentTimestamp: String(SENT_AT) } }],
  }) as unknown as SQSEvent;

/** Runs one body through head's fan-out worker (`ageMs` after it was sent); what was posted. */
async function work(
  body: string,
  opts: { ageMs?: number; roster?: Record<string, [string, string][]>; blocked?: string[] } = {},
) {
  const api = fakeApi();
  const rosters = Object.fromEntries(
    Object.entries(opts.roster ?? {}).map(([chatId, t]) => [
      chatId,
      t.map(([userId, connectionId]) => ({ userId, connectionId })),
    ]),
  );
  const { dir, rosterReads } = fakeDirectory({}, rosters);
  const blockReads: string[] = [];
  const result = await processFanOutJobs(recordOf(body), {
    fanOut: new FanOut(() => api.client, dir),
    queue: fakeQueue().queue,
    now: () => SENT_AT + (opts.ageMs ?? 0),
    blockedBy: async (reader, users) => {
      blockReads.push(reader);
      return new Set(users.filter((u) => opts.blocked?.includes(u)));
    },
  });
  return { result, delivered: api.delivered, rosterReads, blockReads };
}

describe.each(OLD_RELEASES)('fan-out jobs of %s', (commit) => {
  const release = oldRelease(commit);
  const ids = release.ids as NonNullable<typeof release.ids>;

  it('a group event: chatId, both sockets, the frame as written, posted to each', async () => {
    const body = bodyOf(release, 'fanout-group');
    const job = decodeJob(body);
    expect(job).toMatchObject({ v: 1, chatId: ids.group, attempt: 1 });
    expect(targetsOf(job as NonNullable<typeof job>).map((t) => t.userId)).toEqual(['bob', 'cat']);
    expect(JSON.parse(job?.frame ?? '')).toMatchObject({ type: 'message.created', chatId: ids.group });
    const { result, delivered } = await work(body);
    expect(result.batchItemFailures).toEqual([]);
    expect(delivered.map((d) => d.connectionId)).toEqual(
      targetsOf(job as NonNullable<typeof job>).map((t) => t.connectionId),
    );
    expect(delivered.every((d) => d.data === job?.frame)).toBe(true);
  });

  it('a retry of a direct chat’s failed socket: no chatId, its attempt kept', async () => {
    const job = decodeJob(bodyOf(release, 'fanout-direct-retry'));
    expect(job).toMatchObject({ v: 1, attempt: 3, targets: [['bob', ids.bobConnection]] });
    expect(job?.chatId).toBeUndefined();
    expect(JSON.parse(job?.frame ?? '')).toMatchObject({ type: 'message.created', chatId: ids.direct });
    expect((await work(bodyOf(release, 'fanout-direct-retry'))).delivered).toHaveLength(1);
  });
});

describe('6a65ccc’s other jobs', () => {
  const release = oldRelease('6a65ccc');
  const ids = release.ids as NonNullable<typeof release.ids>;
  const message = itemOf(release, 'message-group');

  it('a presence job: posted while young, dropped once stale (by design)', async () => {
    const body = bodyOf(release, 'fanout-presence');
    expect(decodeJob(body)).toMatchObject({ v: 1, targets: [['bob', ids.bobConnection]] });
    expect((await work(body)).delivered).toHaveLength(1);
    expect((await work(body, { ageMs: EPHEMERAL_MAX_AGE_MS + 1 })).delivered).toEqual([]);
  });

  it('a push job of recipients: the message’s keys and title, each recipient’s chat unread', () => {
    const job = decodePushJob(bodyOf(release, 'push-recipients'));
    expect(job?.message).toEqual({
      chatId: ids.group,
      messageId: message.messageId,
      seq: message.seq,
      senderId: 'ann',
      title: 'Trio',
    });
    expect(job?.message.allocAt).toBeUndefined();
    expect(recipientsOf(job as NonNullable<typeof job>)).toEqual([
      { userId: 'bob', chatUnread: 1 },
      { userId: 'cat', chatUnread: 2 },
    ]);
    expect(job?.sends).toBeUndefined();
  });

  it('a deferred push job: its notifications and first queueing time', () => {
    const job = decodePushJob(bodyOf(release, 'push-deferred'));
    expect(job).toMatchObject({ v: DEFERRED_JOB_VERSION, recipients: [], since: 1_796_465_736_000 });
    expect(sendsOf(job as NonNullable<typeof job>)).toEqual([
      { userId: 'bob', deviceId: 'd_bob1', badge: 3, tried: 2 },
    ]);
  });

  it('retention jobs, fresh and continued: the chat, its TTL, where to go on; no other kind', () => {
    const fresh = bodyOf(release, 'retention-fresh');
    const continued = bodyOf(release, 'retention-continuation');
    expect(decodeRetentionJob(fresh)).toEqual({ v: 1, chatId: ids.group, expiresAt: 1_796_465_800 });
    expect(decodeRetentionJob(continued)).toEqual({
      v: 1,
      chatId: ids.group,
      expiresAt: 1_796_465_800,
      startKey: { pk: `CHAT#${ids.group}`, sk: 'MSG#000000000025' },
    });
    for (const body of [fresh, continued]) {
      expect(decodeFinishJob(body)).toBeUndefined();
      expect(decodeSafetyNetJob(body)).toBeUndefined();
    }
  });
});

describe.each(OLD_RELEASES)('the due queue of %s', (commit) => {
  it('names the stored schedule: its author, id and send time', () => {
    const release = oldRelease(commit);
    const stored = itemOf(release, 'scheduled-pending');
    expect(parseDueMessage(bodyOf(release, 'due'))).toEqual({
      userId: stored.userId,
      scheduledId: stored.scheduledId,
      sendAt: stored.sendAt,
    });
  });
});

describe('receipt jobs of dfeea12 (before a group’s became version 2)', () => {
  const release = oldRelease('dfeea12');
  const ids = oldRelease('6a65ccc').ids as NonNullable<ReturnType<typeof oldRelease>['ids']>;

  it('a group’s version 1 job is still run: the roster read again, blocks read, the reader left out', async () => {
    const body = bodyOf(release, 'receipt-group-v1');
    expect(decodeJob(body)).toMatchObject({
      v: 1,
      chatId: ids.group,
      maxSockets: 200,
      reader: 'bob',
      targets: [],
    });
    const roster: [string, string][] = [
      ['ann', 'a1'],
      ['bob', 'b1'],
      ['cat', 'c1'],
    ];
    const { delivered, rosterReads, blockReads } = await work(body, {
      roster: { [ids.group]: roster },
      blocked: ['cat'],
    });
    expect(rosterReads).toEqual([ids.group]);
    expect(blockReads).toEqual(['bob']);
    expect(delivered.map((d) => d.connectionId)).toEqual(['a1']);
  });

  it('a direct chat’s version 2 lookup job: the reader’s blocks read before the peer is looked up', () => {
    const job = decodeJob(bodyOf(release, 'receipt-direct-blocked-lookup-v2'));
    expect(job).toMatchObject({ v: 2, users: ['ann'], reader: 'bob', targets: [] });
    expect(JSON.parse(job?.frame ?? '')).toMatchObject({
      type: 'message.read',
      chatId: ids.direct,
      userId: 'bob',
    });
  });
});

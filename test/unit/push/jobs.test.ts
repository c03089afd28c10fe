/**
 * Push jobs (lambdas/push/jobs.ts) and the push worker's handling of them (lambdas/push/worker.ts),
 * over mocked repositories: a message's recipients split into jobs that carry what the worker needs
 * (the message's keys and title, each recipient's unread count in the chat), bodies that are not a
 * job are dropped, and a job whose reads fail is handed back to SQS without failing the others.
 */
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeviceRecord, Platform } from '../../../lambdas/data/store.ts';
import { Counters } from '../../../lambdas/pipeline/metrics.ts';
import {
  decodePushJob,
  jobsFor,
  type PushJob,
  planPushJobs,
  recipientsOf,
} from '../../../lambdas/push/jobs.ts';
import type { PushContent } from '../../../lambdas/push/payload.ts';
import type { PushProvider } from '../../../lambdas/push/provider.ts';
import { processPushJobs } from '../../../lambdas/push/worker.ts';
import { fakeDeps, groupChat, NOW } from '../domain/fakes.ts';
import { deviceRecord, LUNCH_MESSAGE, PUSH_MESSAGE, storeTargets } from './fixtures.ts';

const pushMessage = PUSH_MESSAGE;
const stored = LUNCH_MESSAGE;
const recipients = ['bob', 'carol', 'dave', 'erin', 'fred'].map((userId, i) => ({
  userId,
  chatUnread: i + 1,
}));

describe('planPushJobs / decodePushJob', () => {
  it('splits the recipients into jobs of at most the size, each carrying the message', () => {
    const jobs = planPushJobs(pushMessage, recipients, 2);
    expect(jobs.map((j) => j.recipients.length)).toEqual([2, 2, 1]);
    expect(jobs.flatMap(recipientsOf)).toEqual(recipients);
    for (const job of jobs) {
      expect(job.message).toEqual(pushMessage);
      expect(decodePushJob(JSON.stringify(job))).toEqual(job);
    }
    expect(planPushJobs(pushMessage, [], 2)).toEqual([]);
  });

  it('queues a message’s recipients only when they are more than a job', () => {
    const many = Array.from({ length: 201 }, (_, i) => ({ userId: `u${i}`, chatUnread: 1 }));
    expect(jobsFor(pushMessage, many.slice(0, 200), 200)).toBeUndefined();
    expect(jobsFor(pushMessage, many, 200)?.map((j) => j.recipients.length)).toEqual([200, 1]);
    expect(jobsFor(pushMessage, [], 200)).toBeUndefined();
  });

  it('keeps a direct chat’s missing title missing (the worker then reads the sender’s name)', () => {
    const [job] = planPushJobs({ ...pushMessage, title: undefined }, recipients.slice(0, 1), 10);
    expect(decodePushJob(JSON.stringify(job))?.message.title).toBeUndefined();
  });

  it('refuses what is not a job', () => {
    const good = JSON.parse(JSON.stringify(planPushJobs(pushMessage, recipients, 10)[0])) as Record<
      string,
      unknown
    >;
    const bad: unknown[] = [
      null,
      [],
      'text',
      { ...good, v: 2 },
      { ...good, message: undefined },
      { ...good, message: { ...pushMessage, chatId: '' } },
      { ...good, message: { ...pushMessage, seq: 1.5 } },
      { ...good, message: { ...pushMessage, senderId: 7 } },
      { ...good, message: { ...pushMessage, title: 3 } },
      { ...good, recipients: 'bob' },
      { ...good, recipients: [['bob']] },
      { ...good, recipients: [['bob', -1]] },
      { ...good, recipients: [['bob', 1.5]] },
      { ...good, recipients: [['', 1]] },
    ];
    for (const body of bad) expect(decodePushJob(JSON.stringify(body)), JSON.stringify(body)).toBeUndefined();
    expect(decodePushJob('{not json')).toBeUndefined();
  });
});

describe('processPushJobs', () => {
  let t: ReturnType<typeof fakeDeps>;
  let sent: { token: string; content: PushContent }[];
  const provider: PushProvider = {
    platform: 'apns',
    send: async (token, content) => {
      sent.push({ token, content });
      return { kind: 'sent', status: 200 };
    },
    close: () => undefined,
  };
  const deviceOf = (userId: string): DeviceRecord => deviceRecord(userId);
  const event = (...bodies: string[]): SQSEvent =>
    ({ Records: bodies.map((body, i) => ({ messageId: `q${i}`, body })) }) as unknown as SQSEvent;
  let retried: string[];
  const run = (e: SQSEvent) => {
    const counters = new Counters('test');
    const providers = new Map<Platform, PushProvider>([['apns', provider]]);
    return processPushJobs(e, {
      plan: { store: t.deps.store, now: t.deps.now },
      delivery: { providers, removeDevice: async () => undefined, counters },
      counters,
      retryLater: async (record) => {
        retried.push(record.messageId);
      },
    });
  };

  beforeEach(() => {
    t = fakeDeps();
    sent = [];
    retried = [];
    t.store.messages.get.mockResolvedValue(stored);
    t.store.chats.getChat.mockResolvedValue(groupChat('alice', ['alice']).chat);
    storeTargets(t.store, (userId) => ({
      online: userId === 'carol',
      devices: [deviceOf(userId)],
    }));
  });

  it('notifies the job’s offline recipients, with their unread count in the chat as the badge', async () => {
    const [job] = planPushJobs(pushMessage, recipients.slice(0, 3), 10) as [PushJob];
    expect(await run(event(JSON.stringify(job)))).toEqual({ batchItemFailures: [] });
    expect(sent.map((s) => [s.token, s.content.badge, s.content.title, s.content.body]).sort()).toEqual([
      ['bob-token', 1, 'Team', 'Lunch at noon?'],
      ['dave-token', 3, 'Team', 'Lunch at noon?'],
    ]);
    // The message is read again, consistently, once for the job.
    expect(t.store.messages.get).toHaveBeenCalledExactlyOnceWith('g1', 5, { consistent: true });
  });

  it('drops a body that is not a job, and hands a job whose reads fail back to SQS alone', async () => {
    const [first, second] = planPushJobs(
      pushMessage,
      [recipients[0], recipients[3]].flatMap((r) => r ?? []),
      1,
    );
    t.store.devices.pushTargets.mockRejectedValueOnce(new Error('throttled'));
    const result = await run(event(JSON.stringify(first), 'not a job', JSON.stringify(second)));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'q0' }] });
    expect(sent.map((s) => s.token)).toEqual(['erin-token']);
    // Received again after a short backoff, not the queue's visibility timeout (queue/retry-later.ts).
    expect(retried).toEqual(['q0']);
  });

  it('drops a job queued more than 15 minutes ago, as the push function drops old records', async () => {
    const [job] = planPushJobs(pushMessage, recipients, 10) as [PushJob];
    const at = (minutesAgo: number) =>
      ({
        Records: [
          {
            messageId: 'q0',
            body: JSON.stringify(job),
            attributes: { SentTimestamp: String(t.deps.now().getTime() - minutesAgo * 60_000) },
          },
        ],
      }) as unknown as SQSEvent;
    expect(await run(at(15.5))).toEqual({ batchItemFailures: [] });
    expect(sent).toEqual([]);
    expect(t.store.devices.pushTargets).not.toHaveBeenCalled();
    await run(at(14.5));
    expect(sent.map((s) => s.token).sort()).toEqual(['bob-token', 'dave-token', 'erin-token', 'fred-token']);
  });

  it('sends nothing for a message deleted since', async () => {
    t.store.messages.get.mockResolvedValue({ ...stored, deleted: true, text: '' });
    const [job] = planPushJobs(pushMessage, recipients, 10) as [PushJob];
    expect(await run(event(JSON.stringify(job)))).toEqual({ batchItemFailures: [] });
    expect(sent).toEqual([]);
  });

  it('sends nothing once the chat was deleted, or while it is being deleted (its messages stay until their TTL)', async () => {
    const [job] = planPushJobs(pushMessage, recipients, 10) as [PushJob];
    for (const chat of [undefined, { ...groupChat('alice', ['alice']).chat, deletedAt: NOW }]) {
      t.store.chats.getChat.mockResolvedValue(chat);
      expect(await run(event(JSON.stringify(job)))).toEqual({ batchItemFailures: [] });
      expect(sent).toEqual([]);
    }
    expect(t.store.chats.getChat).toHaveBeenCalledWith('g1', { consistent: true });
  });
});

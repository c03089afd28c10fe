/**
 * The push function's marks (lambdas/push/handler.ts `pushNewMessage`, lambdas/data/push-marks.ts),
 * over mocked repositories: a message is checked before its notifications are sent (beside the
 * planner's read of the message and its chat) or its jobs queued, skipped when marked, and marked
 * after everything was handed on; a message that notifies nobody costs no check and no mark; a mark
 * that cannot be written does not fail the record, nor do jobs the queue refuses once others went.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MESSAGE } from '../../../lambdas/data/items.ts';
import { JobsNotQueued } from '../../../lambdas/fanout/jobs.ts';
import { Counters } from '../../../lambdas/pipeline/metrics.ts';
import type { DeliveryDeps } from '../../../lambdas/push/deliver.ts';
import { pushNewMessage } from '../../../lambdas/push/handler.ts';
import type { PushJob, PushJobQueue } from '../../../lambdas/push/jobs.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { fakeDeps, groupChat, NOW } from '../domain/fakes.ts';
import { deviceRecord, LUNCH_MESSAGE, storeTargets } from './fixtures.ts';

const OTHERS = ['bob', 'carol', 'dave'];
let t: ReturnType<typeof fakeDeps>;
let sent: string[];
let queued: PushJob[];
let counters: Counters;
let delivery: DeliveryDeps;
let queue: PushJobQueue;

beforeEach(() => {
  t = fakeDeps();
  sent = [];
  queued = [];
  counters = new Counters('test');
  queue = { send: vi.fn(async (jobs: readonly PushJob[]) => void queued.push(...jobs)) };
  const provider = {
    platform: 'apns' as const,
    send: async (token: string) => {
      sent.push(token);
      return { kind: 'sent' as const, status: 200 };
    },
    close: () => undefined,
  };
  delivery = { providers: new Map([['apns', provider]]), removeDevice: async () => undefined, counters };
  t.store.chats.getWithMembers.mockResolvedValue(groupChat('alice', ['alice', ...OTHERS], { lastSeq: 5 }));
  t.store.messages.get.mockResolvedValue(LUNCH_MESSAGE);
  storeTargets(t.store, (userId) => ({
    online: false,
    connectionIds: [],
    devices: [deviceRecord(userId)],
  }));
});

const push = (jobSize = 200) =>
  pushNewMessage(
    {
      plan: { store: t.deps.store, now: () => new Date(NOW) },
      delivery,
      counters,
      queue,
      jobSize,
      budget: undefined,
    },
    MESSAGE.toItem(LUNCH_MESSAGE),
    Date.parse(NOW),
  );
const { messageId } = LUNCH_MESSAGE;

describe('push marks', () => {
  it('marks a message once its notifications were sent, after checking it was not yet', async () => {
    await push();
    expect(sent.sort()).toEqual(OTHERS.map((u) => `${u}-token`));
    expect(t.store.pushMarks.has).toHaveBeenCalledExactlyOnceWith(messageId);
    expect(t.store.pushMarks.put).toHaveBeenCalledExactlyOnceWith(messageId, new Date(NOW));
    const [checked] = t.store.pushMarks.has.mock.invocationCallOrder;
    const [marked] = t.store.pushMarks.put.mock.invocationCallOrder;
    const [firstLookup] = t.store.devices.pushTargets.mock.invocationCallOrder;
    // Checked after the lookups (before the first send), marked after the sends.
    expect(firstLookup).toBeLessThan(checked as number);
    expect(checked).toBeLessThan(marked as number);
  });

  it('sends nothing for a message already marked (a retried batch)', async () => {
    t.store.pushMarks.has.mockResolvedValue(true);
    await push();
    await push(1);
    expect(sent).toEqual([]);
    expect(queued).toEqual([]);
    expect(t.store.pushMarks.put).not.toHaveBeenCalled();
    expect(counters.get('PushRepeatSkipped')).toBe(2);
  });

  it('reads the mark beside the message and its chat: one round of reads, not two', async () => {
    let inFlight = 0;
    let most = 0;
    const slow =
      <T>(value: T) =>
      async (): Promise<T> => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return value;
      };
    t.store.messages.get.mockImplementation(slow(LUNCH_MESSAGE));
    t.store.chats.getChat.mockImplementation(
      slow(groupChat('alice', ['alice', ...OTHERS], { lastSeq: 5 }).chat),
    );
    t.store.pushMarks.has.mockImplementation(slow(false));
    await push();
    expect(sent).toHaveLength(OTHERS.length);
    expect(most).toBe(3);
  });

  it('reads no badge for a message already marked', async () => {
    t.store.pushMarks.has.mockResolvedValue(true);
    await push();
    expect(sent).toEqual([]);
    expect(t.store.badges.bump).not.toHaveBeenCalled();
    expect(counters.get('PushRepeatSkipped')).toBe(1);
  });

  it('marks a message whose recipients were queued in jobs, after queueing them', async () => {
    await push(1);
    expect(queued).toHaveLength(OTHERS.length);
    expect(t.store.pushMarks.put).toHaveBeenCalledExactlyOnceWith(messageId, new Date(NOW));
    const [sentJobs] = vi.mocked(queue.send).mock.invocationCallOrder;
    const [marked] = t.store.pushMarks.put.mock.invocationCallOrder;
    expect(sentJobs).toBeLessThan(marked as number);
  });

  it('neither checks nor marks a message that notifies nobody', async () => {
    t.store.devices.pushTargets.mockResolvedValue({
      online: true,
      connectionIds: [],
      devices: [deviceRecord('x')],
    });
    await push();
    expect(sent).toEqual([]);
    expect(t.store.pushMarks.has).not.toHaveBeenCalled();
    expect(t.store.pushMarks.put).not.toHaveBeenCalled();
  });

  it('does not fail the record when the mark cannot be written (it is counted and logged)', async () => {
    const error = vi.spyOn(logger, 'error').mockImplementation(() => {});
    t.store.pushMarks.put.mockRejectedValue(new Error('throttled'));
    await expect(push()).resolves.toBeUndefined();
    expect(sent).toHaveLength(OTHERS.length);
    expect(counters.get('PushMarkFailed')).toBe(1);
    expect(error).toHaveBeenCalledWith(
      'push mark not written: a retry of its record would push it again',
      expect.objectContaining({ chatId: LUNCH_MESSAGE.chatId, messageId }),
    );
  });

  it('gives up the jobs the queue refused once others were queued, and marks the message', async () => {
    const error = vi.spyOn(logger, 'error').mockImplementation(() => {});
    // The mark, once written, is read back (a retry of the record would see it).
    t.store.pushMarks.has.mockImplementation(async () => t.store.pushMarks.put.mock.calls.length > 0);
    queue.send = vi.fn(async (jobs: readonly PushJob[]) => {
      queued.push(...jobs.slice(0, 2)); // SQS took two entries and kept refusing the third
      throw new JobsNotQueued(jobs.slice(2), jobs.length);
    });
    await expect(push(1)).resolves.toBeUndefined();
    await push(1); // a retry of the record (another record of its batch failed)
    expect(queued.map((j) => j.recipients[0]?.[0])).toEqual(['bob', 'carol']);
    expect(t.store.pushMarks.put).toHaveBeenCalledOnce();
    expect(counters.get('PushJobsQueued')).toBe(2);
    expect(counters.get('PushGivenUp')).toBe(1);
    expect(counters.get('PushRepeatSkipped')).toBe(1);
    expect(error).toHaveBeenCalledWith(
      'push jobs not queued: their notifications given up',
      expect.objectContaining({ messageId, jobs: 1, givenUp: 1 }),
    );
  });

  it('fails the record, unmarked, when the queue took none of its jobs (nothing went out)', async () => {
    queue.send = vi.fn(async () => {
      throw new Error('the queue is unreachable');
    });
    await expect(push(1)).rejects.toThrow('unreachable');
    expect(t.store.pushMarks.put).not.toHaveBeenCalled();
    expect(counters.get('PushGivenUp')).toBe(0);
  });

  it('fails the record, having sent nothing, when the check cannot be read', async () => {
    t.store.pushMarks.has.mockRejectedValue(new Error('throttled'));
    await expect(push()).rejects.toThrow('throttled');
    expect(sent).toEqual([]);
  });
});

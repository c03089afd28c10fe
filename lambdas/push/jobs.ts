/**
 * Push jobs: the recipients of one message's notifications, handed from the push function (a stream
 * consumer) to the push worker (lib/workers.ts `PUSH_WORKER`) when they are more than one invocation
 * should look up itself (`pushJobSize`, plan.ts). A job carries what the worker cannot read cheaply:
 * the message's keys and title, and each recipient's unread count in the message's chat (from the
 * member list the push function read); the worker looks each recipient up, reads the message again
 * and computes the badges (`planRecipients`). On AWS the queue is SQS (standard); locally the same
 * client talks to the in-process stand-in (local/queue.ts).
 *
 * A job may instead carry `sends` (version 2): notifications planned already (the device's id and
 * the badge) that an invocation deferred for want of time (budget.ts), with the attempts they had.
 * The worker looks each recipient up again (online now, or the device gone: nothing is sent; its
 * token is the one stored now, never one from the queue), reads the message again (deleted
 * meanwhile: nothing) and sends just those. The job waits what the provider asked for (`Retry-After`,
 * or the backoff) before it runs. `since` keeps the first queueing's time, so that deferring again
 * does not make an old notification young (`PUSH_JOB_MAX_AGE_MS`): an expired job's notifications
 * are counted as given up (worker.ts). A worker that knows only version
 * 1 drops a version 2 job as not a job (`PushJobsDropped`, logged): loud, not silent, while a
 * deployment rolls out.
 */
import { type JobQueue, JobsNotQueued } from '../fanout/jobs.ts';
import type { Counters } from '../pipeline/metrics.ts';
import { logger } from '../shared/logger.ts';
import type { DeferredPush } from './deliver.ts';
import type { PushMessage, PushRecipient } from './plan.ts';

/** Jobs of recipients to plan are version 1, jobs of deferred notifications version 2. */
export const PUSH_JOB_VERSION = 1;
export const DEFERRED_JOB_VERSION = 2;

/** A job queued longer ago is dropped: the push function drops records as old (lib/stream-consumers.ts). */
export const PUSH_JOB_MAX_AGE_MS = 15 * 60 * 1000;

/** A deferred notification: `[userId, deviceId, badge, attempts made]`. */
export type PushSend = readonly [string, string, number, number];

export interface PushJob {
  readonly v: typeof PUSH_JOB_VERSION | typeof DEFERRED_JOB_VERSION;
  readonly message: PushMessage;
  /** `[userId, chatUnread]` pairs. */
  readonly recipients: readonly (readonly [string, number])[];
  /** Deferred notifications to send as they are (module comment). */
  readonly sends?: readonly PushSend[];
  /** Epoch ms of the first queueing, when earlier than this job's own (a deferred job's). */
  readonly since?: number;
}

/** Deferred notifications per job (about 60 bytes each). */
export const DEFERRED_JOB_SIZE = 200;

export type PushJobQueue = JobQueue<PushJob>;

/** `items` in runs of at most `size`. */
const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Splits a message's recipients into jobs of at most `size`. */
export function planPushJobs(
  message: PushMessage,
  recipients: readonly PushRecipient[],
  size: number,
): PushJob[] {
  return chunks(recipients, size).map((part) => ({
    v: PUSH_JOB_VERSION,
    message,
    recipients: part.map((r) => [r.userId, r.chatUnread] as const),
  }));
}

/** The jobs of a message whose recipients are more than `size`; undefined: the push function plans them. */
export function jobsFor(
  message: PushMessage,
  recipients: readonly PushRecipient[],
  size: number,
): PushJob[] | undefined {
  return recipients.length > size ? planPushJobs(message, recipients, size) : undefined;
}

/** Jobs for notifications deferred for want of time (at most `DEFERRED_JOB_SIZE` each). */
export function deferredJobs(
  message: PushMessage,
  deferred: readonly DeferredPush[],
  since: number,
): PushJob[] {
  return chunks(deferred, DEFERRED_JOB_SIZE).map((part) => ({
    v: DEFERRED_JOB_VERSION,
    message,
    recipients: [],
    sends: part.map((d): PushSend => [d.device.userId, d.device.deviceId, d.content.badge, d.tried]),
    since,
  }));
}

/** SQS's longest delay. */
const MAX_DELAY_SECONDS = 900;

/**
 * Queues push jobs. The jobs the queue did not take (`JobsNotQueued`; any other error: all of them)
 * are thrown when nothing went out before them (`sent` false) and none of them was queued: the
 * record or job is then tried again, and it sends nothing twice. Otherwise they are given up
 * (`PushGivenUp`: a notification each, or a recipient each for jobs of recipients; logged), since
 * trying the record or job again would send (or queue) again what went out already.
 */
export async function queueJobs(
  queue: PushJobQueue,
  message: PushMessage,
  jobs: readonly PushJob[],
  counters: Counters,
  { sent, delaySeconds }: { readonly sent: boolean; readonly delaySeconds?: number },
): Promise<void> {
  try {
    await queue.send(jobs, delaySeconds ? { delaySeconds } : {});
    counters.add('PushJobsQueued', jobs.length);
  } catch (error) {
    const notQueued = error instanceof JobsNotQueued ? (error.jobs as readonly PushJob[]) : jobs;
    if (!sent && notQueued.length === jobs.length) throw error;
    counters.add('PushJobsQueued', jobs.length - notQueued.length);
    const givenUp = notQueued.reduce((n, job) => n + (job.sends?.length ?? job.recipients.length), 0);
    counters.add('PushGivenUp', givenUp);
    const { chatId, messageId } = message;
    logger.error('push jobs not queued: their notifications given up', {
      chatId,
      messageId,
      jobs: notQueued.length,
      givenUp,
      error,
    });
  }
}

/**
 * Queues deferred notifications (none: nothing), delayed by the longest wait one of them owes: the
 * invocation's way of handing on what it had no time for (the push function's and the worker's).
 * Those the provider's retry quota refused (deliver.ts) go in jobs of their own, which wait at least
 * as long as they have waited since `since` (30 s, 30 s, 1 min, 2, 4, 8 while the provider stays
 * down): a few more tries until their job expires (`PUSH_JOB_MAX_AGE_MS`, counted as given up by
 * the worker), not one every 30 s for 15 minutes. `sent`: whether any of the invocation's
 * notifications went out; then (or once some jobs are queued) what the queue refuses is given up
 * rather than thrown (`queueJobs`).
 */
export async function queueDeferred(
  queue: PushJobQueue,
  message: PushMessage,
  deferred: readonly DeferredPush[],
  since: number,
  counters: Counters,
  now = Date.now(),
  sent = true,
): Promise<void> {
  const refused = deferred.filter((d) => d.refused);
  let queuedSome = false;
  for (const part of [deferred.filter((d) => !d.refused), refused]) {
    if (part.length === 0) continue;
    const jobs = deferredJobs(message, part, since);
    const owed = Math.max(...part.map((d) => d.afterMs));
    const wait = part === refused ? Math.max(owed, now - since) : owed;
    const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.ceil(wait / 1000));
    await queueJobs(queue, message, jobs, counters, { sent: sent || queuedSome, delaySeconds });
    queuedSome = true;
  }
}

/** A deferred job's notifications: each recipient's device id, badge and the attempts made. */
export const sendsOf = (job: PushJob): { userId: string; deviceId: string; badge: number; tried: number }[] =>
  (job.sends ?? []).map(([userId, deviceId, badge, tried]) => ({ userId, deviceId, badge, tried }));

export const recipientsOf = (job: PushJob): PushRecipient[] =>
  job.recipients.map(([userId, chatUnread]) => ({ userId, chatUnread }));

const isId = (x: unknown): x is string => typeof x === 'string' && x.length > 0;
const isCount = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
const isSend = (s: unknown): boolean =>
  Array.isArray(s) && s.length === 4 && isId(s[0]) && isId(s[1]) && isCount(s[2]) && isCount(s[3]);

/** The job a queue message carries, or undefined when the body is not one (it is then dropped). */
export function decodePushJob(body: string): PushJob | undefined {
  let job: Partial<PushJob> | null;
  try {
    job = JSON.parse(body) as Partial<PushJob> | null;
  } catch {
    return undefined;
  }
  const m = job?.message as Partial<PushMessage> | undefined;
  const ok =
    job !== null &&
    typeof job === 'object' &&
    (job.v === PUSH_JOB_VERSION || job.v === DEFERRED_JOB_VERSION) &&
    m !== null &&
    typeof m === 'object' &&
    isId(m.chatId) &&
    isId(m.messageId) &&
    Number.isInteger(m.seq) &&
    isId(m.senderId) &&
    (m.title === undefined || typeof m.title === 'string') &&
    (m.allocAt === undefined || Number.isFinite(m.allocAt)) &&
    Array.isArray(job.recipients) &&
    job.recipients.every((r) => Array.isArray(r) && r.length === 2 && isId(r[0]) && isCount(r[1])) &&
    (job.v === DEFERRED_JOB_VERSION
      ? Array.isArray(job.sends) && job.sends.every(isSend) && job.recipients.length === 0
      : job.sends === undefined) &&
    (job.since === undefined || isCount(job.since));
  return ok ? (job as PushJob) : undefined;
}

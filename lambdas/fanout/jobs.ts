import type { Target } from './delivery.ts';

export const JOB_VERSION = 1;
/**
 * A receipt's job whose worker must leave out the users its `reader` blocked: a group's
 * (`planReceiptJob`) and a direct chat's whose reader's blocks could not be read
 * (`planBlockedLookupJob`). A version of its own, which every worker before it refuses (up to
 * 1ad5706 they decode `v: 1` only; from d43df0c `v: 2` only with `users`), and drops. Such a worker
 * reads no blocks: it would post the reader's receipt to users the reader blocked (during a deploy,
 * a rollback, or a DLQ redrive: docs/deploy.md).
 */
export const READER_JOB_VERSION = 2;

export interface FanOutJob {
  readonly v: typeof JOB_VERSION | typeof READER_JOB_VERSION;
  /** The group whose roster listed these sockets (a gone socket's entry is dropped from it). */
  readonly chatId?: string;
  /** The frame, serialized once. */
  readonly frame: string;
  /** `[userId, connectionId]` pairs. */
  readonly targets: readonly (readonly [string, string])[];
  /**
   * Users whose sockets the request could not look up (`SocketLookupFailed`, directory.ts): the
   * worker looks them up and posts to their sockets too (such a job has no `targets`).
   */
  readonly users?: readonly string[];
  /** The socket left out of the sockets of `users` (the sender's: it got the ack). */
  readonly exclude?: string;
  /**
   * A receipt's whose group's roster could not be read in the request (lambdas/domain/receipts.ts):
   * the worker reads `chatId`'s roster again (up to this many sockets; more: posted to none, the
   * receipt rule) and posts to its sockets but `reader`'s (such a job has no `targets` nor `users`).
   */
  readonly maxSockets?: number;
  /**
   * With `maxSockets`: the user whose receipt it is (their sockets were told, or are not to be).
   * With `users` (a direct chat's receipt whose reader's blocks could not be read): the worker reads
   * whom the reader blocked among `users` and leaves them out before looking the rest up.
   */
  readonly reader?: string;
  /**
   * An offline check, not a post: this user's last socket was found gone (410) and removed, and no
   * `$disconnect` may come; the worker runs what it would (presence.ts `wentOffline`).
   */
  readonly offline?: string;
  /**
   * A presence recheck, not a post: a change of this user was refused by the announcement budget;
   * the worker announces their state true now (presence.ts `recheckPresence`). Sent delayed.
   */
  readonly recheck?: string;
  /**
   * With `recheck`, the retry of a failed post whose mark could not be taken back: the state it
   * marked as announced (`presenceShown`), which the recheck takes back first (while it still is
   * that state), else the mark would deduplicate the retry away.
   */
  readonly unmark?: boolean;
  /** 1 for a fresh job; a job carrying the sockets whose posts failed is attempt + 1. */
  readonly attempt: number;
}

/** Splits the targets of one frame into jobs of at most `size` sockets. */
export function planJobs(
  targets: readonly Target[],
  frame: string,
  chatId: string | undefined,
  size: number,
  attempt = 1,
): FanOutJob[] {
  const jobs: FanOutJob[] = [];
  for (let i = 0; i < targets.length; i += size) {
    jobs.push({
      v: JOB_VERSION,
      ...(chatId !== undefined ? { chatId } : {}),
      frame,
      targets: targets.slice(i, i + size).map((t) => [t.userId, t.connectionId] as const),
      attempt,
    });
  }
  return jobs;
}

/**
 * A job of the users whose sockets are still to be looked up (all of them in one job). `chatId`:
 * the group whose roster could not be read, so that the worker drops from it the entries of the
 * sockets it finds gone (410), as a job of the roster's own sockets does.
 */
export function planLookupJob(
  userIds: readonly string[],
  frame: string,
  exclude: string | undefined,
  chatId?: string,
): FanOutJob {
  return {
    v: JOB_VERSION,
    ...(chatId !== undefined ? { chatId } : {}),
    frame,
    targets: [],
    users: [...userIds],
    ...(exclude ? { exclude } : {}),
    attempt: 1,
  };
}

/**
 * A group's receipt's job: `chatId`'s roster to read again, up to `maxSockets`
 * (`FanOutJob.maxSockets`), and `reader`'s blocks (`READER_JOB_VERSION`).
 */
export const planReceiptJob = (
  chatId: string,
  frame: string,
  reader: string,
  maxSockets: number,
): FanOutJob => ({
  v: READER_JOB_VERSION,
  chatId,
  frame,
  targets: [],
  maxSockets,
  reader,
  attempt: 1,
});

/**
 * A direct chat's receipt whose reader's block list could not be read (lambdas/domain/receipts.ts):
 * `userIds` (the other member) to look up once the worker has left out those `reader` blocked.
 */
export const planBlockedLookupJob = (
  userIds: readonly string[],
  frame: string,
  reader: string,
): FanOutJob => ({ ...planLookupJob(userIds, frame, undefined), v: READER_JOB_VERSION, reader });

/** The frame of an offline check job (never posted). */
export const OFFLINE_CHECK_FRAME = '{"type":"offline-check"}';

/** A job that checks whether `userId` went offline, and announces it (`offline`). */
export const planOfflineCheck = (userId: string): FanOutJob => ({
  v: JOB_VERSION,
  frame: OFFLINE_CHECK_FRAME,
  targets: [],
  offline: userId,
  attempt: 1,
});

/**
 * A job that announces `userId`'s true presence (`recheck`), once their budget's window is over or
 * after a failed post (taking back the mark `unmark` first, when given).
 */
export const planPresenceRecheck = (userId: string, unmark?: boolean): FanOutJob => ({
  v: JOB_VERSION,
  frame: OFFLINE_CHECK_FRAME,
  targets: [],
  recheck: userId,
  ...(unmark === undefined ? {} : { unmark }),
  attempt: 1,
});

/** How a `presence` frame starts (frames are `event()`'s: their type comes first). */
export const PRESENCE_FRAME = '{"type":"presence"';
const EPHEMERAL = [PRESENCE_FRAME, '{"type":"typing"'];
/** Whether a frame is `presence` or `typing`: worth nothing late (worker.ts, fanout.ts). */
export const isEphemeral = (frame: string): boolean => EPHEMERAL.some((prefix) => frame.startsWith(prefix));

export const targetsOf = (job: FanOutJob): Target[] =>
  job.targets.map(([userId, connectionId]) => ({ userId, connectionId }));

const isString = (x: unknown): x is string => typeof x === 'string' && x.length > 0;

/** A `READER_JOB_VERSION` job: a receipt's, with its reader, of `users` or of a group's roster. */
const isReaderJob = (job: Partial<FanOutJob>): boolean =>
  job.reader !== undefined &&
  (job.users !== undefined || (job.maxSockets !== undefined && job.chatId !== undefined));

/** The job a queue message carries, or undefined when the body is not one (it is then dropped). */
export function decodeJob(body: string): FanOutJob | undefined {
  let job: Partial<FanOutJob>;
  try {
    job = JSON.parse(body) as Partial<FanOutJob>;
  } catch {
    return undefined;
  }
  const ok =
    job !== null &&
    typeof job === 'object' &&
    (job.v === JOB_VERSION || (job.v === READER_JOB_VERSION && isReaderJob(job))) &&
    isString(job.frame) &&
    (job.chatId === undefined || isString(job.chatId)) &&
    Number.isInteger(job.attempt) &&
    Array.isArray(job.targets) &&
    job.targets.every((t) => Array.isArray(t) && t.length === 2 && isString(t[0]) && isString(t[1])) &&
    (job.users === undefined || (Array.isArray(job.users) && job.users.every(isString))) &&
    (job.exclude === undefined || isString(job.exclude)) &&
    (job.maxSockets === undefined || Number.isInteger(job.maxSockets)) &&
    (job.reader === undefined || isString(job.reader)) &&
    (job.offline === undefined || isString(job.offline)) &&
    (job.recheck === undefined || isString(job.recheck)) &&
    (job.unmark === undefined || typeof job.unmark === 'boolean');
  return ok ? (job as FanOutJob) : undefined;
}

export { type JobQueue, JobsNotQueued, jobQueueAt, packBatches, SqsJobQueue } from './job-queue.ts';

/**
 * What a retention queue message's body is (retention-jobs.ts): a deleted chat's retention job or a
 * deletion's finish job, decoded strictly; anything else is none of these (the worker then offers it
 * to the safety nets' and the account deletion's decoders, or drops it). The other kinds decode in
 * their own modules (safety-net-jobs.ts, account-deletion-job.ts).
 */
import { chatPk } from '../data/keys.ts';
import type { RetentionKey } from '../data/retention.ts';
import { type FinishDeletionJob, RETENTION_JOB_VERSION, type RetentionJob } from './retention-jobs.ts';

const isString = (x: unknown): x is string => typeof x === 'string' && x.length > 0;

/**
 * The job a queue message carries, or undefined when the body is not one (it is then dropped). A
 * `startKey` must lie in the job's own chat partition.
 */
export function decodeRetentionJob(body: string): RetentionJob | undefined {
  let job: Partial<RetentionJob> | null;
  try {
    job = JSON.parse(body) as Partial<RetentionJob> | null;
  } catch {
    return undefined;
  }
  if (job === null || typeof job !== 'object' || 'kind' in job) return undefined;
  const key = job.startKey as Partial<RetentionKey> | undefined;
  const ok =
    job.v === RETENTION_JOB_VERSION &&
    isString(job.chatId) &&
    Number.isInteger(job.expiresAt) &&
    (job.expiresAt as number) > 0 &&
    (key === undefined ||
      (key !== null && typeof key === 'object' && key.pk === chatPk(job.chatId) && isString(key.sk)));
  if (!ok) return undefined;
  const { v, chatId, expiresAt } = job as RetentionJob;
  return {
    v,
    chatId,
    expiresAt,
    ...(key ? { startKey: { pk: key.pk as string, sk: key.sk as string } } : {}),
  };
}

/** The finish job a queue message carries, or undefined when it is none. */
export function decodeFinishJob(body: string): FinishDeletionJob | undefined {
  let job: Partial<FinishDeletionJob> | null;
  try {
    job = JSON.parse(body) as Partial<FinishDeletionJob> | null;
  } catch {
    return undefined;
  }
  if (job === null || typeof job !== 'object' || job.kind !== 'finishDeletion') return undefined;
  if (job.v !== RETENTION_JOB_VERSION || !isString(job.chatId)) return undefined;
  return { v: job.v, kind: job.kind, chatId: job.chatId };
}

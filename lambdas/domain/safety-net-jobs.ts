/**
 * Two delayed jobs of the retention queue that, like a deletion's finish job (chat-deletion.ts), are
 * queued before a write that a stopped request could leave half done, and look when they come
 * (`RETENTION_FINISH_DELAY_SECONDS` later, beyond any request) at whether it was:
 *
 * - `finishCreation`: a group too big for one transaction is created in steps (its memberships
 *   batched, then `META`: lambdas/data/chats.ts `create`, group-keys.ts; `createdInSteps` says when).
 *   A request that stops between them leaves memberships without a chat: counted in their users'
 *   membership caps, listed on each of their `$connect`s, and impossible to leave (NOT_FOUND). The
 *   job finds `META` there (the creation finished: nothing to do) or absent, and then deletes the
 *   partition's memberships (a Query of its `MEMBER#` items; each transaction of 99 also checks that
 *   `META` is still absent) and clears its roster: as a removal does, their users' caps are given
 *   back. A group created with a `clientChatId` may be completed by a retry that takes its key over
 *   (group-keys.ts) while the job runs: its job carries the key and the claim it was queued for, and
 *   first marks the key abandoned while it still holds that claim (`groupKeys.abandon`), after which
 *   no completion can write `META`; a key taken over since is left to its new claimant, who queued
 *   its own job. Either the job or the completion wins, never both.
 * - `expireLeft`: a last member's leave deletes the membership and `META` in one transaction, then
 *   queues the partition's retention job. A request that stops between them would leave the rest of
 *   the partition (messages, claims, uploads, media) without a TTL for good. So the leave queues this
 *   job first, and no immediate one after (expireDeletedChat only when the queue refused this one):
 *   `META` gone when it comes, the leave happened and the retention job is queued now; there, the
 *   leave did not happen: nothing.
 *
 * Both are idempotent (deleting what is gone, a retention job run twice), so SQS may deliver them
 * again. A worker older than these kinds drops them as no retention job.
 */
import { createdInSteps } from '../data/group-steps.ts';
import type { GroupKeyRef } from '../data/items.ts';
import type { MemberRecord } from '../data/store.ts';
import { logger } from '../shared/logger.ts';
import type { Deps } from './deps.ts';
import { RETENTION_JOB_VERSION } from './retention-jobs.ts';

/** A keyed creation's key, and the claim (its `claimedAt`) the creation was written under. */
export interface CreationKey extends GroupKeyRef {
  readonly claimedAt: number;
}

export interface FinishCreationJob {
  readonly v: typeof RETENTION_JOB_VERSION;
  readonly kind: 'finishCreation';
  readonly chatId: string;
  /** A group created with a `clientChatId` (absent in jobs queued before this field existed). */
  readonly key?: CreationKey;
}

export interface ExpireLeftJob {
  readonly v: typeof RETENTION_JOB_VERSION;
  readonly kind: 'expireLeft';
  readonly chatId: string;
  /** The TTL to set, epoch seconds (the leave's time). */
  readonly expiresAt: number;
}

export type SafetyNetJob = FinishCreationJob | ExpireLeftJob;

/**
 * What a job found: `META` there (nothing to do), a key claimed again since (its claimant's job looks
 * after it), or `META` gone (memberships deleted, retention queued).
 */
export type SafetyNetOutcome = 'chat-exists' | 'key-taken-over' | 'memberships-deleted' | 'retention-queued';

/** The safety-net job a queue message carries, or undefined when it is none. */
export function decodeSafetyNetJob(body: string): SafetyNetJob | undefined {
  let job: { v?: unknown; kind?: unknown; chatId?: unknown; expiresAt?: unknown; key?: unknown } | null;
  try {
    job = JSON.parse(body) as typeof job;
  } catch {
    return undefined;
  }
  if (job === null || typeof job !== 'object' || job.v !== RETENTION_JOB_VERSION) return undefined;
  const { chatId } = job;
  if (typeof chatId !== 'string' || chatId.length === 0) return undefined;
  if (job.kind === 'finishCreation') {
    if (job.key === undefined) return { v: RETENTION_JOB_VERSION, kind: 'finishCreation', chatId };
    const key = decodeCreationKey(job.key);
    return key && { v: RETENTION_JOB_VERSION, kind: 'finishCreation', chatId, key };
  }
  const { expiresAt } = job;
  if (job.kind !== 'expireLeft' || typeof expiresAt !== 'number') return undefined;
  if (!Number.isInteger(expiresAt) || expiresAt <= 0) return undefined;
  return { v: RETENTION_JOB_VERSION, kind: 'expireLeft', chatId, expiresAt };
}

function decodeCreationKey(value: unknown): CreationKey | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { userId, clientChatId, claimedAt } = value as Record<string, unknown>;
  if (typeof userId !== 'string' || userId.length === 0) return undefined;
  if (typeof clientChatId !== 'string' || clientChatId.length === 0) return undefined;
  if (typeof claimedAt !== 'number' || !Number.isInteger(claimedAt)) return undefined;
  return { userId, clientChatId, claimedAt };
}

/**
 * Queues the job (delayed by the queue): whether it went. Without a queue, or when it refuses the
 * job (logged), the request goes on without it: it is a safety net, not a step.
 */
export async function queueSafetyNet(deps: Deps, job: SafetyNetJob): Promise<boolean> {
  const queue = deps.retentionQueue;
  if (!queue) return false;
  try {
    await queue.send(job);
    return true;
  } catch (error) {
    logger.error('retention queue unavailable: going on without the safety-net job', {
      chatId: job.chatId,
      kind: job.kind,
      error,
    });
    return false;
  }
}

/**
 * Before a group's creation writes anything: its `finishCreation` job when it is created in steps
 * (`createdInSteps`, as lambdas/data/chats.ts `create` and group-keys.ts write it); `key` for one
 * created with a `clientChatId`, whose key is part of the count.
 */
export async function queueCreationCheck(
  deps: Deps,
  chatId: string,
  members: readonly MemberRecord[],
  key?: CreationKey,
): Promise<void> {
  if (!createdInSteps(members.length, key !== undefined)) return;
  await queueFinishCreation(deps, chatId, key);
}

/** The `finishCreation` job itself: for a pending key taken over, always written in steps. */
export async function queueFinishCreation(deps: Deps, chatId: string, key?: CreationKey): Promise<void> {
  const job: FinishCreationJob = { v: RETENTION_JOB_VERSION, kind: 'finishCreation', chatId };
  await queueSafetyNet(deps, key ? { ...job, key } : job);
}

/** The job's look at `META` and, when it is gone, what follows (module comment). Throws on failure. */
export async function runSafetyNetJob(deps: Deps, job: SafetyNetJob): Promise<SafetyNetOutcome> {
  const { chatId } = job;
  if (job.kind === 'expireLeft') {
    if (await deps.store.chats.getChat(chatId, { consistent: true })) return 'chat-exists';
    const queue = deps.retentionQueue;
    if (!queue) throw new Error('no retention queue for the retention job of a chat left by its last member');
    await queue.send({ v: RETENTION_JOB_VERSION, chatId, expiresAt: job.expiresAt });
    return 'retention-queued';
  }
  // A keyed creation: from now on no completion writes META under the claim, or it was made already.
  if (job.key && !(await deps.store.groupKeys.abandon(job.key, chatId, job.key.claimedAt))) {
    return (await deps.store.chats.getChat(chatId, { consistent: true })) ? 'chat-exists' : 'key-taken-over';
  }
  const { chat, members } = await deps.store.chats.getWithMembers(chatId, { consistent: true });
  if (chat) return 'chat-exists';
  if (members.length === 0) return 'memberships-deleted';
  logger.warn('deleting the memberships of a group whose creation stopped before its META', {
    chatId,
    members: members.length,
  });
  const outcome = await deps.store.chats.deleteMembersWithoutChat(
    chatId,
    members.map((m) => m.userId),
  );
  if (outcome === 'chat-exists') return outcome;
  await deps.store.rosters.clear(chatId);
  return 'memberships-deleted';
}

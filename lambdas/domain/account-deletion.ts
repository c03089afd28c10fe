/**
 * Deleting an account (docs/security.md, "Deleting an account"): `deleteAccount`, the caller's own
 * (the App Store's in-app deletion, GDPR art. 17), and `deleteUser`, an administrator's of someone
 * else's. Irreversible. What is bounded by the user's own caps is done in the request:
 *
 * 1. The tombstone: the user's deactivation mark (`USER#<id>` / `DEACTIVATED`) with `deletedAt`
 *    (added to a mark there is, or created with it), and `deactivatedAt` on their socket count, so
 *    that `$connect` refuses them (401) from then on, the scheduled dispatcher posts none of their
 *    messages and the push planner sends them nothing. No TTL: the id stays refused for good.
 * 2. As `deactivateUser` (access-end.ts): their waiting schedules cancelled, their push devices
 *    removed, their sockets closed, but `deleteAccount`'s calling one (closed after its ack:
 *    lambdas/handlers/deleteAccount.ts).
 * 3. Their profile (display name, last seen, presence marks) and badge counter deleted.
 * 4. The `DeleteAccountJob` queued on the retention queue (account-jobs.ts), at once: the worker
 *    leaves their chats (erasing their messages first with `eraseMessages`) and removes their blocks.
 *
 * Repeating either is harmless: a repeat keeps the first `deletedAt`, finds nothing left of steps 2
 * and 3, and queues the job again (the job is idempotent). `eraseMessages` is kept on the tombstone
 * (set by the first call that asks, never cleared) and every job of the deletion reads it there: a
 * call that asks after the chats were left finds none to erase in (no author index), so the first
 * call decides, and a later one erases only in the chats the user is still in. Steps 2 and 3 are
 * `endAccount`, which the job's final pass runs again for what landed meanwhile. When the queue refuses the job the request fails (INTERNAL) with the
 * tombstone written: a repeat queues it. Busy counters or sockets left open are answered CONFLICT
 * after everything else ran, for a repeat to finish. Every call that wrote the tombstone is audited
 * (`npm run audit`: `deleteUser` with the administrator as actor, `deleteAccount` with the user).
 */
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { countMetric } from '../shared/metrics.ts';
import { type AccessEnded, endAccess, leftUndone } from './access-end.ts';
import type { DeleteAccountJob } from './account-jobs.ts';
import { recordAdminAction } from './admin.ts';
import { refuseCaller } from './deactivation.ts';
import type { Deps } from './deps.ts';
import { RETENTION_JOB_VERSION } from './retention-jobs.ts';

export interface DeleteAck {
  readonly userId: string;
  /** When the account was first deleted (a repeat keeps it). */
  readonly deletedAt: string;
  readonly eraseMessages: boolean;
  readonly scheduledCancelled: number;
  readonly devicesRemoved: number;
  readonly socketsClosed: number;
}

interface Deletion {
  readonly userId: string;
  readonly eraseMessages: boolean;
  readonly action: 'deleteAccount' | 'deleteUser';
  /** The socket not closed by the request (the caller's own, closed after the ack). */
  readonly keep?: string;
}

/** The caller deletes their own account; `connectionId`, the calling socket, stays open for the ack. */
export function deleteAccount(
  deps: Deps,
  caller: Caller,
  input: { readonly eraseMessages?: boolean | undefined },
  connectionId: string,
): Promise<DeleteAck> {
  const eraseMessages = input.eraseMessages ?? false;
  return deleteAccountOf(deps, caller, {
    userId: caller.userId,
    eraseMessages,
    action: 'deleteAccount',
    keep: connectionId,
  });
}

/** An administrator deletes another user's account (never their own: `deleteAccount`). */
export function deleteUser(
  deps: Deps,
  caller: Caller,
  input: { readonly userId: string; readonly eraseMessages?: boolean | undefined },
): Promise<DeleteAck> {
  const { userId } = input;
  if (userId === caller.userId)
    throw badRequest('"userId" must not be your own user id (deleteUser): use deleteAccount.');
  refuseCaller(caller, userId, 'deleteUser');
  return deleteAccountOf(deps, caller, {
    userId,
    eraseMessages: input.eraseMessages ?? false,
    action: 'deleteUser',
  });
}

async function deleteAccountOf(deps: Deps, caller: Caller, deletion: Deletion): Promise<DeleteAck> {
  const { userId, eraseMessages, action } = deletion;
  const now = deps.now().toISOString();
  // Both before the sockets are listed, as deactivateUser's marks (deactivation.ts).
  const [marked, counted] = await Promise.allSettled([
    deps.store.deactivations.markDeleted({ userId, deletedAt: now, actorId: caller.userId, eraseMessages }),
    deps.store.socketCount.markDeactivated(userId, now),
  ]);
  if (marked.status === 'rejected') throw marked.reason;
  // This call's or an earlier one's (the tombstone keeps it): what the job does, the ack and audit say.
  const erase = eraseMessages || marked.value.eraseMessages === true;
  const audit = () =>
    recordAdminAction(deps, caller, { action, userId, ...(erase ? { eraseMessages: true } : {}) });
  if (counted.status === 'rejected') {
    await audit();
    throw counted.reason;
  }
  const deletedAt = marked.value.deletedAt ?? now;
  try {
    const ended = await endAccount(deps, userId, deletion.keep);
    await queueJob(deps, { v: RETENTION_JOB_VERSION, kind: 'deleteAccount', userId, eraseMessages: erase });
    logger.info('account deleted', {
      action,
      deletedUserId: userId,
      actorId: caller.userId,
      eraseMessages: erase,
    });
    const left = leftUndone(ended);
    if (left.length > 0)
      throw conflict(`The account is deleted, but ${left.join(', ')}; call ${action} again to finish.`);
    return {
      userId,
      deletedAt,
      eraseMessages: erase,
      scheduledCancelled: ended.scheduled.done,
      devicesRemoved: ended.devices.done,
      socketsClosed: ended.sockets.done,
    };
  } finally {
    // The tombstone is written: audited whatever failed after it.
    await audit();
  }
}

/**
 * Steps 2 and 3 (module comment), bounded and by key: the request's, and the job's final pass again
 * (account-deletion-job.ts), for what landed during the deletion (a device registered on a socket
 * still open, a profile touched by a `$connect` in flight). What was left busy: `leftUndone`.
 */
export async function endAccount(deps: Deps, userId: string, keep?: string): Promise<AccessEnded> {
  const ended = await endAccess(deps, userId, { keep });
  // After the sockets' closes: a `$disconnect` that runs later does not bring them back (the
  // profile's last-seen is written only on a profile there is; no device is left to recount for).
  await Promise.all([deps.store.profiles.remove(userId), deps.store.badges.remove(userId)]);
  return ended;
}

/** Queues the job at once; without a queue, or refused, the request fails (a repeat queues it). */
async function queueJob(deps: Deps, job: DeleteAccountJob): Promise<void> {
  const queue = deps.retentionQueue;
  const fail = (error?: unknown) => {
    logger.error('account deletion job not queued: the tombstone is written; a repeat queues it', {
      deletedUserId: job.userId,
      eraseMessages: job.eraseMessages,
      error,
    });
    // Alarmed: a refusal the user never repeats leaves their chats unleft (docs/operations.md).
    countMetric('AccountDeletionNotQueued');
    return new Error('account deletion job not queued');
  };
  if (!queue) throw fail();
  await queue.send(job, { delayed: false }).catch((error: unknown) => {
    throw fail(error);
  });
}

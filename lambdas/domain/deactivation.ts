/**
 * Deactivating a user (administrators only; docs/security.md, "Ending a user's access"): the one
 * action that ends what a user revoked at the identity provider would otherwise keep.
 *
 * `deactivateUser` first stores the durable mark (`USER#<id>` / `DEACTIVATED`), so that from then on
 * the scheduled dispatcher posts none of their messages and the push planner sends them nothing, and
 * sets `deactivatedAt` on their socket count (`LIMIT#<id>` / `SOCKETS`), so that `$connect`'s claim
 * of a socket slot, the write it makes anyway, refuses their new sockets; whatever slips past the
 * steps below. Then, each bounded and reached by key or Query in the user's own partition:
 *
 * their waiting scheduled messages are cancelled (uploads given back), their push devices removed
 * with their token owner items, then their open sockets closed (access-end.ts, which an account's
 * deletion shares: account-deletion.ts). Their peers see them offline, which they stay while
 * deactivated (`$connect` refuses them).
 *
 * Memberships stay (as Stream's `deactivateUser` keeps them): the user's messages, their place in
 * each chat and the chats' member lists are as before, and `reactivateUser` (which removes both marks)
 * gives everything back but what was cancelled or removed. Every step can be repeated: a second call
 * finds nothing left to do and keeps the first mark's time and administrator. The three steps each
 * run to their end whatever the others do; what one left undone (busy counters, sockets the
 * Management API would not close) is answered CONFLICT after all ran, for a repeat to finish. Each
 * call that wrote the mark is recorded in the audit (`npm run audit`), whatever failed after it.
 * A deleted account's mark (its tombstone, `deletedAt`) is never removed: `reactivateUser` refuses it.
 */
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict, forbidden } from '../shared/errors.ts';
import { endAccess, leftUndone } from './access-end.ts';
import { recordAdminAction } from './admin.ts';
import type { Deps } from './deps.ts';

export interface DeactivateAck {
  readonly userId: string;
  /** When the user was first deactivated (a repeat keeps it). */
  readonly deactivatedAt: string;
  readonly scheduledCancelled: number;
  readonly devicesRemoved: number;
  readonly socketsClosed: number;
}

/** Administrators only (the contract's `adminOnly` refuses others first), and never on themselves. */
export function refuseCaller(caller: Caller, userId: string, action: string): void {
  if (!caller.admin) throw forbidden('Only administrators may do this.');
  if (userId === caller.userId) throw badRequest(`"userId" must not be your own user id (${action}).`);
}

export async function deactivateUser(
  deps: Deps,
  caller: Caller,
  input: { readonly userId: string },
): Promise<DeactivateAck> {
  const { userId } = input;
  refuseCaller(caller, userId, 'deactivateUser');
  const deactivatedAt = deps.now().toISOString();
  // Both before the sockets are listed: from the socket count's mark on, every `$connect` claim of
  // theirs is refused, so a handshake racing this call is refused or has claimed before the listing.
  const [marked, counted] = await Promise.allSettled([
    deps.store.deactivations.mark({ userId, deactivatedAt, actorId: caller.userId }),
    deps.store.socketCount.markDeactivated(userId, deactivatedAt),
  ]);
  if (marked.status === 'rejected') throw marked.reason;
  const mark = marked.value;
  if (counted.status === 'rejected') {
    // The mark is written: audited like every call that wrote it; a repeat finishes the rest.
    await recordAdminAction(deps, caller, { action: 'deactivateUser', userId });
    throw counted.reason;
  }
  // Each step runs to its end whatever the others do, and the call is audited once the mark is
  // written, whatever failed after it.
  const ended = await endAccess(deps, userId).finally(() =>
    recordAdminAction(deps, caller, { action: 'deactivateUser', userId }),
  );
  const left = leftUndone(ended);
  if (left.length > 0) {
    // Contention on the user's counters every time (their own pushes removing stale tokens, say), or
    // a socket the Management API would not close (throttled): the mark already stops those from
    // sending, pushing or connecting again; a repeat finishes the cleanup.
    throw conflict(`The user is deactivated, but ${left.join(', ')}; call deactivateUser again to finish.`);
  }
  const { scheduled, devices, sockets } = ended;
  return {
    userId,
    deactivatedAt: mark.deactivatedAt,
    scheduledCancelled: scheduled.done,
    devicesRemoved: devices.done,
    socketsClosed: sockets.done,
  };
}

export async function reactivateUser(
  deps: Deps,
  caller: Caller,
  input: { readonly userId: string },
): Promise<{ userId: string; wasDeactivated: boolean }> {
  const { userId } = input;
  refuseCaller(caller, userId, 'reactivateUser');
  // The mark first, the socket count's last: a failure between leaves them refused at `$connect`,
  // and a repeat (which finds no mark) still lets them in.
  const cleared = await deps.store.deactivations.clear(userId);
  if (cleared === 'deleted') {
    // The tombstone stays (nothing written, nothing audited): a deleted account stays refused.
    throw conflict(`User "${userId}" deleted their account (or was deleted); it cannot be reactivated.`);
  }
  const wasDeactivated = cleared === 'removed';
  try {
    await deps.store.socketCount.clearDeactivated(userId);
  } finally {
    // The mark is cleared: audited whether or not the socket count's followed (a repeat finishes it).
    await recordAdminAction(deps, caller, { action: 'reactivateUser', userId });
  }
  return { userId, wasDeactivated };
}

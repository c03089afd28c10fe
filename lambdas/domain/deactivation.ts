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
 * - their waiting scheduled messages (at most 100) are cancelled as `cancelScheduled` cancels them,
 *   uploads given back (`cancelPending`);
 * - their push devices (at most 20) are removed with their token owner items (`devices.remove`);
 * - their open sockets (at most the per-user cap) are closed (Management API DeleteConnection; each
 *   socket's `$disconnect` then leaves its rosters and tells their peers they went offline). A socket
 *   found gone already (410: no `$disconnect` will come) has its record removed by the fan-out's
 *   directory, which, when it was the user's last, queues their offline check on the fan-out queue
 *   (lambdas/domain/deps.ts `lastSocketGone`): either way their peers see them offline, which they
 *   stay while deactivated (`$connect` refuses them).
 *
 * Memberships stay (as Stream's `deactivateUser` keeps them): the user's messages, their place in
 * each chat and the chats' member lists are as before, and `reactivateUser` (which removes both marks)
 * gives everything back but what was cancelled or removed. Every step can be repeated: a second call
 * finds nothing left to do and keeps the first mark's time and administrator. The three steps each
 * run to their end whatever the others do; what one left undone (busy counters, sockets the
 * Management API would not close) is answered CONFLICT after all ran, for a repeat to finish. Each
 * call that wrote the mark is recorded in the audit (`npm run audit`), whatever failed after it.
 */
import type { ScheduledRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict, forbidden } from '../shared/errors.ts';
import { recordAdminAction } from './admin.ts';
import type { Deps } from './deps.ts';
import { cancelPending } from './scheduled-cancel.ts';

/** Sockets closed at once (at most the per-user cap are open). */
const CLOSE_CONCURRENCY = 8;

export interface DeactivateAck {
  readonly userId: string;
  /** When the user was first deactivated (a repeat keeps it). */
  readonly deactivatedAt: string;
  readonly scheduledCancelled: number;
  readonly devicesRemoved: number;
  readonly socketsClosed: number;
}

/** Administrators only (the contract's `adminOnly` refuses others first), and never on themselves. */
function refuseCaller(caller: Caller, userId: string, action: string): void {
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
  const steps = await Promise.allSettled([
    cancelSchedules(deps, userId),
    removeDevices(deps, userId),
    closeSockets(deps, userId),
  ]);
  await recordAdminAction(deps, caller, { action: 'deactivateUser', userId });
  const [scheduled, devices, sockets] = steps.map((step) => {
    if (step.status === 'rejected') throw step.reason;
    return step.value;
  }) as [Tally, Tally, Tally];
  if (scheduled.busy > 0 || devices.busy > 0 || sockets.busy > 0) {
    // Contention on the user's counters every time (their own pushes removing stale tokens, say), or
    // a socket the Management API would not close (throttled): the mark already stops those from
    // sending, pushing or connecting again; a repeat finishes the cleanup.
    const left = [
      scheduled.busy > 0 ? `${scheduled.busy} scheduled messages were busy` : '',
      devices.busy > 0 ? `${devices.busy} devices were busy` : '',
      sockets.busy > 0 ? `${sockets.busy} sockets could not be closed` : '',
    ].filter(Boolean);
    throw conflict(`The user is deactivated, but ${left.join(', ')}; call deactivateUser again to finish.`);
  }
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
  const wasDeactivated = await deps.store.deactivations.clear(userId);
  try {
    await deps.store.socketCount.clearDeactivated(userId);
  } finally {
    // The mark is cleared: audited whether or not the socket count's followed (a repeat finishes it).
    await recordAdminAction(deps, caller, { action: 'reactivateUser', userId });
  }
  return { userId, wasDeactivated };
}

interface Tally {
  done: number;
  busy: number;
}

/**
 * Cancels each waiting one, one at a time (each moves the user's pending count: in parallel they
 * would only contend). One that left `pending` meanwhile is a dispatcher's, which checks the mark.
 */
async function cancelSchedules(deps: Deps, userId: string): Promise<Tally> {
  const tally = { done: 0, busy: 0 };
  const waiting = await deps.store.scheduled.listPending(userId);
  for (const record of waiting.filter((r): r is ScheduledRecord => r.status === 'pending')) {
    const outcome = await cancelPending(deps, record);
    if (outcome === 'finished') tally.done++;
    else if (outcome === 'busy') tally.busy++;
  }
  return tally;
}

/** Removes each device with its token owner item, one at a time (each moves the device count). */
async function removeDevices(deps: Deps, userId: string): Promise<Tally> {
  const tally = { done: 0, busy: 0 };
  const { devices } = await deps.store.devices.getState(userId);
  for (const device of devices) {
    const outcome = await deps.store.devices.remove(device);
    if (outcome === 'removed') tally.done++;
    else if (outcome === 'busy') tally.busy++;
  }
  return tally;
}

/**
 * Closes every open socket of the user (one consistent Query, one DeleteConnection each, retried
 * when throttled: lambdas/fanout/close.ts). `done` counts the sockets this call closed (one found
 * gone already is forgotten, not counted: a repeat answers zero); `busy`, those still open, or that
 * may yet open (a 410 inside its `$connect`), which a repeat closes.
 */
async function closeSockets(deps: Deps, userId: string): Promise<Tally> {
  const tally = { done: 0, busy: 0 };
  const ids = await deps.store.connections.listIds(userId, { consistent: true });
  for (let i = 0; i < ids.length; i += CLOSE_CONCURRENCY) {
    const batch = ids.slice(i, i + CLOSE_CONCURRENCY);
    const outcomes = await Promise.allSettled(
      batch.map((connectionId) => deps.fanOut.close({ userId, connectionId })),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled' && outcome.value === 'closed') tally.done++;
      else if (outcome.status === 'rejected' || outcome.value !== 'gone') tally.busy++;
    }
  }
  return tally;
}

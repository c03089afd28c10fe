/**
 * The bounded steps that end a user's access, shared by an administrator's `deactivateUser`
 * (deactivation.ts) and an account's deletion (account-deletion.ts), each run after the user's marks
 * (the durable one and the socket count's) are written. Each is bounded and reached by key or Query
 * in the user's own partition:
 *
 * - their waiting scheduled messages (at most 100) are cancelled as `cancelScheduled` cancels them,
 *   uploads given back (`cancelPending`);
 * - their push devices (at most 20) are removed with their token owner items (`devices.remove`);
 * - then their open sockets (at most the per-user cap) are closed (Management API DeleteConnection;
 *   each socket's `$disconnect` then leaves its rosters and tells their peers they went offline),
 *   but the one `keep` names (`deleteAccount`'s calling socket, closed after its ack). The devices
 *   go first so that a closed socket's `$disconnect` finds no live device and recounts no badge. A
 *   socket found gone already (410: no `$disconnect` will come) has its record removed by the
 *   fan-out's directory, which, when it was the user's last, queues their offline check on the
 *   fan-out queue (lambdas/domain/deps.ts `lastSocketGone`).
 *
 * The steps each run to their end whatever the others do (a failure is thrown after all ran); what
 * they left undone (busy counters, sockets the Management API would not close) is counted `busy`,
 * for the caller to answer CONFLICT and a repeat to finish.
 */
import type { ScheduledRecord } from '../data/store.ts';
import type { Deps } from './deps.ts';
import { cancelPending } from './scheduled-cancel.ts';

/** Sockets closed at once (at most the per-user cap are open). */
const CLOSE_CONCURRENCY = 8;

export interface Tally {
  done: number;
  busy: number;
}

export interface AccessEnded {
  readonly scheduled: Tally;
  readonly devices: Tally;
  readonly sockets: Tally;
}

/** Runs the three steps (module comment); throws the first failure once all have run. */
export async function endAccess(
  deps: Deps,
  userId: string,
  options: { readonly keep?: string } = {},
): Promise<AccessEnded> {
  const steps = await Promise.allSettled([
    cancelSchedules(deps, userId),
    removeDevices(deps, userId).then(
      async (devices) => [devices, await closeSockets(deps, userId, options.keep)] as const,
      async (error: unknown) => {
        await closeSockets(deps, userId, options.keep).catch(() => undefined);
        throw error;
      },
    ),
  ]);
  const [scheduled, rest] = steps;
  if (scheduled.status === 'rejected') throw scheduled.reason;
  if (rest.status === 'rejected') throw rest.reason;
  const [devices, sockets] = rest.value;
  return { scheduled: scheduled.value, devices, sockets };
}

/** What the steps left for a repeat, as a sentence's parts (none: all done). */
export function leftUndone({ scheduled, devices, sockets }: AccessEnded): string[] {
  return [
    scheduled.busy > 0 ? `${scheduled.busy} scheduled messages were busy` : '',
    devices.busy > 0 ? `${devices.busy} devices were busy` : '',
    sockets.busy > 0 ? `${sockets.busy} sockets could not be closed` : '',
  ].filter(Boolean);
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
 * Closes every open socket of the user but `keep` (one consistent Query, one DeleteConnection each,
 * retried when throttled: lambdas/fanout/close.ts). `done` counts the sockets this call closed (one
 * found gone already is forgotten, not counted: a repeat answers zero); `busy`, those still open, or
 * that may yet open (a 410 inside its `$connect`), which a repeat closes.
 */
async function closeSockets(deps: Deps, userId: string, keep: string | undefined): Promise<Tally> {
  const tally = { done: 0, busy: 0 };
  const listed = await deps.store.connections.listIds(userId, { consistent: true });
  const ids = listed.filter((id) => id !== keep);
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

/**
 * Cancelling a scheduled message: the author's `cancelScheduled`, and the cancel of a pending one that
 * an administrator's `deactivateUser` makes too (`cancelPending`).
 */
import type { Scheduled } from '../contract/objects.ts';
import type { ScheduledRecord, StoredSchedule } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { conflict, notFound } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import type { Deps } from './deps.ts';
import { scheduledView } from './scheduled.ts';
import { attachmentIdsOf, releaseUploads } from './scheduled-media.ts';

const scheduledNotFound = (scheduledId: string) =>
  notFound(`Scheduled message "${scheduledId}" was not found.`);

/** A failed one's CONFLICT names why it failed, and the hook's sentence when it refused it. */
function notPending(r: Pick<StoredSchedule, 'scheduledId' | 'status' | 'reason' | 'detail'>) {
  if (r.status === 'sending')
    return conflict(
      `Scheduled message "${r.scheduledId}" is going out right now and can no longer be cancelled.`,
    );
  const why =
    r.status !== 'failed' || !r.reason ? '' : r.detail ? ` (${r.reason}: ${r.detail})` : ` (${r.reason})`;
  return conflict(
    `Scheduled message "${r.scheduledId}" can no longer be cancelled: it is ${r.status}${why}.`,
  );
}

export async function cancelScheduled(
  deps: Deps,
  caller: Caller,
  input: { readonly scheduledId: string; readonly connectionId: string },
): Promise<{ scheduled: Scheduled }> {
  const record = await deps.store.scheduled.get(caller.userId, input.scheduledId, { consistent: true });
  if (!record) throw scheduledNotFound(input.scheduledId);
  if (record.status !== 'pending') throw notPending(record);
  const cancelled = await cancelPending(deps, record);
  // Other transactions on the author's pending count (or throttling) held it every time: nothing was
  // written, so the same request may succeed in a moment.
  if (cancelled === 'busy') throw conflict('The scheduled message was busy; please retry.');
  if (cancelled === 'refused') {
    // It left `pending` between the read and the write (a dispatcher claimed it).
    const latest = await deps.store.scheduled.get(caller.userId, input.scheduledId, { consistent: true });
    if (!latest) throw scheduledNotFound(input.scheduledId);
    if (latest.status === 'pending') throw conflict('The scheduled message was busy; please retry.');
    throw notPending(latest);
  }
  const scheduled = await scheduledView(deps, { ...record, status: 'cancelled' });
  await deps.fanOut.toUsers([caller.userId], event('scheduled.cancelled', { scheduled }), {
    excludeConnectionId: input.connectionId,
  });
  return { scheduled };
}

/**
 * The cancel of a pending scheduled message (its author's `cancelScheduled`, an administrator's
 * `deactivateUser`): pending → cancelled, uncounted, in one transaction; once cancelled nothing can
 * send it, so its uploads go back (the claim still keeps others off them until they do). `refused`
 * when it left `pending` meanwhile, `busy` when contention held it every time (nothing written).
 */
export async function cancelPending(
  deps: Deps,
  record: ScheduledRecord,
): Promise<'finished' | 'refused' | 'busy'> {
  const cancelled = await deps.store.scheduled.cancel(record, deps.now());
  if (cancelled === 'finished') await releaseUploads(deps, record, attachmentIdsOf(record));
  return cancelled;
}

/**
 * Scheduled messages (`USER#<author>` / `SCHED#<scheduledId>` while still to go out,
 * `SCHEDDONE#<scheduledId>` once finished), the author's pending count (`SCHEDCOUNT`). The due index (`gsi2`) and the sweep's cursor are `due-index.ts`. Every public
 * method is one access pattern (all of them are listed in docs/data-model.md).
 *
 * The state machine, every step a conditional write:
 *
 *   pending ──claim──▶ sending ──complete──▶ sent | failed
 *      │              └ claim again (a lease: another dispatcher may take over once it expires)
 *      ├──cancel──▶ cancelled
 *      └──fail──▶ failed (its chat is gone: found by listScheduled before its time)
 *
 * Creating one and leaving `pending`/`sending` for good move the pending count in the same
 * transaction, so the per-user cap holds under races. The count is one item per author, so those
 * transactions meet each other (five messages of one author going out in the same second): one
 * that another transaction cancelled (`TransactionConflict`) is sent again, and only a failed
 * condition is a refusal (`transactThroughConflicts`); contention that outlasts the attempts is
 * `busy`, a value the caller answers as a retryable CONFLICT.
 *
 * Finishing one (sent, failed, cancelled) deletes its `SCHED#` item (and so its due index keys: the
 * sweep never reads it again) and puts a small `SCHEDDONE#` item in its place, in the same
 * transaction: the `SCHED#` range holds only what is still to go out (at most the cap), so listing
 * them never reads the finished ones, and what is kept of those is a few hundred bytes (no text, no
 * attachments) that expire after `SCHEDULED_KEEP_SECONDS`. Items finished before that layout stayed
 * under `SCHED#` with their status: every reader still handles them (`listPending` skips them by
 * status), and they are gone with their TTL.
 */
import {
  type FinishedScheduledRecord,
  SCHEDULED,
  SCHEDULED_COUNT,
  SCHEDULED_DONE,
  type ScheduledRecord,
  type StoredSchedule,
} from './items.ts';
import { keys, PREFIX, TTL_ATTRIBUTE, userPk } from './keys.ts';
import { contended, ifConditionFails, itemAbsent, refusedOrBusy, type TableClient } from './table-client.ts';

/** How long a scheduled message is kept once it is no longer pending (for status and CONFLICT answers). */
export const SCHEDULED_KEEP_SECONDS = 7 * 24 * 3600;

/** What the due index gives a sweep: enough to find the item. */
export interface DueRef {
  readonly userId: string;
  readonly scheduledId: string;
  /** Its due-index time: the send time, or, once a stuck message was retried, when to retry again. */
  readonly sendAt: string;
}

export type CreateScheduledOutcome =
  | { readonly status: 'created' }
  /** The id is taken: the schedule made earlier with the same clientMessageId (perhaps finished). */
  | { readonly status: 'duplicate'; readonly existing: StoredSchedule }
  /** The author already has the maximum of pending scheduled messages. */
  | { readonly status: 'limit' }
  /** Cancelled without a failed condition (conflicts that never stopped, throttling): nothing was stored. */
  | { readonly status: 'busy' };

/**
 * Leaving pending/sending for good (cancel, complete): done, refused by the state condition (it was
 * no longer pending, or no longer this dispatcher's), or `busy` (cancelled by contention every time:
 * nothing was written).
 */
export type FinishOutcome = 'finished' | 'refused' | 'busy';

export type Completion =
  | { readonly status: 'sent'; readonly messageId: string }
  /** `detail`: the pre-send hook's refusal sentence, with `reason` FORBIDDEN when the hook refused it. */
  | { readonly status: 'failed'; readonly reason: string; readonly detail?: string };

const isPending = '#status = :pending';
const heldBy = '#status = :sending AND dispatchId = :dispatch';
const claimable = '#status = :pending OR (#status = :sending AND sendingAt < :expired)';
const underCap = 'attribute_not_exists(pending) OR pending < :max';

export class ScheduledRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Stores a new pending scheduled message and counts it, in one transaction: refused when the id
   * exists, still to go out or finished (the earlier schedule comes back, from the refused write or
   * check), or the author is at `maxPending`;
   * `busy` when other transactions cancelled it every time. Any outcome but `created` stored nothing;
   * a thrown error may have stored it (a timeout after the commit).
   */
  async create(record: ScheduledRecord, maxPending: number): Promise<CreateScheduledOutcome> {
    const created = this.table
      .transactThroughConflicts([
        {
          Put: {
            Item: SCHEDULED.toItem(record),
            ConditionExpression: itemAbsent,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Update: {
            Key: SCHEDULED_COUNT.key(record),
            UpdateExpression: 'ADD pending :one SET itemType = :type',
            ConditionExpression: underCap,
            ExpressionAttributeValues: { ':one': 1, ':max': maxPending, ':type': SCHEDULED_COUNT.itemType },
          },
        },
        {
          ConditionCheck: {
            Key: keys.scheduledDone(record.userId, record.scheduledId),
            ConditionExpression: itemAbsent,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ])
      .then(() => ({ status: 'created' }) as const);
    return ifConditionFails(created, (failure): CreateScheduledOutcome => {
      const [put, count, done] = failure.reasons;
      if (put?.conditionFailed && put.item)
        return { status: 'duplicate', existing: SCHEDULED.fromItem(put.item) };
      if (done?.conditionFailed && done.item)
        return { status: 'duplicate', existing: SCHEDULED_DONE.fromItem(done.item) };
      if (count?.conditionFailed) return { status: 'limit' };
      // Cancelled by contention (conflicts that never stopped, throttling): a definite answer that
      // nothing was stored. Anything else (a validation error) is a fault, as for cancel and complete.
      if (contended(failure)) return { status: 'busy' };
      throw failure.error;
    });
  }

  /**
   * One scheduled message of a user: the one still to go out, else what is kept of it finished (key
   * lookups, in that order: finishing moves it from the first key to the second at once, so one
   * absent from the first is under the second if anywhere).
   */
  async get(
    userId: string,
    scheduledId: string,
    options: { consistent?: boolean } = {},
  ): Promise<StoredSchedule | undefined> {
    const consistent = options.consistent ?? false;
    const item = await this.table.get(keys.scheduled(userId, scheduledId), { consistent });
    if (item) return SCHEDULED.fromItem(item);
    const done = await this.table.get(keys.scheduledDone(userId, scheduledId), { consistent });
    return done && SCHEDULED_DONE.fromItem(done);
  }

  /**
   * A user's scheduled messages still to go out (consistent Query `USER#<id>`, prefix `SCHED#`):
   * at most the cap. The status filter skips what was finished before finished ones moved to
   * `SCHEDDONE#` (read until their TTL removes them, at most `SCHEDULED_KEEP_SECONDS` after the
   * deploy, plus the TTL's lag).
   */
  async listPending(userId: string): Promise<ScheduledRecord[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#status IN (:pending, :sending)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pk': userPk(userId),
        ':prefix': PREFIX.scheduled,
        ':pending': 'pending',
        ':sending': 'sending',
      },
      ConsistentRead: true,
    });
    return items.map((item) => SCHEDULED.fromItem(item));
  }

  /** Cancels a pending one (and uncounts it) in one transaction; `refused` when no longer pending. */
  async cancel(record: ScheduledRecord, at: Date): Promise<FinishOutcome> {
    return this.#finish({ ...record, status: 'cancelled' }, isPending, { ':pending': 'pending' }, at);
  }

  /**
   * Fails a pending one whose chat is gone, before its time (and uncounts it), in one transaction;
   * `refused` when no longer pending (a dispatcher claimed it: it fails it itself).
   */
  async failPending(record: ScheduledRecord, reason: string, at: Date): Promise<FinishOutcome> {
    return this.#finish({ ...record, status: 'failed', reason }, isPending, { ':pending': 'pending' }, at);
  }

  /**
   * Claims a due message for one dispatcher: pending → sending, or takes over a `sending` whose
   * holder's lease (`leaseMs`) ran out. The claimed record, or undefined when another holds it or it
   * is no longer pending.
   */
  async claim(
    ref: DueRef,
    dispatchId: string,
    now: Date,
    leaseMs: number,
  ): Promise<ScheduledRecord | undefined> {
    const claimed = this.table.update({
      Key: keys.scheduled(ref.userId, ref.scheduledId),
      UpdateExpression: 'SET #status = :sending, sendingAt = :now, dispatchId = :dispatch ADD attempts :one',
      ConditionExpression: claimable,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pending': 'pending',
        ':sending': 'sending',
        ':now': now.toISOString(),
        ':expired': new Date(now.getTime() - leaseMs).toISOString(),
        ':dispatch': dispatchId,
        ':one': 1,
      },
      ReturnValues: 'ALL_NEW',
    });
    return ifConditionFails(
      claimed.then((item) => item && SCHEDULED.fromItem(item)),
      () => undefined,
    );
  }

  /**
   * Records the outcome of a claimed message (sending → sent | failed) and uncounts it, in one
   * transaction guarded by the claim; `refused` when this dispatcher no longer held it.
   */
  async complete(
    record: ScheduledRecord,
    dispatchId: string,
    outcome: Completion,
    at: Date,
  ): Promise<FinishOutcome> {
    const held = { ':sending': 'sending', ':dispatch': dispatchId };
    return outcome.status === 'sent'
      ? this.#finish({ ...record, status: 'sent', messageId: outcome.messageId }, heldBy, held, at)
      : this.#finish(
          { ...record, status: 'failed', reason: outcome.reason, detail: outcome.detail },
          heldBy,
          held,
          at,
        );
  }

  /**
   * Leaves pending/sending for good under `condition` on the stored item, as `finished` (the
   * record with its final status): deletes the item (and with it the due index keys), puts what is
   * kept of it in its place with its TTL, and uncounts it, in one transaction.
   */
  async #finish(
    finished: ScheduledRecord & { readonly status: FinishedScheduledRecord['status'] },
    condition: string,
    values: Record<string, unknown>,
    at: Date,
  ): Promise<FinishOutcome> {
    const expires = Math.floor(at.getTime() / 1000) + SCHEDULED_KEEP_SECONDS;
    // Only its declared fields are stored: no text, attachments (their ids only), author name or lease.
    const done: FinishedScheduledRecord = {
      ...finished,
      attachmentIds: (finished.attachments ?? []).map((a) => a.attachmentId),
    };
    const written = this.table
      .transactThroughConflicts([
        {
          Delete: {
            Key: keys.scheduled(finished.userId, finished.scheduledId),
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: values,
          },
        },
        { Put: { Item: { ...SCHEDULED_DONE.toItem(done), [TTL_ATTRIBUTE]: expires } } },
        {
          Update: {
            Key: SCHEDULED_COUNT.key(finished),
            UpdateExpression: 'ADD pending :minus',
            ExpressionAttributeValues: { ':minus': -1 },
          },
        },
      ])
      .then(() => 'finished' as const);
    return ifConditionFails(written, refusedOrBusy('refused' as const));
  }
}

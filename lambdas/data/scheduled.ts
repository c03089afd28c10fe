/**
 * Scheduled messages (`USER#<author>` / `SCHED#<scheduledId>`), the author's pending count
 * (`SCHEDCOUNT`). The due index (`gsi2`) and the sweep's cursor are `due-index.ts`. Every public
 * method is one access pattern (all of them are listed in docs/data-model.md).
 *
 * The state machine, every step a conditional write:
 *
 *   pending ──claim──▶ sending ──complete──▶ sent | failed
 *      │              └ claim again (a lease: another dispatcher may take over once it expires)
 *      └──cancel──▶ cancelled
 *
 * Creating one and leaving `pending`/`sending` for good move the pending count in the same
 * transaction, so the per-user cap holds under races. The count is one item per author, so those
 * transactions meet each other (five messages of one author going out in the same second): one
 * that another transaction cancelled (`TransactionConflict`) is sent again, and only a failed
 * condition is a refusal (`transactThroughConflicts`); contention that outlasts the attempts is
 * `busy`, a value the caller answers as a retryable CONFLICT. A message that went out, failed or was
 * cancelled drops the due index keys (the sweep never reads it again) and expires after
 * `SCHEDULED_KEEP_SECONDS`.
 */
import { SCHEDULED, SCHEDULED_COUNT, type ScheduledRecord } from './items.ts';
import { DUE_INDEX, keys, PREFIX, TTL_ATTRIBUTE, userPk } from './keys.ts';
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
  /** The id is taken: the schedule made earlier with the same clientMessageId. */
  | { readonly status: 'duplicate'; readonly existing: ScheduledRecord }
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
  | { readonly status: 'failed'; readonly reason: string };

const DROP_DUE_KEYS = `REMOVE ${DUE_INDEX.partitionKey}, ${DUE_INDEX.sortKey}, sendingAt, dispatchId`;
const isPending = '#status = :pending';
const heldBy = '#status = :sending AND dispatchId = :dispatch';
const claimable = '#status = :pending OR (#status = :sending AND sendingAt < :expired)';
const underCap = 'attribute_not_exists(pending) OR pending < :max';

export class ScheduledRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Stores a new pending scheduled message and counts it, in one transaction: refused when the id
   * exists (the earlier schedule comes back, from the refused write) or the author is at `maxPending`;
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
      ])
      .then(() => ({ status: 'created' }) as const);
    return ifConditionFails(created, (failure): CreateScheduledOutcome => {
      const [put, count] = failure.reasons;
      if (put?.conditionFailed && put.item)
        return { status: 'duplicate', existing: SCHEDULED.fromItem(put.item) };
      if (count?.conditionFailed) return { status: 'limit' };
      // Cancelled by contention (conflicts that never stopped, throttling): a definite answer that
      // nothing was stored. Anything else (a validation error) is a fault, as for cancel and complete.
      if (contended(failure)) return { status: 'busy' };
      throw failure.error;
    });
  }

  /** One scheduled message of a user (key lookup). */
  async get(
    userId: string,
    scheduledId: string,
    options: { consistent?: boolean } = {},
  ): Promise<ScheduledRecord | undefined> {
    const item = await this.table.get(keys.scheduled(userId, scheduledId), {
      consistent: options.consistent ?? false,
    });
    return item && SCHEDULED.fromItem(item);
  }

  /**
   * A user's scheduled messages still to go out (consistent Query `USER#<id>`, prefix `SCHED#`,
   * filtered on status). Reads those plus the ones finished within `SCHEDULED_KEEP_SECONDS`.
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
    return this.#finish(
      record,
      isPending,
      'SET #status = :cancelled',
      { ':cancelled': 'cancelled', ':pending': 'pending' },
      at,
    );
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
    return outcome.status === 'sent'
      ? this.#finish(
          record,
          heldBy,
          'SET #status = :sent, messageId = :messageId',
          {
            ':sent': 'sent',
            ':messageId': outcome.messageId,
            ':sending': 'sending',
            ':dispatch': dispatchId,
          },
          at,
        )
      : this.#finish(
          record,
          heldBy,
          'SET #status = :failed, reason = :reason',
          {
            ':failed': 'failed',
            ':reason': outcome.reason,
            ':sending': 'sending',
            ':dispatch': dispatchId,
          },
          at,
        );
  }

  /** Leaves pending/sending for good under `condition`: drops the due keys, sets TTL, uncounts. */
  async #finish(
    record: ScheduledRecord,
    condition: string,
    set: string,
    values: Record<string, unknown>,
    at: Date,
  ): Promise<FinishOutcome> {
    const expires = Math.floor(at.getTime() / 1000) + SCHEDULED_KEEP_SECONDS;
    const finished = this.table
      .transactThroughConflicts([
        {
          Update: {
            Key: keys.scheduled(record.userId, record.scheduledId),
            UpdateExpression: `${set}, #ttl = :ttl ${DROP_DUE_KEYS}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ...values, ':ttl': expires },
          },
        },
        {
          Update: {
            Key: SCHEDULED_COUNT.key(record),
            UpdateExpression: 'ADD pending :minus',
            ExpressionAttributeValues: { ':minus': -1 },
          },
        },
      ])
      .then(() => 'finished' as const);
    return ifConditionFails(finished, refusedOrBusy('refused' as const));
  }
}

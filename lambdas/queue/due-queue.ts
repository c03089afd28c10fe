/**
 * The due queue of scheduled messages (SQS standard queue). A scheduled message due within the
 * sweep horizon is put on it with a message timer (`DelaySeconds`) for the whole seconds left
 * (rounded down: timers have a one-second grain), so it becomes visible at most a second before its
 * send time and the dispatcher holds it until then: it goes out on time, not up to a second late.
 * Entries are sent ten to a request (SendMessageBatch); entries SQS refuses are sent again with
 * backoff (`batches.ts`).
 *
 * The queue may carry the same scheduled message more than once (a sweep and `scheduleMessage`, or
 * two sweeps, can both enqueue it): the dispatcher's conditional claim makes that harmless.
 */
import type { DueRef } from '../data/store.ts';
import { mapSettled } from '../shared/concurrency.ts';
import { logger } from '../shared/logger.ts';
import { type ResendPolicy, sendBatch } from './batches.ts';
import type { SqsEntry, SqsSender } from './light-sqs.ts';
import { sqsBody } from './sqs-body.ts';

/** SQS's limits: entries per SendMessageBatch, and the longest message timer. */
const BATCH_ENTRIES = 10;
export const MAX_DELAY_SECONDS = 900;
/** Batches in flight at once (a sweep of 10,000 due messages sends 1,000 batches). */
const SEND_CONCURRENCY = 32;
/** Calls per batch for the entries SQS refuses (`batches.ts`). */
const RESEND: ResendPolicy = { attempts: 4, backoff: { baseMs: 50, capMs: 1000 } };

/** Where due scheduled messages go. */
export interface DueQueue {
  /**
   * Puts each message on the queue to become visible at its send time (at once when overdue).
   * `now`: the time of the call (each timer counts from when SQS gets it): an earlier one makes the
   * timers end after the send time by as much.
   */
  enqueue(refs: readonly DueRef[], now: Date): Promise<void>;
}

/** The queue message body: the keys of the scheduled item (the dispatcher reads the rest). */
export function dueMessageBody(ref: DueRef): string {
  return sqsBody({ userId: ref.userId, scheduledId: ref.scheduledId, sendAt: ref.sendAt });
}

/** Reads a queue message body back; undefined when it is not one of ours. */
export function parseDueMessage(body: string): DueRef | undefined {
  try {
    const value = JSON.parse(body) as Partial<Record<keyof DueRef, unknown>>;
    const { userId, scheduledId, sendAt } = value ?? {};
    if (typeof userId !== 'string' || typeof scheduledId !== 'string' || typeof sendAt !== 'string') {
      return undefined;
    }
    return { userId, scheduledId, sendAt };
  } catch {
    return undefined;
  }
}

/** The message timer for a send time: the whole seconds left (rounded down), within SQS's 0…900. */
export function delaySecondsFor(sendAt: string, now: Date): number {
  const seconds = Math.floor((Date.parse(sendAt) - now.getTime()) / 1000);
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Number.isFinite(seconds) ? seconds : 0));
}

export class SqsDueQueue implements DueQueue {
  constructor(
    private readonly sqs: () => SqsSender,
    private readonly queueUrl: string | undefined,
  ) {}

  async enqueue(refs: readonly DueRef[], now: Date): Promise<void> {
    if (refs.length === 0) return;
    const queueUrl = this.queueUrl;
    if (!queueUrl) throw new Error('SCHEDULED_QUEUE_URL is not configured');
    const batches: SqsEntry[][] = [];
    for (let i = 0; i < refs.length; i += BATCH_ENTRIES) {
      batches.push(
        refs.slice(i, i + BATCH_ENTRIES).map((ref, j) => ({
          Id: String(j),
          MessageBody: dueMessageBody(ref),
          DelaySeconds: delaySecondsFor(ref.sendAt, now),
        })),
      );
    }
    let failed = 0;
    await mapSettled(batches, SEND_CONCURRENCY, async (batch) => {
      if (!(await this.#send(queueUrl, batch))) failed += batch.length;
    });
    if (failed > 0) throw new Error(`${failed} of ${refs.length} due messages could not be enqueued`);
  }

  /**
   * Sends one batch, again (with backoff) for the entries SQS refused (`batches.ts`); whether all of
   * it went. An error (after the sender's own retries) is logged, not thrown: `enqueue` reports the
   * count, and the next sweep enqueues what is still due.
   */
  async #send(queueUrl: string, entries: SqsEntry[]): Promise<boolean> {
    try {
      return (await sendBatch(this.sqs(), queueUrl, entries, RESEND)).length === 0;
    } catch (error) {
      logger.warn('due queue batch not sent', { entries: entries.length, error });
      return false;
    }
  }
}

/**
 * A failed queue record's next receive, sooner than the queue's visibility timeout. A worker reports a
 * record it could not handle as a batch item failure, and SQS delivers it again once its visibility
 * timeout runs out: the queue's, six times the worker's timeout (lib/queue-worker.ts, Lambda's
 * advice), so 6 minutes for the push worker and 3 for the fan-out worker. A record whose reads were
 * throttled (a push job's, a fan-out job's lookup) or whose re-queue failed is worth trying again
 * long before that: `retryLater` first sets its visibility to a short backoff (10 s times its
 * receive count, at most 60 s) with `ChangeMessageVisibility` on the record's receipt handle (the
 * event source's grant on the worker's own queue covers the call).
 *
 * Best effort: when the change fails, it is logged and the record keeps the queue's timeout.
 */
import type { SQSRecord } from 'aws-lambda';
import { logger } from '../shared/logger.ts';
import type { SqsVisibility } from './light-sqs.ts';

const BACKOFF_STEP_SECONDS = 10;
const BACKOFF_MAX_SECONDS = 60;

/** Seconds before a record that failed on its `receiveCount`-th receive is received again. */
export const retryBackoffSeconds = (receiveCount: number): number =>
  Math.min(BACKOFF_MAX_SECONDS, BACKOFF_STEP_SECONDS * Math.max(1, receiveCount));

/** Makes a failed record of `queueUrl` visible again after its backoff (module comment). */
export type RetryLater = (record: SQSRecord) => Promise<void>;

export function retryLaterOn(sqs: () => SqsVisibility, queueUrl: string): RetryLater {
  return async (record) => {
    const seconds = retryBackoffSeconds(Number(record.attributes?.ApproximateReceiveCount) || 1);
    try {
      await sqs().changeMessageVisibility({
        QueueUrl: queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      });
    } catch (error) {
      logger.warn('could not shorten a failed record’s visibility: SQS delivers it after the queue’s', {
        sqsMessageId: record.messageId,
        error,
      });
    }
  };
}

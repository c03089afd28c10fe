/**
 * The dispatcher of scheduled messages, fed by the due queue (an SQS event source mapping on AWS,
 * the local queue locally): sends each due message once. A record that fails is reported back
 * (`batchItemFailures`), as does one whose completion stayed contended (`busy`), and comes again
 * after the queue's visibility timeout; the sweep also
 * re-enqueues anything still due every minute. A body that is not ours is logged and dropped. Each
 * message sent counts in `MessagesSent`, as one `sendMessage` stores does.
 */
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SCHEDULED_FUNCTIONS } from '../../lib/scheduled-functions.ts';
import { scheduledDeps } from '../domain/scheduled-deps.ts';
import { dispatchScheduled } from '../domain/scheduled-dispatch.ts';
import { parseDueMessage } from '../queue/due-queue.ts';
import { withInvocation } from '../shared/budget.ts';
import { mapSettled } from '../shared/concurrency.ts';
import { logger } from '../shared/logger.ts';
import { countMetric } from '../shared/metrics.ts';

/** Records of a batch (at most 10) dispatched at once. */
const CONCURRENCY = 10;

export const handler = (event: SQSEvent, context?: Partial<Context>): Promise<SQSBatchResponse> =>
  logger.runWithKeys(
    { awsRequestId: context?.awsRequestId },
    // Its sends post within this invocation's time, and queue what they have none left for.
    () => withInvocation(context, () => dispatchBatch(event)),
    SCHEDULED_FUNCTIONS.dispatcher.name,
  );

async function dispatchBatch(event: SQSEvent): Promise<SQSBatchResponse> {
  const deps = scheduledDeps();
  const batchItemFailures: SQSBatchItemFailure[] = [];
  await mapSettled(event.Records, CONCURRENCY, async (record) => {
    const ref = parseDueMessage(record.body);
    if (!ref) {
      logger.error('dropped a due-queue message that is not a scheduled message', {
        sqsMessageId: record.messageId,
      });
      return;
    }
    try {
      const outcome = await dispatchScheduled(deps, ref);
      // A message it stored and recorded sent, once (a retry finds it sent, or is refused: skipped).
      if (outcome === 'sent') countMetric('MessagesSent');
      if (outcome === 'busy') {
        logger.warn('scheduled dispatch busy: its completion is retried', { scheduledId: ref.scheduledId });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    } catch (error) {
      logger.error('scheduled dispatch failed', { scheduledId: ref.scheduledId, error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  });
  return { batchItemFailures };
}

/** The push queue worker (not a route: lib/workers.ts): plans and sends the notifications of queued jobs. */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { PUSH_WORKER } from '../../lib/workers.ts';
import { store } from '../data/store.ts';
import { Counters } from '../pipeline/metrics.ts';
import { publishCounters } from '../pipeline/stream.ts';
import { pushBudget } from '../push/budget.ts';
import { deliveryDeps, pushConsumer, pushJobQueue, pushRuntime } from '../push/handler.ts';
import { processPushJobs } from '../push/worker.ts';
import { type RetryLater, retryLaterOn } from '../queue/retry-later.ts';
import { getSqsSender } from '../shared/clients.ts';
import { config } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';

/** A failed job's next receive in seconds, not the queue's minutes (queue/retry-later.ts). */
const retryLater = (): RetryLater | undefined => {
  const url = config().pushQueueUrl;
  return url ? retryLaterOn(getSqsSender, url) : undefined;
};

/** The worker's scope names it (its log lines, and its AWS calls for the IAM check). */
export const handler = (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  logger.runWithKeys(
    { worker: PUSH_WORKER.name, awsRequestId: context?.awsRequestId },
    async () => {
      const runtime = await pushRuntime();
      const counters = new Counters(PUSH_WORKER.name);
      try {
        return await processPushJobs(event, {
          plan: {
            store: store(),
            now: () => new Date(),
            deviceStaleAfterSeconds: config().deviceStaleAfterSeconds,
          },
          delivery: deliveryDeps(runtime, counters),
          counters,
          // Its own queue takes what it could not send in time (budget.ts).
          queue: pushJobQueue(),
          budget: pushBudget(context),
          retryLater: retryLater(),
        });
      } finally {
        // The push function's business metrics (sent, failed, given up: alarmed) count its jobs too.
        publishCounters(counters, pushConsumer.businessMetrics);
      }
    },
    PUSH_WORKER.name,
  );

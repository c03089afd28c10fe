/** The fan-out queue worker (not a route: lib/workers.ts): posts queued jobs to their sockets. */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import { deps, fanOutQueue, workerFanOut } from '../domain/deps.ts';
import { recheckPresence, wentOffline } from '../domain/presence.ts';
import { processFanOutJobs, QUEUEING_RESERVE_MS } from '../fanout/worker.ts';
import { type RetryLater, retryLaterOn } from '../queue/retry-later.ts';
import { sendBudget } from '../shared/budget.ts';
import { getSqsSender } from '../shared/clients.ts';
import { config } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';

/** A failed job's next receive in seconds, not the queue's minutes (queue/retry-later.ts). */
const retryLater = (): RetryLater | undefined => {
  const url = config().fanOutQueueUrl;
  return url ? retryLaterOn(getSqsSender, url) : undefined;
};

/** The worker's scope names it (its log lines, and its AWS calls for the IAM check). */
export const handler = (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  logger.runWithKeys(
    { worker: FANOUT_WORKER.name, awsRequestId: context?.awsRequestId },
    () =>
      processFanOutJobs(event, {
        fanOut: workerFanOut(FANOUT_WORKER.postConcurrency ?? config().fanOutConcurrency),
        queue: fanOutQueue(),
        jobSize: config().fanOutJobSize,
        budget: sendBudget(context, QUEUEING_RESERVE_MS),
        retryLater: retryLater(),
        blockedBy: (readerId, userIds) => deps().store.blocks.blockedOf(readerId, userIds),
        wentOffline: async (userId) => {
          await wentOffline(deps(), userId);
        },
        recheckPresence: (userId, unmark) => recheckPresence(deps(), userId, unmark),
      }),
    FANOUT_WORKER.name,
  );

/** The fan-out queue worker (not a route: lib/workers.ts): posts queued jobs to their sockets. */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deps, fanOutQueue } from '../domain/deps.ts';
import { processFanOutJobs } from '../fanout/worker.ts';
import { logger } from '../shared/logger.ts';

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  logger.resetKeys();
  logger.appendKeys({ worker: 'fanOut', awsRequestId: context?.awsRequestId });
  return processFanOutJobs(event, { fanOut: deps().fanOut, queue: fanOutQueue() });
};

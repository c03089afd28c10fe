/**
 * The per-minute sweep of scheduled messages (an EventBridge schedule on AWS, a timer locally): puts
 * everything due within the horizon on the due queue. See lambdas/domain/scheduled-dispatch.ts.
 */
import type { ScheduledEvent } from 'aws-lambda';
import { scheduledDeps } from '../domain/scheduled-deps.ts';
import { type SweepReport, sweepDue } from '../domain/scheduled-dispatch.ts';
import { logger } from '../shared/logger.ts';

export const handler = async (
  event: ScheduledEvent,
  context?: { awsRequestId?: string },
): Promise<SweepReport> => {
  logger.resetKeys();
  logger.appendKeys({ scheduledTime: event.time, awsRequestId: context?.awsRequestId });
  return sweepDue(scheduledDeps());
};

/**
 * The per-minute sweep of scheduled messages (an EventBridge rule on AWS, a timer locally): puts what
 * became due within the horizon, and what is stuck, on the due queue. See
 * lambdas/domain/scheduled-dispatch.ts.
 */
import type { ScheduledEvent } from 'aws-lambda';
import { SCHEDULED_FUNCTIONS } from '../../lib/scheduled-functions.ts';
import { scheduledDeps } from '../domain/scheduled-deps.ts';
import { type SweepReport, sweepDue } from '../domain/scheduled-dispatch.ts';
import { logger } from '../shared/logger.ts';

export const handler = (event: ScheduledEvent, context?: { awsRequestId?: string }): Promise<SweepReport> =>
  logger.runWithKeys(
    { scheduledTime: event.time, awsRequestId: context?.awsRequestId },
    // `{"detail":{"full":true}}` sweeps without the cursor (see sweepDue); the rule sends `detail: {}`.
    () =>
      sweepDue(scheduledDeps(), { full: (event.detail as { full?: unknown } | undefined)?.full === true }),
    SCHEDULED_FUNCTIONS.sweeper.name,
  );

/**
 * The per-minute sweep of scheduled messages (an EventBridge rule on AWS, a timer locally): puts what
 * became due within the horizon, and what is stuck, on the due queue. See
 * lambdas/domain/scheduled-sweep.ts.
 */
import type { ScheduledEvent } from 'aws-lambda';
import { SCHEDULED_FUNCTIONS } from '../../lib/scheduled-functions.ts';
import { scheduledDeps } from '../domain/scheduled-deps.ts';
import { SWEEP_RESERVE_MS, type SweepReport, sweepDue } from '../domain/scheduled-sweep.ts';
import { type Invocation, sendBudget } from '../shared/budget.ts';
import { logger } from '../shared/logger.ts';

export const handler = (
  event: ScheduledEvent,
  context?: { awsRequestId?: string } & Partial<Invocation>,
): Promise<SweepReport> =>
  logger.runWithKeys(
    { scheduledTime: event.time, awsRequestId: context?.awsRequestId },
    // `{"detail":{"full":true}}` sweeps without the cursor (see sweepDue); the rule sends `detail: {}`.
    // It enqueues only what it can before its timeout (less SWEEP_RESERVE_MS); the next sweep goes on.
    () =>
      sweepDue(scheduledDeps(), {
        full: (event.detail as { full?: unknown } | undefined)?.full === true,
        budget: sendBudget(invocationOf(context), SWEEP_RESERVE_MS),
      }),
    SCHEDULED_FUNCTIONS.sweeper.name,
  );

const invocationOf = (context: Partial<Invocation> | undefined): Invocation | undefined =>
  typeof context?.getRemainingTimeInMillis === 'function' ? (context as Invocation) : undefined;

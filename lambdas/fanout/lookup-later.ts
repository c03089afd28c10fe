/**
 * Users whose sockets a fan-out could not look up (fanout.ts, module comment): handed to the queue
 * worker as one lookup job, which looks them up and posts; without a queue, or when it refuses the
 * job, they count as failed (the report's `failed`, FanOutFailures).
 */
import type { Frame } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { putMetrics } from '../shared/metrics.ts';
import type { DeliveryReport } from './delivery.ts';
import { type JobQueue, planLookupJob } from './jobs.ts';

export async function lookUpLater(
  queue: JobQueue | undefined,
  userIds: readonly string[],
  frame: Frame,
  excludeConnectionId: string | undefined,
  report: DeliveryReport & { queued: number },
): Promise<void> {
  let error: unknown = 'no fan-out queue';
  if (queue) {
    try {
      await queue.send([planLookupJob(userIds, JSON.stringify(frame), excludeConnectionId)]);
      report.queued += userIds.length;
      logger.warn('fan-out: users whose sockets could not be looked up queued', {
        event: frame.type,
        users: userIds.length,
      });
      return;
    } catch (refused) {
      error = refused;
    }
  }
  report.failed += userIds.length;
  putMetrics({ FanOutFailures: userIds.length });
  logger.error('fan-out: users whose sockets could not be looked up were not told', {
    event: frame.type,
    users: userIds.length,
    error,
  });
}

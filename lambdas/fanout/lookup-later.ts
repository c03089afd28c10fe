/**
 * Users whose sockets a fan-out could not look up (fanout.ts, module comment): told apart from the
 * sockets found (`findSockets`), then handed to the queue worker as one lookup job (`lookUpLater`),
 * which looks them up and posts; without a queue, or when it refuses the job, they count as failed
 * (the report's `failed`, FanOutFailures).
 */
import type { Frame } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { putMetrics } from '../shared/metrics.ts';
import type { DeliveryReport, Target } from './delivery.ts';
import { SocketLookupFailed } from './directory.ts';
import { type JobQueue, planLookupJob } from './jobs.ts';

/**
 * The users' sockets (`find`), and the users whose lookup failed (`missed`: for `lookUpLater`):
 * those a `SocketLookupFailed` names, or all of them when a group's roster could not be read.
 */
export async function findSockets(
  find: () => Promise<Target[]>,
  userIds: readonly string[],
  options: {
    readonly excludeConnectionId?: string | undefined;
    readonly chat?: { chatId: string; kind: string } | undefined;
  },
): Promise<{ targets: readonly Target[]; missed: readonly string[] }> {
  try {
    return { targets: await find(), missed: [] };
  } catch (error) {
    if (error instanceof SocketLookupFailed) {
      // The sockets found get the event now; those of the users not looked up, from the worker.
      const targets = error.found.filter((t) => t.connectionId !== options.excludeConnectionId);
      return { targets, missed: error.userIds };
    }
    if (options.chat?.kind !== 'group') throw error;
    // The group's roster could not be read: the worker looks its people up one by one.
    logger.warn('fan-out: a roster lookup failed; its users queued', { chatId: options.chat.chatId, error });
    return { targets: [], missed: [...new Set(userIds)] };
  }
}

/**
 * Hands `userIds` to the worker as one lookup job. `chatId`: the group of the event (its roster
 * could not be read, or some of its users' lookups failed), so that the worker drops the roster
 * entries of the sockets it finds gone (410); without it they would stay listed until their TTL.
 */
export async function lookUpLater(
  queue: JobQueue | undefined,
  userIds: readonly string[],
  frame: Frame,
  options: { readonly excludeConnectionId: string | undefined; readonly chatId: string | undefined },
  report: DeliveryReport & { queued: number },
): Promise<void> {
  let error: unknown = 'no fan-out queue';
  if (queue) {
    try {
      const job = planLookupJob(userIds, JSON.stringify(frame), options.excludeConnectionId, options.chatId);
      await queue.send([job]);
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

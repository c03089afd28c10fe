/**
 * Fan-out of server events to sockets through the API Gateway Management API (`@connections`).
 *
 * - Bounded concurrency, every post awaited (`Promise.allSettled` semantics: one failure never stops
 *   the rest).
 * - 410 GoneException: the connection is stale; exactly that connection record is deleted.
 * - Throttling (429) and server errors (5xx): retried a bounded number of times with exponential
 *   backoff and full jitter; then logged and counted, never thrown to the caller.
 * - Every fan-out emits its counts as business metrics (FanOutPosts, FanOutFailures,
 *   StaleConnectionsRemoved: lambdas/shared/metrics.ts).
 */
import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { Frame } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { countMetric, putMetrics } from '../shared/metrics.ts';

export interface Target {
  readonly userId: string;
  readonly connectionId: string;
}

export interface FanOutReport {
  /** Posts acknowledged by the Management API. */
  delivered: number;
  /** Connections found gone (410) and removed. */
  gone: number;
  /** Posts that failed after retries (logged). */
  failed: number;
  /** Retries performed for throttling or server errors. */
  retried: number;
}

export interface ConnectionDirectory {
  listConnections(userId: string): Promise<string[]>;
  deleteConnection(userId: string, connectionId: string): Promise<boolean>;
}

export interface NotifierOptions {
  /** Posts in flight at once. @default 16 */
  readonly concurrency?: number;
  /** Attempts per post for retryable failures (429, 5xx, network). @default 3 */
  readonly maxAttempts?: number;
  /** Base backoff in milliseconds (full jitter over base·2^attempt). @default 25 */
  readonly baseDelayMs?: number;
}

export const emptyReport = (): FanOutReport => ({ delivered: 0, gone: 0, failed: 0, retried: 0 });

/** Runs `task` over `items` with at most `limit` in flight; resolves when all have settled. */
export async function mapSettled<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        logger.error('fan-out task failed', { error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export function isGone(error: unknown): boolean {
  return (error as { name?: string })?.name === 'GoneException' || statusOf(error) === 410;
}

export function isRetryable(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined) return true; // network-level failure
  const name = (error as { name?: string })?.name;
  return status === 429 || status >= 500 || name === 'LimitExceededException';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Notifier {
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;

  constructor(
    readonly client: () => ApiGatewayManagementApiClient,
    readonly directory: ConnectionDirectory,
    options: NotifierOptions = {},
  ) {
    this.#concurrency = options.concurrency ?? 16;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#baseDelayMs = options.baseDelayMs ?? 25;
  }

  /** Sends `frame` to every open socket of every user, except `excludeConnectionId`. */
  async toUsers(
    userIds: readonly string[],
    frame: Frame,
    options: { excludeConnectionId?: string } = {},
  ): Promise<FanOutReport> {
    return this.toConnections(await this.socketsOf(userIds, options), frame);
  }

  /**
   * The open sockets of the given users (one Query per user, bounded concurrency), except
   * `excludeConnectionId`. Callers may look them up while they write, then `toConnections`.
   */
  async socketsOf(
    userIds: readonly string[],
    options: { excludeConnectionId?: string } = {},
  ): Promise<Target[]> {
    const targets: Target[] = [];
    await mapSettled([...new Set(userIds)], this.#concurrency, async (userId) => {
      for (const connectionId of await this.directory.listConnections(userId)) {
        if (connectionId !== options.excludeConnectionId) targets.push({ userId, connectionId });
      }
    });
    return targets;
  }

  /** Sends `frame` to the given sockets. */
  async toConnections(targets: readonly Target[], frame: Frame): Promise<FanOutReport> {
    const report = emptyReport();
    if (targets.length === 0) return report;
    const data = new TextEncoder().encode(JSON.stringify(frame));
    await mapSettled(targets, this.#concurrency, (target) => this.#post(target, data, report));
    putMetrics({
      FanOutPosts: report.delivered,
      FanOutFailures: report.failed,
      StaleConnectionsRemoved: report.gone,
    });
    if (report.failed > 0 || report.gone > 0) {
      logger.warn('fan-out incomplete', { event: frame.type, targets: targets.length, ...report });
    }
    return report;
  }

  /**
   * Whether a socket is really open (GetConnection). A gone one is deleted; on any other failure
   * the socket is assumed open (presence errs on the side of "online").
   */
  async isOpen(target: Target): Promise<boolean> {
    try {
      await this.client().send(new GetConnectionCommand({ ConnectionId: target.connectionId }));
      return true;
    } catch (error) {
      if (!isGone(error)) return true;
      await this.directory.deleteConnection(target.userId, target.connectionId);
      countMetric('StaleConnectionsRemoved');
      return false;
    }
  }

  /** Closes a socket from the server side (e.g. after the chat was deleted). Gone is fine. */
  async disconnect(target: Target): Promise<void> {
    try {
      await this.client().send(new DeleteConnectionCommand({ ConnectionId: target.connectionId }));
    } catch (error) {
      if (isGone(error)) {
        await this.directory.deleteConnection(target.userId, target.connectionId);
        countMetric('StaleConnectionsRemoved');
      } else logger.warn('disconnect failed', { connectionId: target.connectionId, error });
    }
  }

  async #post(target: Target, data: Uint8Array, report: FanOutReport): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client().send(
          new PostToConnectionCommand({ ConnectionId: target.connectionId, Data: data }),
        );
        report.delivered++;
        return;
      } catch (error) {
        if (isGone(error)) {
          report.gone++;
          await this.directory.deleteConnection(target.userId, target.connectionId);
          return;
        }
        if (attempt >= this.#maxAttempts || !isRetryable(error)) {
          report.failed++;
          logger.error('post to connection failed', {
            connectionId: target.connectionId,
            status: statusOf(error),
            attempts: attempt,
            error,
          });
          return;
        }
        report.retried++;
        await sleep(Math.random() * this.#baseDelayMs * 2 ** attempt);
      }
    }
  }
}

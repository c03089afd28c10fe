/**
 * Fan-out: server events pushed to sockets through the API Gateway Management API (`@connections`).
 *
 * - Bounded concurrency, every post awaited (one failure never stops the rest).
 * - 410 GoneException: the connection is stale; exactly that connection record is deleted.
 * - Throttling (429) and server errors (5xx): retried a bounded number of times with the shared
 *   backoff (full jitter); then logged and counted, never thrown to the caller.
 * - Every fan-out emits its counts as business metrics (FanOutPosts, FanOutFailures,
 *   StaleConnectionsRemoved: lambdas/shared/metrics.ts).
 */
import {
  type ApiGatewayManagementApiClient,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mapSettled } from '../shared/concurrency.ts';
import type { Frame } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { countMetric, putMetrics } from '../shared/metrics.ts';
import { backOff } from '../shared/retry.ts';

export interface Target {
  readonly userId: string;
  readonly connectionId: string;
}

interface FanOutReport {
  /** Posts acknowledged by the Management API. */
  delivered: number;
  /** Connections found gone (410) and removed. */
  gone: number;
  /** Posts that failed after retries (logged). */
  failed: number;
  /** Retries performed for throttling or server errors. */
  retried: number;
}

/** Where the sockets of a user are recorded (the data layer's `connections`). */
export interface ConnectionDirectory {
  listIds(userId: string): Promise<string[]>;
  delete(userId: string, connectionId: string): Promise<boolean>;
}

interface FanOutOptions {
  /** Posts in flight at once. @default 16 */
  readonly concurrency?: number;
  /** Attempts per post for retryable failures (429, 5xx, network). @default 3 */
  readonly maxAttempts?: number;
  /** Base backoff in milliseconds (full jitter over base·2^attempt, at most 1 s). @default 25 */
  readonly baseDelayMs?: number;
}

const MAX_BACKOFF_MS = 1000;

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isGone(error: unknown): boolean {
  return (error as { name?: string })?.name === 'GoneException' || statusOf(error) === 410;
}

function isRetryable(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined) return true; // network-level failure
  const name = (error as { name?: string })?.name;
  return status === 429 || status >= 500 || name === 'LimitExceededException';
}

export class FanOut {
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #backoff: { baseMs: number; capMs: number };

  constructor(
    readonly client: () => ApiGatewayManagementApiClient,
    readonly directory: ConnectionDirectory,
    options: FanOutOptions = {},
  ) {
    this.#concurrency = options.concurrency ?? 16;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#backoff = { baseMs: options.baseDelayMs ?? 25, capMs: MAX_BACKOFF_MS };
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
      for (const connectionId of await this.directory.listIds(userId)) {
        if (connectionId !== options.excludeConnectionId) targets.push({ userId, connectionId });
      }
    });
    return targets;
  }

  /** Sends `frame` to the given sockets. */
  async toConnections(targets: readonly Target[], frame: Frame): Promise<FanOutReport> {
    const report: FanOutReport = { delivered: 0, gone: 0, failed: 0, retried: 0 };
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
      await this.directory.delete(target.userId, target.connectionId);
      countMetric('StaleConnectionsRemoved');
      return false;
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
          await this.directory.delete(target.userId, target.connectionId);
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
        await backOff(this.#backoff, attempt);
      }
    }
  }
}

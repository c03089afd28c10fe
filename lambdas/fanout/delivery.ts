/**
 * Posting one frame to many sockets through the API Gateway Management API (`@connections`): the
 * policy both the in-request fan-out and the queue worker apply.
 *
 * - Bounded concurrency, every post awaited (one failure never stops the rest).
 * - 410 GoneException: the socket is gone, or still inside its `$connect` (API Gateway answers 410
 *   for both); `onGone` forgets exactly that socket unless it is that young. No retry.
 * - Throttling (429) and server errors (5xx, network): retried a bounded number of times with the
 *   shared backoff (full jitter), each retry paid from the container's retry quota (`RetryQuota`,
 *   as an SDK client's: while the Management API keeps refusing, e.g. at the account's throttle, a
 *   container stops multiplying its posts); then counted as failed and handed back, never thrown
 *   (a request with a queue hands them to it, fanout.ts). A post refused its retry by the quota is
 *   `late`, as one with no time left for it (of a `presence` post, a request queues only these).
 * - Within a time budget (a route's or the queue worker's: lambdas/shared/budget.ts), a post whose
 *   attempt could not end in time is not started: it is handed back as deferred, to be queued,
 *   instead of keeping the invocation past its timeout (then Lambda fails the request, or SQS
 *   delivers the whole job again, and after its last receive nothing of it at all). A post that
 *   failed and has no time left for its retry counts as failed (the worker's next job attempt).
 */
import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { fitsBudget, type SendBudget } from '../shared/budget.ts';
import { mapSettled } from '../shared/concurrency.ts';
import { logger } from '../shared/logger.ts';
import { type Backoff, backOff, type RetryKind, type RetryQuota } from '../shared/retry.ts';
import { POST_TIMEOUT_MS } from './light-posts.ts';

/** What one post may take within a budget: the post's timeout, and a second for the rest of it. */
export const POST_ATTEMPT_MS = POST_TIMEOUT_MS + 1_000;

/** One socket of one user. */
export interface Target {
  readonly userId: string;
  readonly connectionId: string;
}

export interface DeliveryReport {
  /** Posts acknowledged by the Management API. */
  delivered: number;
  /** Sockets found gone (410) and forgotten. */
  gone: number;
  /** Sockets that answered 410 but were stored too recently to be gone (still in `$connect`): kept. */
  connecting: number;
  /** Posts that failed after retries (logged). */
  failed: number;
  /** Retries performed for throttling or server errors. */
  retried: number;
}

export interface DeliveryOptions {
  /** Posts in flight at once. */
  readonly concurrency: number;
  /** Attempts per post for retryable failures (429, 5xx, network). */
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  /** No attempt is started that could not end within it (module comment). @default none */
  readonly budget?: SendBudget | undefined;
  /** What retries are paid from (module comment). @default none: every retry allowed */
  readonly quota?: RetryQuota | undefined;
}

export const emptyReport = (): DeliveryReport => ({
  delivered: 0,
  gone: 0,
  connecting: 0,
  failed: 0,
  retried: 0,
});

/** Adds `more`'s counts to `into`. */
export function addReport(into: DeliveryReport, more: DeliveryReport): void {
  into.delivered += more.delivered;
  into.gone += more.gone;
  into.connecting += more.connecting;
  into.failed += more.failed;
  into.retried += more.retried;
}

export function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export function isGone(error: unknown): boolean {
  return (error as { name?: string })?.name === 'GoneException' || statusOf(error) === 410;
}

/** How a failed post is retried; undefined when it is not. */
export function retryKind(error: unknown): RetryKind | undefined {
  const status = statusOf(error);
  if (status === undefined) return 'transient'; // network-level failure
  const name = (error as { name?: string })?.name;
  if (status === 429 || name === 'LimitExceededException') return 'throttling';
  return status >= 500 ? 'transient' : undefined;
}

/**
 * Posts `data` to every target. Returns the report, the targets whose posts failed after the
 * bounded retries (never a 410: the queue worker and a request hand those to a later attempt),
 * those deferred for want of time (`budget`: never tried), and among the failed, those `late`:
 * failed only for want of time or of retry quota for their retry (of a `presence` post, a request
 * queues only these: fanout.ts).
 */
export async function deliver(
  client: () => ApiGatewayManagementApiClient,
  targets: readonly Target[],
  data: Uint8Array,
  /** Forgets a socket that answered 410; false when it was kept (too young to be gone). */
  onGone: (target: Target) => Promise<boolean>,
  options: DeliveryOptions,
): Promise<{ report: DeliveryReport; failed: Target[]; deferred: Target[]; late: Target[] }> {
  const report = emptyReport();
  const failed: Target[] = [];
  const deferred: Target[] = [];
  const late: Target[] = [];
  await mapSettled(targets, options.concurrency, async (target) => {
    let lastCost = 0; // what its last retry cost (a success gives it back)
    for (let attempt = 1; ; attempt++) {
      if (attempt === 1 && !fitsBudget(options.budget, POST_ATTEMPT_MS)) {
        deferred.push(target);
        return;
      }
      try {
        await client().send(new PostToConnectionCommand({ ConnectionId: target.connectionId, Data: data }));
        options.quota?.succeeded(lastCost);
        report.delivered++;
        return;
      } catch (error) {
        if (isGone(error)) {
          if (await onGone(target)) report.gone++;
          else report.connecting++;
          return;
        }
        // No time left for the retry (its wait is at most the backoff's cap): failed like a post out
        // of attempts, so that the worker's job attempts still bound it (and its retry waits).
        const outOfTime = !fitsBudget(options.budget, POST_ATTEMPT_MS, options.backoff.capMs);
        const kind = retryKind(error);
        const spent = attempt >= options.maxAttempts || !kind;
        const cost = spent || outOfTime || !kind ? 0 : options.quota ? options.quota.take(kind) : 0;
        const noQuota = cost === undefined;
        if (spent || outOfTime || noQuota) {
          report.failed++;
          failed.push(target);
          if (!spent) late.push(target);
          logger.error('post to connection failed', {
            targetConnectionId: target.connectionId,
            status: statusOf(error),
            attempts: attempt,
            ...(outOfTime ? { outOfTime } : {}),
            ...(noQuota ? { noRetryQuota: true } : {}),
            error,
          });
          return;
        }
        lastCost = cost;
        report.retried++;
        await backOff(options.backoff, attempt);
      }
    }
  });
  return { report, failed, deferred, late };
}

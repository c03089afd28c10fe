/**
 * The fan-out's shapes and defaults (fanout.ts): the chat an event belongs to, what a fan-out
 * reports, its options and a send's options, the queue threshold, job size and backoff bounds.
 */

import type { RetryQuota } from '../shared/retry.ts';
import type { DeliveryReport, Target } from './delivery.ts';
import type { JobQueue } from './jobs.ts';

/** The chat an event belongs to: a group's sockets are in its roster. */
export interface ChatRef {
  readonly chatId: string;
  readonly kind: 'direct' | 'group';
}

export interface FanOutReport extends DeliveryReport {
  /**
   * Sockets handed to the queue worker instead of being posted here, and users whose sockets it
   * looks up (their lookup failed here).
   */
  queued: number;
}

export interface FanOutOptions {
  /**
   * Posts in flight at once. @default 16 (the class's own; deployments pass FANOUT_CONCURRENCY, 64 by
   * default, lambdas/shared/config.ts, and the fan-out worker its `postConcurrency`)
   */
  readonly concurrency?: number;
  /** Attempts per post for retryable failures (429, 5xx, network). @default 3 */
  readonly maxAttempts?: number;
  /** Base backoff in milliseconds (full jitter over base·2^attempt, at most 1 s). @default 25 */
  readonly baseDelayMs?: number;
  /** Where fan-outs above the threshold go. Without one every post is made in the request. */
  readonly queue?: JobQueue | undefined;
  /** More sockets than this go to the queue. @default 200 */
  readonly queueThreshold?: number;
  /** Sockets per queued job. @default 200 */
  readonly jobSize?: number;
  /** The most sockets an ephemeral event (`typing`) goes to (ephemeral.ts). @default 200 */
  readonly ephemeralMaxSockets?: number;
  /** What the posts' retries are paid from (delivery.ts). @default one of its own (the SDK's size) */
  readonly retryQuota?: RetryQuota;
}

export interface SendOptions {
  /** The socket the request came from (it gets the ack instead). */
  readonly excludeConnectionId?: string | undefined;
  /** The chat of the event: for a group, its roster lists the sockets. */
  readonly chat?: ChatRef | undefined;
  /** The sockets, when the caller looked them up already (`socketsOf` with the same options). */
  readonly sockets?: readonly Target[] | undefined;
}

export const MAX_BACKOFF_MS = 1000;
/**
 * Kept at the end of a request's invocation when it posts itself: posts start only while they can
 * end this long before its timeout (delivery.ts), leaving time to queue the rest and to answer.
 */
export const REQUEST_RESERVE_MS = 2_000;
export const DEFAULT_QUEUE_THRESHOLD = 200;
/**
 * A post a request hands to the queue after it failed (refused on every attempt, or with no time or
 * retry quota left for its retry) waits this long there: about the backoff its retry would have
 * waited (at most 1 s); the worker's own delays follow (worker.ts).
 */
export const LATE_DELAY_SECONDS = 1;
export const DEFAULT_JOB_SIZE = 200;

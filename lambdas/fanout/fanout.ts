/**
 * Fan-out: server events pushed to sockets through the API Gateway Management API (`@connections`).
 *
 * - Who: the open sockets of the users an event is for. A group event names its chat, and its
 *   sockets come from the group's roster (one Query, however many members; filtered to the users
 *   asked for); anything else looks the users up one by one (a direct chat has two).
 * - How: up to `queueThreshold` sockets are posted here, inside the request (delivery.ts: bounded
 *   concurrency, 410 forgets the socket, 429/5xx retried). Above it the sockets are split into
 *   jobs for the queue worker and the request returns at once: the sender's ack never waits for
 *   thousands of posts, and API Gateway's 29 s integration timeout is never near.
 * - A post here that still fails after its retries (or has no time or retry quota left for them) is
 *   not given up: with a queue, its socket goes to the worker as a job, `LATE_DELAY_SECONDS` later,
 *   which tries it for about 4 more minutes, then the dead-letter queue (worker.ts): at least once to
 *   every open socket, as for a fan-out queued whole. A 410 never is (the socket is gone, and
 *   forgotten), nor a `presence` post: its announcement takes its mark back and is rechecked
 *   (lambdas/domain/presence-announce.ts), which announces the state true then, never a stale one.
 * - When: callers look sockets up only after the change is stored, or at least after its version
 *   was allocated (`sendMessage` looks up beside its put: `lambdas/domain/send.ts`), so a socket
 *   that opens later finds the change in its catch-up; one that opened before is in the directory
 *   (rosters are read consistently).
 * - A user whose sockets could not be looked up (their connection Query still failing after the
 *   directory's retries: `SocketLookupFailed`) is never skipped in silence: the event goes to the
 *   sockets found, and those users go to the queue as a lookup job (the worker looks them up and
 *   posts, with its job attempts, SQS's redelivery and the dead-letter queue: at least once, as for
 *   a post that failed). Without a queue, or when it refuses the job, they count as failed
 *   (`failed`, FanOutFailures). A group whose roster Query fails is handed over the same way: all
 *   its users, whom the worker looks up one by one (a `message.created` stored before the failure
 *   still reaches every open socket; failing the call would not, as the client's retry is a
 *   duplicate that posts nothing within 10 s).
 * - Every post (here or in the worker) emits its counts as business metrics (FanOutPosts,
 *   FanOutFailures, FanOutRetries, StaleConnectionsRemoved: lambdas/shared/metrics.ts).
 */
import {
  type ApiGatewayManagementApiClient,
  GetConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { currentBudget, type SendBudget } from '../shared/budget.ts';
import type { Frame } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { countMetric, putMetrics } from '../shared/metrics.ts';
import { type Backoff, RetryQuota } from '../shared/retry.ts';
import { type CloseOutcome, closeSocket } from './close.ts';
import { addReport, type DeliveryReport, deliver, emptyReport, isGone, type Target } from './delivery.ts';
import type { SocketDirectory } from './directory.ts';
import {
  EPHEMERAL_MAX_SOCKETS,
  type EphemeralOptions,
  type EphemeralReport,
  sendEphemeral,
} from './ephemeral.ts';
import { type FanOutJob, isEphemeral, type JobQueue, planJobs } from './jobs.ts';
import { findSockets, lookUpLater } from './lookup-later.ts';
import { type FramePart, partsOf, type SocketsPart, splitByUser } from './parts.ts';

export type { Target } from './delivery.ts';
export type { FramePart } from './parts.ts';

import {
  DEFAULT_JOB_SIZE,
  DEFAULT_QUEUE_THRESHOLD,
  type FanOutOptions,
  type FanOutReport,
  LATE_DELAY_SECONDS,
  MAX_BACKOFF_MS,
  REQUEST_RESERVE_MS,
  type SendOptions,
} from './options.ts';

export {
  type ChatRef,
  DEFAULT_JOB_SIZE,
  DEFAULT_QUEUE_THRESHOLD,
  type FanOutOptions,
  type FanOutReport,
  LATE_DELAY_SECONDS,
  REQUEST_RESERVE_MS,
  type SendOptions,
} from './options.ts';

export class FanOut {
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #backoff: Backoff;
  readonly #queue: JobQueue | undefined;
  readonly #threshold: number;
  readonly #jobSize: number;
  readonly #quota: RetryQuota;
  readonly #ephemeralMax: number;

  constructor(
    readonly client: () => ApiGatewayManagementApiClient,
    readonly directory: SocketDirectory,
    options: FanOutOptions = {},
  ) {
    this.#concurrency = options.concurrency ?? 16;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#backoff = { baseMs: options.baseDelayMs ?? 25, capMs: MAX_BACKOFF_MS };
    this.#queue = options.queue;
    this.#threshold = options.queueThreshold ?? DEFAULT_QUEUE_THRESHOLD;
    this.#jobSize = options.jobSize ?? DEFAULT_JOB_SIZE;
    this.#quota = options.retryQuota ?? new RetryQuota();
    this.#ephemeralMax = options.ephemeralMaxSockets ?? EPHEMERAL_MAX_SOCKETS;
  }

  /**
   * Sends an ephemeral event (`typing`) best-effort: posted once in the request, never queued nor
   * retried, and to nobody when there are more than `ephemeralMaxSockets` sockets (ephemeral.ts).
   */
  ephemeral(
    userIds: readonly string[],
    frame: Frame,
    options: SendOptions & Pick<EphemeralOptions, 'without'> = {},
  ): Promise<EphemeralReport> {
    const send = {
      client: this.client,
      directory: this.directory,
      concurrency: this.#concurrency,
      max: this.#ephemeralMax,
      reserveMs: REQUEST_RESERVE_MS,
    };
    const chatId = options.chat?.kind === 'group' ? options.chat.chatId : undefined;
    const { excludeConnectionId, without } = options;
    return sendEphemeral(send, userIds, frame, { chatId, excludeConnectionId, without });
  }

  /** Sends `frame` to every open socket of every user, except `excludeConnectionId`. */
  toUsers(userIds: readonly string[], frame: Frame, options: SendOptions = {}): Promise<FanOutReport> {
    return this.toEach([{ userIds, frame }], options);
  }

  /**
   * Sends each part's frame to its own users' sockets (parts.ts): as one fan-out, so each socket
   * gets one post, as from `toUsers` (the sockets looked up once; queued when together they pass
   * the threshold).
   */
  async toEach(parts: readonly FramePart[], options: SendOptions = {}): Promise<FanOutReport> {
    const userIds = parts.flatMap((p) => p.userIds);
    const { targets, missed } = options.sockets
      ? { targets: options.sockets, missed: [] }
      : await findSockets(() => this.socketsOf(userIds, options), userIds, options);
    const chatId = options.chat?.kind === 'group' ? options.chat.chatId : undefined;
    const report = await this.#send(splitByUser(parts, targets), chatId);
    const where = { excludeConnectionId: options.excludeConnectionId, chatId };
    for (const part of partsOf(parts, missed))
      await lookUpLater(this.#queue, part.userIds, part.frame, where, report);
    return report;
  }

  /**
   * Queues one job for the worker as it is (a receipt's whose group's roster could not be read:
   * jobs.ts `planReceiptJob`, lambdas/domain/receipts.ts); rejects without a queue.
   */
  async queueJob(job: FanOutJob): Promise<void> {
    if (!this.#queue) throw new Error('no fan-out queue');
    await this.#queue.send([job]);
  }

  /**
   * The open sockets of the given users, except `excludeConnectionId`: from the group's roster when
   * `chat` is a group (entries of anyone not among `userIds` are ignored: a removed member's socket
   * that a racing `$connect` listed again never gets the group's events), else one lookup per user
   * (rejects with `SocketLookupFailed` when some users could not be looked up: directory.ts).
   */
  async socketsOf(userIds: readonly string[], options: SendOptions = {}): Promise<Target[]> {
    const wanted = (t: Target) => t.connectionId !== options.excludeConnectionId;
    if (options.chat?.kind !== 'group') return (await this.directory.socketsOfUsers(userIds)).filter(wanted);
    const audience = new Set(userIds);
    const listed = await this.directory.socketsOfGroup(options.chat.chatId);
    return listed.filter((t) => audience.has(t.userId) && wanted(t));
  }

  /**
   * Sends `frame` to the given sockets: posted here up to the threshold, queued above it (or when
   * the queue refuses the jobs, posted here after all). `chatId`: the roster they came from. Posted
   * here in a route's invocation, those it has no time left to post to are queued too (delivery.ts).
   */
  toConnections(targets: readonly Target[], frame: Frame, chatId?: string): Promise<FanOutReport> {
    return this.#send([{ targets, frame }], chatId);
  }

  /** `toConnections` for a frame per part: the threshold applies to all their sockets together. */
  async #send(parts: readonly SocketsPart[], chatId: string | undefined): Promise<FanOutReport> {
    const sending = parts
      .filter((p) => p.targets.length > 0)
      .map((p) => ({ targets: p.targets, json: JSON.stringify(p.frame) }));
    const total = sending.reduce((n, p) => n + p.targets.length, 0);
    const report: FanOutReport = { ...emptyReport(), queued: 0 };
    if (total === 0) return report;
    if (this.#queue && total > this.#threshold) {
      try {
        await this.#queue.send(sending.flatMap((p) => planJobs(p.targets, p.json, chatId, this.#jobSize)));
        return { ...report, queued: total };
      } catch (error) {
        logger.error('fan-out queue unavailable: posting in the request', { targets: total, error });
      }
    }
    // With a queue, posts stop in time for the invocation's timeout: those not tried go to the queue
    // at once, those that failed a little later (its worker tries them again; `post` does not count
    // them as failed). Of a `presence` post only those that failed for want of time or retry quota:
    // one refused on every attempt is rechecked instead (module comment).
    const budget = this.#queue ? currentBudget(REQUEST_RESERVE_MS) : undefined;
    for (const { targets, json } of sending) {
      const handOn = this.#queue && (isEphemeral(json) ? 'late' : 'failed');
      const posted = await this.post(targets, new TextEncoder().encode(json), chatId, budget, handOn);
      addReport(report, posted.report);
      if (!handOn) continue;
      report.failed -= posted[handOn].length; // counted again if the queue refuses them
      report.queued += await this.#handOn(posted.deferred, json, chatId, report, 0);
      report.queued += await this.#handOn(posted[handOn], json, chatId, report, LATE_DELAY_SECONDS);
    }
    if (report.failed > 0 || report.gone > 0 || report.queued > 0) {
      logger.warn('fan-out incomplete', { event: parts[0]?.frame.type, targets: total, ...report });
    }
    return report;
  }

  /**
   * Queues sockets a request did not post to (no time to try them, or their posts failed), after
   * `delaySeconds`; those the queue refuses count as failed.
   */
  async #handOn(
    targets: readonly Target[],
    json: string,
    chatId: string | undefined,
    report: DeliveryReport,
    delaySeconds: number,
  ): Promise<number> {
    if (targets.length === 0) return 0;
    try {
      await this.#queue?.send(planJobs(targets, json, chatId, this.#jobSize), { delaySeconds });
      return targets.length;
    } catch (error) {
      logger.error('fan-out: sockets not posted here could not be queued', {
        sockets: targets.length,
        error,
      });
      report.failed += targets.length;
      putMetrics({ FanOutFailures: targets.length });
      return 0;
    }
  }

  /**
   * Posts already-encoded data to the sockets (also what the queue worker runs per job, within its
   * invocation's `budget`: delivery.ts). `handOn`: which of the failed ones the caller queues (a
   * request's `#send`): not counted as failures here.
   */
  async post(
    targets: readonly Target[],
    data: Uint8Array,
    chatId: string | undefined,
    budget?: SendBudget,
    handOn?: 'failed' | 'late',
  ) {
    const result = await deliver(
      this.client,
      targets,
      data,
      (target) => this.directory.gone(target, chatId),
      {
        concurrency: this.#concurrency,
        maxAttempts: this.#maxAttempts,
        backoff: this.#backoff,
        budget,
        quota: this.#quota,
      },
    );
    putMetrics({
      FanOutPosts: result.report.delivered,
      FanOutFailures: result.report.failed - (handOn ? result[handOn].length : 0),
      FanOutRetries: result.report.retried,
      StaleConnectionsRemoved: result.report.gone,
    });
    return result;
  }

  /**
   * Whether a socket is really open (GetConnection). A gone one is forgotten; on any other failure
   * the socket is assumed open (presence errs on the side of "online").
   */
  async isOpen(target: Target): Promise<boolean> {
    try {
      await this.client().send(new GetConnectionCommand({ ConnectionId: target.connectionId }));
      return true;
    } catch (error) {
      if (!isGone(error)) return true;
      if (await this.directory.gone(target, undefined, { probe: true }))
        countMetric('StaleConnectionsRemoved');
      return false;
    }
  }

  /** Closes a socket (DeleteConnection, retried; a gone one is forgotten): close.ts. */
  close(target: Target): Promise<CloseOutcome> {
    return closeSocket(this.client(), this.directory, target);
  }
}

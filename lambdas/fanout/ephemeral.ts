/**
 * Ephemeral events (`typing`): best-effort, as Slack and WhatsApp treat them. A lost one is replaced
 * by the next within seconds, and a late one is wrong (a queued `isTyping: false` overtaken by a
 * later `true` leaves a member shown typing), so unlike every other event (fanout.ts):
 *
 * - never queued and never retried: posted once, inside the request, within its time budget; a
 *   post that fails, or that the budget has no time for, is dropped (counted as failed);
 * - at most `EPHEMERAL_MAX_SOCKETS` sockets (the in-request fan-out size): a group whose roster lists
 *   more gets nothing at all, and its roster is read only that far (eventually consistent, pages of
 *   `max + 1` entries: lambdas/data/rosters.ts `listUpTo`), not whole;
 * - looked up eventually consistently, once per user (a socket opened a moment ago may miss one);
 *   a lookup that fails leaves those sockets out (logged), as a failed post would;
 * - the users the caller leaves out (`without`: typing, those the typist has blocked) are asked for
 *   once the sockets are found, only about the users they belong to; when that fails, nobody is told.
 *
 * A socket that answers 410 is still forgotten, as for any post (directory.ts `gone`).
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { currentBudget } from '../shared/budget.ts';
import type { Frame } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { putMetrics } from '../shared/metrics.ts';
import { type DeliveryReport, deliver, emptyReport, type Target } from './delivery.ts';
import type { SocketDirectory } from './directory.ts';

/** More sockets than this (a group's roster): an ephemeral event is not sent at all. */
export const EPHEMERAL_MAX_SOCKETS = 200;

export interface EphemeralReport extends DeliveryReport {
  /** The event went to nobody: more than `max` sockets, or the group's roster could not be read. */
  skipped: boolean;
}

export interface EphemeralSend {
  readonly client: () => ApiGatewayManagementApiClient;
  readonly directory: SocketDirectory;
  /** Posts in flight at once. */
  readonly concurrency: number;
  /** The most sockets it is sent to. */
  readonly max: number;
  /** Kept at the end of the invocation (fanout.ts `REQUEST_RESERVE_MS`). */
  readonly reserveMs: number;
}

const skipped = (): EphemeralReport => ({ ...emptyReport(), skipped: true });

export interface EphemeralOptions {
  /** The group whose roster lists the sockets; none: each user's sockets are looked up. */
  readonly chatId?: string | undefined;
  /** The socket the request came from. */
  readonly excludeConnectionId?: string | undefined;
  /**
   * The users to leave out, asked only about those whose sockets were found, and only when there is
   * one (typing: those the typist has blocked, lambdas/domain/blocked-audience.ts). A rejection is a
   * failed lookup: nothing is sent.
   */
  readonly without?: ((userIds: readonly string[]) => Promise<ReadonlySet<string>>) | undefined;
}

/** The sockets of `userIds` (from the group's roster for a group), or undefined when over `max`. */
async function targetsOf(
  send: EphemeralSend,
  userIds: readonly string[],
  { chatId, excludeConnectionId, without }: EphemeralOptions,
): Promise<Target[] | undefined> {
  const wanted = (t: Target) => t.connectionId !== excludeConnectionId;
  let found: Target[] | undefined;
  if (chatId === undefined) {
    found = (await send.directory.socketsOfUsers(userIds, { bestEffort: true })).filter(wanted);
    if (found.length > send.max) return undefined;
  } else {
    const audience = new Set(userIds);
    found = (await send.directory.someSocketsOfGroup(chatId, send.max))?.filter(
      (t) => audience.has(t.userId) && wanted(t),
    );
  }
  if (!found || found.length === 0 || !without) return found;
  const left = await without([...new Set(found.map((t) => t.userId))]);
  return found.filter((t) => !left.has(t.userId));
}

/** Sends `frame` to the users' open sockets, best-effort (module comment). Never throws for a post. */
export async function sendEphemeral(
  send: EphemeralSend,
  userIds: readonly string[],
  frame: Frame,
  options: EphemeralOptions = {},
): Promise<EphemeralReport> {
  let targets: Target[] | undefined;
  try {
    targets = await targetsOf(send, userIds, options);
  } catch (error) {
    logger.warn('ephemeral event: its sockets could not be looked up; not sent', {
      event: frame.type,
      error,
    });
    return skipped();
  }
  if (!targets) return skipped();
  if (targets.length === 0) return { ...emptyReport(), skipped: false };
  const { report, deferred } = await deliver(
    send.client,
    targets,
    new TextEncoder().encode(JSON.stringify(frame)),
    (target) => send.directory.gone(target, options.chatId),
    {
      concurrency: send.concurrency,
      maxAttempts: 1,
      backoff: { baseMs: 0, capMs: 0 },
      budget: currentBudget(send.reserveMs),
    },
  );
  report.failed += deferred.length; // no time left for them: dropped, never queued
  putMetrics({
    FanOutPosts: report.delivered,
    FanOutFailures: report.failed,
    StaleConnectionsRemoved: report.gone,
  });
  return { ...report, skipped: false };
}

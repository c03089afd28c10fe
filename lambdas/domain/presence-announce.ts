/**
 * Presence announcements (presence.ts decides when): the claim on the user's budget
 * (`PRESENCE_ANNOUNCEMENTS`, `profiles.claimPresenceAnnouncement`), the post to the direct-chat peers
 * who may hear it (presence-privacy.ts), and what a failed post leaves: its mark taken back and one
 * retry recheck queued.
 */

import type { MembershipRef } from '../data/store.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import type { Deps } from './deps.ts';
import { presenceAudience } from './presence-privacy.ts';

export interface PresenceView {
  userId: string;
  online: boolean;
  lastSeenAt: string | null;
}

/**
 * A user's presence announcements: at most `max` in a fixed window of `windowSeconds` from the
 * first. Two connect-and-close cycles a minute are announced in full; a user changing more often
 * (a reconnect loop, or a flood) is shown in the state last announced until the window's end, when
 * one recheck announces the state true then (getPresence answers the truth meanwhile).
 */
export const PRESENCE_ANNOUNCEMENTS = { windowSeconds: 60, max: 4 } as const;

/** The budget's window in this deployment (shorter in tests). */
export const windowOf = (deps: Deps): number =>
  deps.presenceWindowSeconds ?? PRESENCE_ANNOUNCEMENTS.windowSeconds;

/** The user's memberships, when the caller has not read them already. */
export type Memberships = readonly MembershipRef[] | undefined;

export async function directPeers(deps: Deps, userId: string, known: Memberships): Promise<string[]> {
  const memberships = known ?? (await deps.store.chats.listMemberships(userId));
  return memberships.filter((m) => m.kind === 'direct' && m.peerId).map((m) => m.peerId as string);
}

/**
 * Claims the announcement of the change to `online`, and names the user's direct-chat peers when it
 * is to be announced; undefined when there is none, when it is the state last announced (a
 * duplicate: two sockets opening at once, a 410's offline check then `$disconnect`), or when the
 * window's announcements are used up (`PRESENCE_ANNOUNCEMENTS`, claimed before any peer's block is
 * read). The first refusal of a window queues one recheck for the window's end (`recheckPresence`),
 * which announces the state true then.
 */
async function claimAnnouncement(
  deps: Deps,
  userId: string,
  online: boolean,
  memberships: Memberships,
): Promise<string[] | undefined> {
  const peers = await directPeers(deps, userId, memberships);
  if (peers.length === 0) return undefined;
  const now = Math.floor(deps.now().getTime() / 1000);
  const limits = { ...PRESENCE_ANNOUNCEMENTS, windowSeconds: windowOf(deps) };
  const claim = await deps.store.profiles.claimPresenceAnnouncement(userId, online, now, limits);
  if (claim.outcome === 'recheck') {
    // A recheck that could not be queued leaves no mark behind: the next refusal queues one.
    if (deps.presenceRecheck)
      await deps.presenceRecheck(userId, claim.delaySeconds).catch(async (error: unknown) => {
        await deps.store.profiles.clearPresencePending(userId);
        throw error;
      });
    else logger.warn('a presence change beyond the budget, but no queue to recheck it later');
  }
  return claim.outcome === 'announce' ? peers : undefined;
}

/** How long after a failed presence post its retry (a recheck) runs. */
export const PRESENCE_RETRY_SECONDS = 5;

/**
 * Announces `presence` to the direct-chat peers who may hear it (neither blocked by the user nor
 * blocking them: presence-privacy.ts); whether it was claimed and any peer was to be told.
 *
 * The claim marks the state as announced (`presenceShown`) before the post. When the post then fails
 * (it throws, or sockets are left that the fan-out could neither post to after its retries nor
 * queue), the mark is taken back, so that the same state is announced again rather than
 * deduplicated away, and, unless this announcement is a recheck's (`retry` false: it is not retried
 * again) and its mark was taken back, one recheck is queued `PRESENCE_RETRY_SECONDS` later to announce
 * the state true then (taking back the mark itself first when it could not be here). A post that
 * threw is thrown on only when no such retry was queued.
 */
export async function announceState(
  deps: Deps,
  presence: PresenceView,
  memberships: Memberships,
  retry = true,
): Promise<boolean> {
  const peers = await claimAnnouncement(deps, presence.userId, presence.online, memberships);
  if (!peers) return false;
  let failed: number;
  try {
    const told = await presenceAudience(deps, presence.userId, peers);
    if (told.length === 0) return false;
    ({ failed } = await deps.fanOut.toUsers(told, event('presence', { ...presence })));
  } catch (error) {
    // Its retry queued, the failure is dealt with: thrown on, the caller's own retry (`$disconnect`'s
    // second try, SQS's redelivery) would claim a second slot and queue a second retry.
    if (await takeBack(deps, presence, retry)) return true;
    throw error;
  }
  if (failed > 0) await takeBack(deps, presence, retry);
  return true;
}

/**
 * `announceState`'s failed post: the mark taken back, and a recheck queued when `retry` (whether it
 * was). When the mark could not be taken back, it would deduplicate the retry away (and a recheck's
 * redelivery): the retry is queued even for a recheck, and takes the mark back itself first.
 */
async function takeBack(deps: Deps, presence: PresenceView, retry: boolean): Promise<boolean> {
  const { userId, online } = presence;
  logger.warn('a presence announcement was not posted to every peer: its mark taken back', { online });
  let unmarked = true;
  try {
    await deps.store.profiles.unmarkPresenceShown(userId, online);
  } catch (error) {
    logger.warn('could not take back a failed presence announcement: its retry will', { error });
    unmarked = false;
  }
  if ((!retry && unmarked) || !deps.presenceRecheck) return false;
  try {
    if (unmarked) await deps.presenceRecheck(userId, PRESENCE_RETRY_SECONDS);
    else await deps.presenceRecheck(userId, PRESENCE_RETRY_SECONDS, online);
    return true;
  } catch (error) {
    logger.warn('could not queue the retry of a failed presence announcement', { error });
    return false;
  }
}

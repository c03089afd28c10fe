/**
 * Presence: a user is online while at least one socket is open. The user's direct-chat peers get a
 * `presence` event when the first socket opens and when the last one closes, except those the user
 * has blocked and those who blocked the user. A user's announcements are coalesced: at most
 * `PRESENCE_ANNOUNCEMENTS.max` in a window of `PRESENCE_ANNOUNCEMENTS.windowSeconds` (counted on
 * their profile), and only a change of the state last announced is announced; a change beyond the
 * budget is announced at the window's end by one queued recheck (of the state true then), so a
 * client that reconnects in a loop costs its peers a few events a minute, not two per cycle. `getPresence` answers only about users
 * who share a chat with the caller and have not blocked them; anyone else reads as never seen
 * (presence-privacy.ts). The claim and the post of an announcement: presence-announce.ts.
 */

import type { Caller } from '../shared/caller.ts';
import { eachLimited } from '../shared/concurrency.ts';
import type { Deps } from './deps.ts';
import {
  announceState,
  directPeers,
  type Memberships,
  type PresenceView,
  windowOf,
} from './presence-announce.ts';
import { visibleTo } from './presence-privacy.ts';
import { otherSocketOpen, recheckSockets, socketLeft } from './presence-sockets.ts';
import { CONNECTING_SECONDS } from './socket-liveness.ts';

export {
  PRESENCE_ANNOUNCEMENTS,
  PRESENCE_RETRY_SECONDS,
  type PresenceView,
} from './presence-announce.ts';

/**
 * How long a pending recheck mark (`profiles.markPresencePending`) may wait for its recheck: that runs
 * at most a window after the mark (a refused change's, at the window's end) or a `$connect`'s time
 * (a put-off's, when the young socket is settled), plus a minute for the queue. A mark that old was
 * lost (its send and then its clear failed, or the Lambda died between mark and send).
 */
const pendingLifetime = (deps: Deps): number => windowOf(deps) + CONNECTING_SECONDS + 60;

/** After a socket opened: announce the user online if no other socket of theirs is open. */
export async function wentOnline(
  deps: Deps,
  opened: { readonly userId: string; readonly connectionId: string; readonly at: string },
  memberships?: Memberships,
): Promise<void> {
  const { userId } = opened;
  if (await otherSocketOpen(deps, userId, opened.connectionId)) return;
  await announceState(deps, { userId, online: true, lastSeenAt: opened.at }, memberships);
}

/**
 * After a socket closed: record last-seen and announce the user offline if none is left.
 *
 * The sockets left are read as a recheck reads them (presence-sockets.ts `recheckSockets`): each asked
 * of the gateway, newest first, until one is open. When none is open but a young one answered 410
 * (inside its `$connect`, or left by one that stored its socket and then failed: the gateway answers
 * both alike, and no `$disconnect` comes for the second), the decision is put off: last-seen is
 * recorded (a socket did close) and, when the user has direct-chat peers to tell, a recheck is queued
 * for when that socket is settled (`recheckPresence`), where a 410 means gone. Without a queue to ask
 * again later, a young socket counts as open (the user stays online).
 *
 * A reconnect races with this: the new socket's `$connect` may store it just after the first read
 * (so this goes offline) and announce the user online from another Lambda, with no order between the
 * two posts. If the offline one landed last, peers would show the user offline while they are online
 * until the next change (up to the socket's 2 h). So once the offline event is posted, the user's
 * sockets are read again (consistently, `socketLeft`): a socket stored before that read is found, and
 * the user is announced online again (with the same `lastSeenAt`, as `getPresence` now answers), after
 * the offline post; one stored after it announces online itself, after the offline post too. What is
 * left unordered is a post the fan-out had to queue or retry later (docs/protocol.md, `presence`).
 *
 * True when another socket of the user's was found open (`$disconnect` then leaves the push badge
 * alone: connections.ts); false when none was, young ones still undecided included.
 */
export async function wentOffline(deps: Deps, userId: string, memberships?: Memberships): Promise<boolean> {
  const left = await recheckSockets(deps, userId);
  const open = 'online' in left && left.online;
  if (open || ('undecidedUntil' in left && !deps.presenceRecheck)) return open;
  const lastSeenAt = deps.now().toISOString();
  await deps.store.profiles.setLastSeen(userId, lastSeenAt);
  if ('undecidedUntil' in left) {
    const peers = await directPeers(deps, userId, memberships);
    if (peers.length > 0) await putOff(deps, userId, left.undecidedUntil);
    return false;
  }
  if (await announceState(deps, { userId, online: false, lastSeenAt }, memberships))
    if (await socketLeft(deps, userId))
      await announceState(deps, { userId, online: true, lastSeenAt }, memberships);
  return false;
}

/**
 * Queues a recheck for just after `undecidedUntil` (epoch seconds), when a young socket is settled,
 * unless one is pending already (`profiles.markPresencePending`, the mark a refused change sets too):
 * that one decides, and a change the budget refuses meanwhile queues no second chain of rechecks. A
 * recheck that cannot be queued leaves no mark behind; a mark left anyway (the clear failed too, or
 * the Lambda died) expires (`pendingLifetime`), so it cannot refuse every later put-off.
 */
async function putOff(deps: Deps, userId: string, undecidedUntil: number): Promise<void> {
  if (!deps.presenceRecheck) return;
  const now = Math.floor(deps.now().getTime() / 1000);
  if (!(await deps.store.profiles.markPresencePending(userId, now, pendingLifetime(deps)))) return;
  const wait = undecidedUntil - deps.now().getTime() / 1000;
  await deps.presenceRecheck(userId, Math.max(1, Math.ceil(wait) + 1)).catch(async (error: unknown) => {
    await deps.store.profiles.clearPresencePending(userId);
    throw error;
  });
}

/**
 * A queued recheck (of the first change of a window refused by the budget, presence-announce.ts
 * `claimAnnouncement`; the retry of a failed post, `announceState` there; or a going-offline decision put off, `wentOffline`): clears
 * the pending mark (and takes back the failed post's mark `unmark`, when its post could not: else the
 * state would read as announced; failing, it throws and the job is delivered again), reads the user's
 * sockets consistently, asking the gateway about each
 * (presence-sockets.ts `recheckSockets`), and announces the state true now, unless it is the one last
 * announced (a recheck's failed post is not retried). A change after the mark is cleared that is
 * refused again queues the next recheck.
 * Once online is announced, the user's sockets are listed again (consistently): when none is left
 * (the socket found open closed meanwhile, and its `$disconnect` ran before this claim), the user is
 * announced offline as a `$disconnect` would (`wentOffline`), so the online post is not the last.
 * Once offline is announced, they are read again as `wentOffline` reads them (`socketLeft`): a
 * reconnect that stored its socket after the first read, its online deduplicated as still shown
 * (the budget had refused the offline), makes the recheck announce online again, after its offline.
 * When no socket is open but a young one answered 410 (inside its `$connect`, or left by one that
 * failed: the gateway answers both alike), nothing is announced yet: the recheck is queued again for
 * when that socket is settled, and it then counts as gone unless it opened meanwhile.
 */
export async function recheckPresence(deps: Deps, userId: string, unmark?: boolean): Promise<void> {
  await deps.store.profiles.clearPresencePending(userId);
  if (unmark !== undefined) await deps.store.profiles.unmarkPresenceShown(userId, unmark);
  const found = await recheckSockets(deps, userId);
  if ('undecidedUntil' in found && deps.presenceRecheck) return putOff(deps, userId, found.undecidedUntil);
  // Without a queue to ask again later, a young socket counts as open (as `wentOffline` counts it).
  const online = 'online' in found ? found.online : true;
  const profile = (await deps.store.profiles.getMany([userId], { consistent: true })).get(userId);
  const lastSeenAt = profile?.lastSeenAt ?? deps.now().toISOString();
  if (!(await announceState(deps, { userId, online, lastSeenAt }, undefined, false))) return;
  if (!online) {
    // A reconnect may have stored its socket after the read above and had its online deduplicated
    // as still shown (so this offline post is the last): read again, as `wentOffline` does.
    if (await socketLeft(deps, userId))
      await announceState(deps, { userId, online: true, lastSeenAt }, undefined, false);
    return;
  }
  // The socket found open may have closed since, its `$disconnect` done before this claim (so it
  // announced nothing newer): read again, as `wentOffline` does. That `$disconnect` deleted its
  // record before it claimed, so a `$disconnect` this read misses claims after this post.
  if ((await deps.store.connections.listIds(userId, { consistent: true })).length === 0)
    await wentOffline(deps, userId);
}

/**
 * Online state (any stored, unexpired socket) and last-seen time of each user asked about whose
 * presence the caller may see; every other user reads as never seen (nothing is read about them).
 * One answer per id asked, in the order asked (a repeated id is answered again, read once). A lookup
 * that fails fails the call (`INTERNAL`, or `RATE_LIMITED` for a throttle: the client asks again):
 * skipping it would answer an online user offline, with a real `lastSeenAt`.
 */
export async function getPresence(
  deps: Deps,
  caller: Caller,
  input: { readonly userIds: readonly string[] },
): Promise<{ presence: PresenceView[] }> {
  const visible = await visibleTo(deps, caller.userId, input.userIds);
  const shown = [...visible];
  const profiles = shown.length > 0 ? await deps.store.profiles.getMany(shown) : new Map();
  const online = new Map<string, boolean>();
  await eachLimited(shown, deps.presenceConcurrency, async (userId) => {
    online.set(userId, (await deps.store.connections.listIds(userId)).length > 0);
  });
  return {
    presence: input.userIds.map((userId) => ({
      userId,
      online: online.get(userId) ?? false,
      lastSeenAt: visible.has(userId) ? (profiles.get(userId)?.lastSeenAt ?? null) : null,
    })),
  };
}

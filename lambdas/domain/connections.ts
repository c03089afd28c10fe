/** Connection lifecycle: what `$connect` and `$disconnect` mean for the domain. */

import type { SocketClaim } from '../data/socket-count.ts';
import type { MembershipRef } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { logger } from '../shared/logger.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { maxSocketsPerUser } from '../shared/user-caps.ts';
import { recountBadge, whenToRecount } from './badge.ts';
import type { Deps } from './deps.ts';
import { wentOffline, wentOnline } from './presence.ts';
import { joinRosters, leaveRosters } from './rosters.ts';
import { CONNECTING_SECONDS, isSocketOpen } from './socket-liveness.ts';

export interface ConnectionInput {
  readonly connectionId: string;
}

export interface OpenConnectionInput extends ConnectionInput {
  readonly connectedAt: Date;
}

type SocketRef = { readonly userId: string; readonly connectionId: string };

/** The pause before `$disconnect` tries a failed step again (full jitter, up to 100 ms). */
const RETRY_BACKOFF: Backoff = { baseMs: 50, capMs: 100 };

const presenceFailed = (error: unknown) => logger.warn('presence announcement failed', { error });

/**
 * Stores the connection in the user's connection index, refreshes the profile, lists the socket in
 * the roster of each of the user's groups and then tells the user's direct-chat peers when this is
 * the user's first socket. Nothing is posted to the new connection itself: on AWS it is not open until
 * `$connect` returns. The rosters are written before that, so a group event stored after this
 * socket opened is posted to it, and one stored before is in its catch-up. A failure to write them
 * refuses the connection (the client connects again) rather than leave a socket that group events
 * would miss. A refused handshake gets no `$disconnect`, so a failure after the slot was claimed takes
 * the connection back here (`abandon`), and peers are told online only once nothing can fail anymore.
 *
 * Once its socket is stored, it reads the user's deactivation mark (one consistent GetItem,
 * `deactivations.get`): `deactivateUser` writes that mark before it lists the sockets to close, so a
 * `$connect` whose claim came just before the mark either stored its socket before that listing (and
 * is closed by it) or reads the mark here, and is refused as a claim after the mark is: taken back
 * (`abandon`: its record deleted, its slot given back), `deactivated` (401), peers told nothing.
 * When the mark is a deleted account's tombstone (`deletedAt`), the profile this `$connect` touched
 * is removed too (one DeleteItem, only then): the account's deletion removed it before the touch
 * landed, and nothing else would.
 */
export async function openConnection(
  deps: Deps,
  caller: Caller,
  input: OpenConnectionInput,
): Promise<'opened' | 'too-many-sockets' | 'deactivated'> {
  const connectedAt = input.connectedAt.toISOString();
  const { userId } = caller;
  const claim = await claimSocket(deps, userId);
  if (claim !== 'claimed') return claim;
  const socket = { userId, connectionId: input.connectionId, connectedAt };
  // Both settled before anything is undone: a delete made while the put is in flight would miss it.
  const [put, touched] = await Promise.allSettled([
    deps.store.connections.put(socket),
    deps.store.profiles.touch(userId, caller.name, connectedAt),
  ]);
  let memberships: MembershipRef[];
  try {
    for (const write of [put, touched]) if (write.status === 'rejected') throw write.reason;
    // A claim made just before `deactivateUser`'s mark, whose put lands after that call listed the
    // sockets, would stay open: the mark, read once the socket is stored, refuses it (module comment).
    const mark = await deps.store.deactivations.get(userId);
    if (mark) {
      await abandon(deps, socket, true);
      // A deleted account's profile, deleted by the request while this touch was in flight, would
      // come back for good (name included): removed again, after the touch has settled.
      if (mark.deletedAt !== undefined) await deps.store.profiles.remove(userId);
      return 'deactivated';
    }
    memberships = await joinRosters(deps, socket);
  } catch (error) {
    await abandon(deps, socket, put.status === 'fulfilled');
    throw error;
  }
  await wentOnline(deps, { userId, connectionId: input.connectionId, at: connectedAt }, memberships).catch(
    presenceFailed,
  );
  return 'opened';
}

/**
 * A `$connect` that failed after claiming its slot: its connection record is deleted, so that it does
 * not look online (`getPresence`, the fan-out) for the record's 2 h, and the slot given back, once:
 * by the delete that removed the record, or here when the record was never stored (its put failed
 * and the delete found nothing). Best-effort: what is left (roster entries written before the
 * failure; the record if this delete fails) is dropped by the first post that finds the socket gone,
 * or by TTL, and the cap's recount repairs the count.
 */
async function abandon(deps: Deps, socket: SocketRef, putSucceeded: boolean): Promise<void> {
  try {
    const removed = await deps.store.connections.delete(socket.userId, socket.connectionId);
    if (removed || !putSucceeded) await deps.store.socketCount.release(socket.userId);
  } catch (error) {
    logger.warn('could not take back a refused connection', { error });
  }
}

/**
 * One of the user's socket slots (issue 17: at most `MAX_SOCKETS_PER_USER` open sockets). A refused
 * claim recounts the user's sockets (the connection items, each asked of the gateway: one consistent
 * Query and at most `cap` Management API calls, only at the cap) and repairs a count left too high by
 * sockets that ended without `$disconnect`, then tries once more. A gone socket the recount finds is
 * removed, and its slot given back, by the fan-out (directory.ts `gone`): the count then has room
 * without a repair, so the claim is tried again first, and a repair is made on the revision that
 * refusal read (a repair on the first one would fail on those releases; the listing already omits
 * the removed sockets, whose releases are in that revision).
 *
 * A deactivated user (`deactivateUser` set `deactivatedAt` on the count) is refused by every claim,
 * and told apart by the refused item (`ALL_OLD`): no recount then, and none can let them in.
 */
async function claimSocket(deps: Deps, userId: string): Promise<ClaimOutcome> {
  const cap = maxSocketsPerUser();
  const now = Math.floor(deps.now().getTime() / 1000);
  const first = await deps.store.socketCount.claim(userId, cap, now);
  if (first.claimed || first.deactivated) return outcomeOf(first);
  // A slot taken within the last minute may belong to a `$connect` that has not stored its socket yet.
  if (now - first.claimedAt < CONNECTING_SECONDS) return 'too-many-sockets';
  // Stored and still open (a socket that vanished without `$disconnect` is not).
  const stored = await deps.store.connections.list(userId, { consistent: true });
  const alive = await Promise.all(stored.map((socket) => isSocketOpen(deps, userId, socket)));
  const open = alive.filter(Boolean).length;
  if (open >= cap) return 'too-many-sockets';
  const refused = open < stored.length ? await deps.store.socketCount.claim(userId, cap, now) : first;
  if (refused.claimed || refused.deactivated) return outcomeOf(refused);
  if (now - refused.claimedAt < CONNECTING_SECONDS || open >= refused.count) return 'too-many-sockets';
  if (!(await deps.store.socketCount.repair(userId, refused.rev, open))) return 'too-many-sockets';
  return outcomeOf(await deps.store.socketCount.claim(userId, cap, now));
}

type ClaimOutcome = 'claimed' | 'too-many-sockets' | 'deactivated';

function outcomeOf(claim: SocketClaim): ClaimOutcome {
  if (claim.claimed) return 'claimed';
  return claim.deactivated ? 'deactivated' : 'too-many-sockets';
}

/**
 * Removes the connection and its roster entries; when it was the user's last, records last-seen,
 * tells their peers and recounts their push badge (badge.ts). API Gateway does not retry a
 * `$disconnect`, so no step is left out because an earlier one failed: a failed recount is logged
 * (the counter counts on from its last value); a failed delete leaves the record to the presence
 * probe (which removes it once older than a minute, socket-liveness.ts) or a fan-out's 410; failing
 * to read the memberships (twice) skips the roster cleanup, not the presence announcement, which
 * reads what it needs itself and is tried twice too (a post failing after its claim is not thrown:
 * the recheck it queued is its retry, presence-announce.ts `announceState`). An entry left behind (a
 * group joined meanwhile, a skipped cleanup) is dropped by the first post that finds the socket
 * gone, or by TTL.
 */
export async function closeConnection(deps: Deps, caller: Caller, input: ConnectionInput): Promise<void> {
  const { userId } = caller;
  const socket = { userId, connectionId: input.connectionId };
  // Before the memberships are read: a message allocated before it is in the recount (badge.ts).
  const countedAt = deps.now();
  const memberships = await twice(() => deps.store.chats.listMemberships(userId)).catch((error: unknown) => {
    logger.warn('could not read the memberships: the socket stays in its rosters', { error });
    return undefined;
  });
  const recount = await whenToRecount(deps, userId, input.connectionId).catch(badgeFailed);
  // No other socket stored: recounted while this one still counts as online (no push is planned for
  // the user meanwhile, so none adds to a count this would overwrite).
  if (recount === 'now')
    await recountBadge(deps, userId, memberships && { countedAt, memberships }).catch(badgeFailed);
  await forget(deps, socket);
  const [, stillOnline] = await Promise.all([
    memberships &&
      leaveRosters(deps, socket, memberships).catch((error: unknown) =>
        logger.warn('could not remove the socket from its rosters', { error }),
      ),
    twice(() => wentOffline(deps, userId, memberships)).catch((error: unknown) => {
      presenceFailed(error);
      return false;
    }),
  ]);
  // Another socket was stored: recounted only if none is open now (no push goes out before).
  if (recount === 'ifOffline' && !stillOnline) await recountBadge(deps, userId).catch(badgeFailed);
}

const badgeFailed = (error: unknown): undefined => {
  logger.warn('could not recount the push badge', { error });
  return undefined;
};

/** `$disconnect`'s delete of the connection record; the delete that removes it gives the slot back. */
async function forget(deps: Deps, socket: SocketRef): Promise<void> {
  try {
    if (await deps.store.connections.delete(socket.userId, socket.connectionId)) {
      await deps.store.socketCount.release(socket.userId);
    }
  } catch (error) {
    logger.warn('could not delete the connection or give its slot back', { error });
  }
}

/** A step of `$disconnect` tried once more after a short pause when it fails (throttling, say). */
async function twice<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch {
    await backOff(RETRY_BACKOFF, 1);
    return step();
  }
}

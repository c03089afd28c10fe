/**
 * The user's sockets as presence reads them (presence.ts): after one opened, after one closed (and
 * again after its offline announcement), and for a delayed recheck. Each read is one consistent Query of the user's connections, then
 * GetConnection calls (Management API) for the sockets it must ask about, one at a time, stopping at
 * the first open one.
 */
import { maxSocketsPerUser } from '../shared/user-caps.ts';
import type { Deps } from './deps.ts';
import { askSocket, isSocketOpen, settledAt } from './socket-liveness.ts';

/**
 * Whether any of the user's stored sockets other than the one that just opened is really open (asked
 * of the gateway). Records of sockets that vanished without a `$disconnect` (a phone that lost its
 * network) are found gone and removed here, so they cannot keep a user "online". A socket still
 * inside its `$connect` answers 410 and counts as not open: when two of the user's sockets connect at
 * once, each may announce the user online (twice, harmless) rather than each leave it to the other.
 */
export async function otherSocketOpen(deps: Deps, userId: string, opened: string): Promise<boolean> {
  const stored = await deps.store.connections.listIds(userId, { consistent: true });
  for (const connectionId of stored.filter((id) => id !== opened)) {
    if (await deps.fanOut.isOpen({ userId, connectionId })) return true;
  }
  return false;
}

/**
 * Whether any of the user's stored sockets is still open, read again after an offline announcement
 * (presence.ts `wentOffline`: a reconnect racing it). A socket stored in the last minute counts as open
 * without asking, as for the socket cap (socket-liveness.ts): it may be inside its `$connect` (the
 * gateway answers 410 until the handshake completes) and about to open. Older ones are asked of the
 * gateway; a vanished one has its record removed.
 */
export async function socketLeft(deps: Deps, userId: string): Promise<boolean> {
  const stored = await deps.store.connections.list(userId, { consistent: true });
  for (const socket of stored) {
    if (await isSocketOpen(deps, userId, socket)) return true;
  }
  return false;
}

/**
 * What a recheck found: whether the user is online, or, when no socket is open but some still young
 * enough to be inside their `$connect` answered 410, when the last of those is settled (epoch
 * seconds): only then does the gateway tell a socket about to open from one whose `$connect` failed.
 * Undecided too when some stored sockets were not asked (`recheckSockets`).
 */
export type Rechecked = { readonly online: boolean } | { readonly undecidedUntil: number };

/**
 * The user's sockets for a recheck (presence.ts `recheckPresence`) and for `$disconnect`'s decision
 * (`wentOffline`), every one asked of the gateway, the young ones too (`askSocket`): a young socket
 * counted as open unasked would keep the user "online" on the word of a `$connect` that stored its
 * socket and then failed (no `$disconnect` comes for it). With no young socket, this costs what
 * asking the old ones always did. Bounded: at most the socket cap's number of GetConnection calls
 * (`maxSocketsPerUser`), newest first (the likeliest to be open; a socket whose GetConnection fails
 * counts as open). With more stored sockets than that (a count that drifted) and none of those asked
 * open, the ones not asked leave it undecided, not online: until the young ones asked are settled,
 * or now (asked again at once): those found gone have had their records removed, so the next read
 * asks the others.
 */
export async function recheckSockets(deps: Deps, userId: string): Promise<Rechecked> {
  const stored = await deps.store.connections.list(userId, { consistent: true });
  const cap = maxSocketsPerUser();
  const newestFirst = [...stored].sort((a, b) => b.expiresAt - a.expiresAt);
  let undecidedUntil: number | undefined;
  for (const socket of newestFirst.slice(0, cap)) {
    const state = await askSocket(deps, userId, socket);
    if (state === 'open') return { online: true };
    if (state === 'connecting') undecidedUntil = Math.max(undecidedUntil ?? 0, settledAt(socket));
  }
  if (stored.length <= cap) return undecidedUntil === undefined ? { online: false } : { undecidedUntil };
  // Some not asked, none asked open: those found gone are removed now, so asking again reaches the rest.
  return { undecidedUntil: Math.max(undecidedUntil ?? 0, deps.now().getTime() / 1000) };
}

/**
 * Keeping group rosters right (lambdas/data/rosters.ts): every open socket of every member is
 * listed in the group's roster, so that a group event needs one Query to find its sockets.
 *
 * - `$connect` lists the new socket in each of the user's groups (after the connection is stored;
 *   the groups come from the membership index plus the join markers of the last minutes, which
 *   cover a membership the index does not show yet, once a consistent read finds it: a marker
 *   outlives a removal). `$disconnect` takes it out again.
 * - Creating a group or inviting people lists the new members' open sockets (after the
 *   memberships and join markers are written; a repeated invite or createChat of a group with a
 *   clientChatId, maybe the retry of one that failed, lists those who joined within a socket's
 *   lifetime again: `admitAgain`); removing a member drops
 *   theirs (and lists them again if they were invited back meanwhile); deleting a group drops its
 *   roster. A post answered 410 drops the gone socket (lambdas/fanout/directory.ts).
 * - Entries expire with their connection (TTL), and the fan-out only posts to entries of users who
 *   are members, so a late or stale entry never leaks a group's events to a non-member, but for a
 *   receipt the fan-out worker posts from the roster alone (docs/security.md, "Receipts"): a stale
 *   entry (a `$connect` racing a removal) may get that one.
 *
 * Cost (docs/data-model.md): `$connect` and `$disconnect` write one small item per group of the
 * user (`$connect` also reads the membership of a marked group the index does not show: 1 unit,
 * rare); a new member costs one marker, a consistent read of their profile and, if they were seen
 * in the last 2 h 15 min, one connection lookup.
 */
import {
  CONNECTION_TTL_SECONDS,
  connectionExpiresAt,
  type MembershipRef,
  type RosterEntry,
} from '../data/store.ts';
import type { ChatRef } from '../fanout/fanout.ts';
import type { Deps } from './deps.ts';

/** Connection lookups in flight at once when many people join (a new group of 1,000). */
const ADMIT_LOOKUPS = 32;
/** Slack between API Gateway's clock (connectedAt) and ours. */
const CLOCK_MARGIN_SECONDS = 5 * 60;

const groupsOf = (memberships: readonly MembershipRef[]) =>
  memberships.filter((m) => m.kind === 'group').map((m) => m.chatId);

/**
 * `$connect`: lists the new socket in the roster of each of the user's groups (from the membership
 * index and the join markers, read together). Returns the memberships (presence needs them too).
 *
 * A marker outlives its membership (the user removed, leaving, or the group deleted within its 15
 * minutes: nothing deletes it), so a marked group the index does not show is listed only when a
 * consistent read finds the membership (`confirmed`): otherwise the socket of someone no longer in
 * the group would stay in its roster for the socket's lifetime, counted towards the receipt and
 * typing limits, and reached by a receipt the fan-out worker posts without the member list.
 */
export async function joinRosters(
  deps: Deps,
  socket: { readonly userId: string; readonly connectionId: string; readonly connectedAt: string },
): Promise<MembershipRef[]> {
  const { memberships, groups } = await rosterGroups(deps, socket.userId);
  const expiresAt = connectionExpiresAt(socket.connectedAt);
  await deps.store.rosters.add(
    groups.map((chatId) => ({
      chatId,
      userId: socket.userId,
      connectionId: socket.connectionId,
      expiresAt,
    })),
  );
  return memberships;
}

/**
 * The groups whose rosters a new socket of the user joins (`joinRosters`: the bench counts them too),
 * and the user's memberships.
 */
export async function rosterGroups(
  deps: Pick<Deps, 'store'>,
  userId: string,
): Promise<{ memberships: MembershipRef[]; groups: string[] }> {
  const [memberships, recent] = await Promise.all([
    deps.store.chats.listMemberships(userId),
    deps.store.rosters.recentJoins(userId),
  ]);
  const indexed = new Set(groupsOf(memberships));
  return { memberships, groups: [...indexed, ...(await confirmed(deps, userId, recent, indexed))] };
}

/**
 * The marked groups the index does not show that the user is a member of now: one consistent
 * BatchGetItem of those memberships (normally none: the index lags by a moment, and markers live 15
 * minutes; at most `RECENT_JOINS_MAX` a marker Query), none when every marked group is indexed.
 */
async function confirmed(
  deps: Pick<Deps, 'store'>,
  userId: string,
  marked: readonly string[],
  indexed: ReadonlySet<string>,
): Promise<string[]> {
  const unindexed = [...new Set(marked)].filter((chatId) => !indexed.has(chatId));
  if (unindexed.length === 0) return [];
  const members = await deps.store.chats.getMemberships(userId, unindexed, { consistent: true });
  return unindexed.filter((chatId) => members.has(chatId));
}

/** `$disconnect`: takes the socket out of the roster of each of the user's groups. */
export async function leaveRosters(
  deps: Deps,
  socket: { readonly userId: string; readonly connectionId: string },
  memberships: readonly MembershipRef[],
): Promise<void> {
  await deps.store.rosters.remove(groupsOf(memberships).map((chatId) => ({ chatId, ...socket })));
}

/**
 * New members of a group (created, invited): notes that they joined (for a `$connect` racing with
 * this), then lists their open sockets in the roster. Call after the memberships are stored.
 */
export async function admitToRoster(deps: Deps, chat: ChatRef, userIds: readonly string[]): Promise<void> {
  if (chat.kind !== 'group' || userIds.length === 0) return;
  const joining = [...new Set(userIds)];
  await deps.store.rosters.markJoined(joining, chat.chatId);
  const users = await mayHaveSockets(deps, joining);
  const entries: RosterEntry[] = [];
  let next = 0;
  const lookUp = async () => {
    while (next < users.length) {
      const userId = users[next++] as string;
      for (const c of await deps.store.connections.list(userId, { consistent: true })) {
        entries.push({ chatId: chat.chatId, userId, connectionId: c.connectionId, expiresAt: c.expiresAt });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ADMIT_LOOKUPS, users.length) }, lookUp));
  await deps.store.rosters.add(entries);
}

/**
 * Members admitted again (a repeated invite or createChat, maybe the retry of one that failed
 * before their sockets were listed): the same entries, put again. One who left since the caller read
 * the members (their removal's roster cleanup may have run before this admission) has their entries
 * removed again. Returns those who are members still (one consistent GetItem each).
 */
export async function admitAgain(deps: Deps, chat: ChatRef, userIds: readonly string[]): Promise<string[]> {
  await admitToRoster(deps, chat, userIds);
  const member = await Promise.all(userIds.map((id) => deps.store.chats.isMember(chat.chatId, id)));
  const left = userIds.filter((_, i) => !member[i]);
  await Promise.all(left.map((id) => dismissFromRoster(deps, chat, id)));
  return userIds.filter((_, i) => member[i]);
}

/** Epoch ms before which no socket open now connected (its record's TTL, and clock slack). */
const socketHorizon = (deps: Deps) =>
  deps.now().getTime() - (CONNECTION_TTL_SECONDS + CLOCK_MARGIN_SECONDS) * 1000;

/**
 * Whether a socket open now may have connected before `at` (an ISO time of ours, such as a
 * `joinedAt`): only such a socket depends on a membership's admission to be in the roster, every
 * later one is listed by its own `$connect`.
 */
export function socketsMayPredate(deps: Deps, at: string): boolean {
  return Date.parse(at) > socketHorizon(deps);
}

/**
 * The users who may have an open socket: `$connect` sets the profile's `lastSeenAt` to the
 * connection time and no socket lives longer than its record's TTL, so a user whose profile is
 * older than that (or who has none) has none. One consistent BatchGet per 100 users instead of a
 * Query per user; only the recent ones are looked up. A `$connect` whose profile write this read
 * misses reads the join marker, written before, and lists its socket itself.
 */
async function mayHaveSockets(deps: Deps, userIds: readonly string[]): Promise<string[]> {
  const profiles = await deps.store.profiles.getMany(userIds, { consistent: true });
  const horizon = socketHorizon(deps);
  return userIds.filter((id) => {
    const seen = profiles.get(id)?.lastSeenAt;
    return seen !== null && seen !== undefined && Date.parse(seen) > horizon;
  });
}

/**
 * A member left a group: their sockets leave its roster (after the event reached them). The user
 * may be a member again by then (invited back while `member.left` went out), and the entries just
 * deleted may be the ones their new membership wrote: an invite's admission puts the same keys, and
 * a `$connect` lists a new socket. So after deleting any entry this reads the membership again,
 * strongly consistently, and admits them again when they are back. Every entry written for the new
 * membership after that read survives (it comes after the deletes), and one written before it is
 * written again: a dismissal never leaves a member's open socket out of the roster.
 */
export async function dismissFromRoster(deps: Deps, chat: ChatRef, userId: string): Promise<void> {
  if (chat.kind !== 'group') return;
  const sockets = await deps.store.rosters.listMember(chat.chatId, userId);
  if (sockets.length === 0) return;
  await deps.store.rosters.remove(sockets.map((s) => ({ chatId: chat.chatId, ...s })));
  if (await deps.store.chats.isMember(chat.chatId, userId)) await admitToRoster(deps, chat, [userId]);
}

/** A group was deleted: its roster goes too (after the event reached it). */
export async function disbandRoster(deps: Deps, chat: ChatRef): Promise<void> {
  if (chat.kind === 'group') await deps.store.rosters.clear(chat.chatId);
}

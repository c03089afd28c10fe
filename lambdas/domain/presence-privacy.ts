/**
 * Presence privacy: a user's presence reaches only users who share a chat with them and whom they
 * have not blocked. Everyone else is answered as if the user were unknown (`online: false,
 * lastSeenAt: null`), so an answer never reveals whether a user id exists.
 *
 * Whether a viewer shares a chat with each user asked about, at bounded cost and without reading any
 * chat (docs/data-model.md, "Presence privacy"):
 * 1. one Query of the viewer's membership index (keys, kind and peer: about 100 bytes a chat): it
 *    names the viewer's direct-chat peers and the set of the viewer's chats;
 * 2. for each user asked about who is not a direct-chat peer, one Query of that user's membership
 *    index, intersected with the viewer's chats (at most `presenceConcurrency` at once);
 * 3. one BatchGet of the block items of the users found so far about the viewer (0.5 read unit each).
 * Both membership lists are bounded by the per-user membership cap, so the cost is at most
 * (1 + ids) × that cap × 100 bytes, plus half a read unit per id.
 */
import { eachLimited } from '../shared/concurrency.ts';
import type { Deps } from './deps.ts';

/** The users among `userIds` whose presence `viewerId` may see (the viewer always sees themself). */
export async function visibleTo(
  deps: Deps,
  viewerId: string,
  userIds: readonly string[],
): Promise<Set<string>> {
  const others = [...new Set(userIds)].filter((id) => id !== viewerId);
  const visible = new Set(userIds.filter((id) => id === viewerId));
  if (others.length === 0) return visible;
  const mine = await deps.store.chats.listMemberships(viewerId);
  if (mine.length === 0) return visible;
  const peers = new Set(mine.flatMap((m) => (m.kind === 'direct' && m.peerId ? [m.peerId] : [])));
  const myChats = new Set(mine.map((m) => m.chatId));
  const sharing = others.filter((id) => peers.has(id));
  const rest = others.filter((id) => !peers.has(id));
  // A lookup that fails fails the call: skipping it would answer a user who shares a chat as unknown.
  await eachLimited(rest, deps.presenceConcurrency, async (userId) => {
    const theirs = await deps.store.chats.listMemberships(userId);
    if (theirs.some((m) => myChats.has(m.chatId))) sharing.push(userId);
  });
  const blockers = await deps.store.blocks.blockersAmong(sharing, viewerId);
  for (const id of sharing) if (!blockers.has(id)) visible.add(id);
  return visible;
}

/**
 * The users among `peerIds` who may get `userId`'s presence events: neither blocked by `userId` nor
 * blocking them (a BatchGet of the peers' block items about `userId`, eventually consistent: 0.5
 * read unit a peer). A stranger who opened direct chats with many users cannot keep telling those
 * who blocked them that they come and go.
 *
 * Whom `userId` blocked costs 0.5 read unit for a short list and at most about 0.5 more than the
 * peers' lookup (data/blocked-of.ts `blockedOf`: a first page with the list's count, then the rest of
 * the list when it holds at most `BLOCKS_LISTED_PER_PEER` entries per peer left, else their items
 * about the peers by key). Never the whole list, however long it grew, unless that is cheaper.
 */
export async function presenceAudience(
  deps: Deps,
  userId: string,
  peerIds: readonly string[],
): Promise<string[]> {
  if (peerIds.length === 0) return [];
  const [blocked, blockers] = await Promise.all([
    deps.store.blocks.blockedOf(userId, peerIds),
    deps.store.blocks.blockersAmong(peerIds, userId),
  ]);
  const hidden = new Set([...blocked, ...blockers]);
  return peerIds.filter((id) => !hidden.has(id));
}

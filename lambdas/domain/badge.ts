/**
 * The push badge's recount (docs/push.md, "Badge"): when a user goes offline, their badge counter is
 * set to their total unread count, as listChats counts it (read cursors, voids and their own
 * scheduled messages left out, chats marked for deletion not counted). From then on each message
 * pushed to them adds one (lambdas/push/plan.ts, `badges.bump`), unless the recount began after the
 * message's allocation (it counted it). The recount's O(chats) reads are paid once per `$disconnect`
 * that leaves a user with a live device without an open socket, never per message.
 */
import { deviceIsLive } from '../data/items-people.ts';
import type { ChatStore, MembershipRef } from '../data/store.ts';
import type { Deps } from './deps.ts';
import { effectiveReadSeq, unreadCount } from './views.ts';

/**
 * A user's unread count across the chats of `refs` (one batched read of their memberships and the
 * chats' `META` items, strongly consistent: a read cursor moved just before the user went offline,
 * the usual case, is seen).
 */
export async function totalUnread(store: ChatStore, refs: readonly MembershipRef[]): Promise<number> {
  if (refs.length === 0) return 0;
  const { members, chats } = await store.chats.getMembershipsAndChats(refs, { consistent: true });
  let total = 0;
  for (const ref of refs) {
    const mine = members.get(ref.chatId);
    const chat = chats.get(ref.chatId);
    // A chat marked for deletion is not listed (listChats): it counts nothing.
    if (mine && chat && chat.deletedAt === undefined)
      total += unreadCount(chat, effectiveReadSeq(chat, mine), mine.sentAhead);
  }
  return total;
}

/**
 * When `$disconnect` recounts the user's badge (connections.ts `closeConnection`): `never` without a
 * live push device (none, or every one past its `expiresAt`: nothing is pushed, so no badge is ever
 * shown); `now` when the user has no other socket stored (one `pushTargets` Query, eventually
 * consistent: the usual last socket closing); `ifOffline` when another is stored. Pushes go out only
 * once none is left, so a close that leaves another open would recount for nothing: the recount then
 * waits for the going-offline decision, made after this socket's record is deleted (consistently,
 * each socket asked of the gateway), and runs only when that finds no socket open. Two sockets closing
 * at once may each list the other, but each decides after its own delete: the later one finds none.
 */
export async function whenToRecount(
  deps: Pick<Deps, 'store' | 'now'>,
  userId: string,
  connectionId: string,
): Promise<'never' | 'now' | 'ifOffline'> {
  const { devices, connectionIds } = await deps.store.devices.pushTargets(userId);
  const now = deps.now();
  if (!devices.some((device) => deviceIsLive(device, now))) return 'never';
  return connectionIds.some((id) => id !== connectionId) ? 'ifOffline' : 'now';
}

/**
 * Sets the user's badge counter to their total unread count (`whenToRecount` says whether).
 * `countedAt`: taken before the recount read anything, the membership index included (a push planned
 * after it leaves out a message allocated before it: counted here, plan.ts `badgeOf`).
 * `memberships`: the membership index as the caller read it after `countedAt` (`$disconnect` does),
 * else it is read here.
 */
export async function recountBadge(
  deps: Pick<Deps, 'store' | 'now'>,
  userId: string,
  counted?: { readonly countedAt: Date; readonly memberships: readonly MembershipRef[] },
): Promise<void> {
  const at = counted?.countedAt ?? deps.now();
  const refs = counted?.memberships ?? (await deps.store.chats.listMemberships(userId));
  await deps.store.badges.set(userId, await totalUnread(deps.store, refs), at);
}

/**
 * The push badge's recount (docs/push.md, "Badge"): when a user goes offline, their badge counter is
 * set to their total unread count, as listChats counts it (read cursors, voids and their own
 * scheduled messages left out, chats marked for deletion not counted). From then on each message
 * pushed to them adds one (lambdas/push/plan.ts, `badges.bump`): the recount's O(chats) reads are
 * paid once per `$disconnect` of a user with a device, never per message.
 */
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
 * Sets the user's badge counter to their total unread count, if they have a push device (without
 * one no badge is ever shown: nothing is read but the devices). `memberships`: the membership index
 * as the caller read it already (`$disconnect` does), else it is read here.
 */
export async function recountBadge(
  deps: Pick<Deps, 'store' | 'now'>,
  userId: string,
  memberships?: readonly MembershipRef[],
): Promise<void> {
  const { devices } = await deps.store.devices.pushTargets(userId);
  if (devices.length === 0) return;
  const at = deps.now();
  const refs = memberships ?? (await deps.store.chats.listMemberships(userId));
  await deps.store.badges.set(userId, await totalUnread(deps.store, refs), at);
}

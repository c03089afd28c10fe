/**
 * A chat's members in the replica (replica.ts): the list and count the server gives (getChat, sync
 * answers), members leaving, and the read and delivery cursors events move.
 */
import { type ChatEntry, forward } from './chat-entry.ts';
import type { Member } from './contract.ts';
import type { Replica } from './replica.ts';

/**
 * The most members a Chat (or a sync answer) lists, the contract's LIMITS.chatMembersMax: a shorter
 * list is every member, a list this long may be a big group's first ones (`memberCount` says).
 */
export const MEMBERS_LISTED_MAX = 200;

/**
 * The members listed (a Chat's, or a sync answer's) and, when known, how many there are. Without
 * a count a list shorter than MEMBERS_LISTED_MAX is complete; a full one keeps the count held. The
 * owner is the member listed as owner (every list names the owner: a new one once the owner left).
 */
export function members(r: Replica, e: ChatEntry, listed: Member[], count?: number): void {
  const mine = rejoined(r, e, listed);
  forward(e.info, listed);
  e.stamp = ++r.stamp;
  e.info.memberCount =
    count ??
    (listed.length < MEMBERS_LISTED_MAX ? listed.length : Math.max(listed.length, e.info.memberCount));
  e.stale = false;
  if (mine) e.readTo(mine.lastReadSeq, r.me);
  r.touch(e);
}

/**
 * Whether a member list from the server (a Chat's, also one behind the chat held, or a sync
 * answer's) lists you as joined later than the list held: then you were added again since, maybe
 * after a leave whose ack is still to come (it then leaves the chat held: live.ts applyRequest). A
 * late repeat of the Chat that first added you carries the joinedAt held. Returns your entry in it.
 */
export function rejoined(r: Replica, e: ChatEntry, listed: Member[]): Member | undefined {
  const mine = listed.find((m) => m.userId === r.me);
  if ((e.info.members?.find((m) => m.userId === r.me)?.joinedAt as string) < (mine?.joinedAt as string)) {
    e.joined = ++r.stamp;
  }
  return mine;
}

/**
 * A member's read or delivery cursor moved (forward only): a new member and a new list (as members()
 * makes), so a ChatInfo the app was given stays as it was (a memo on its `members` sees the change).
 */
export function cursor(
  r: Replica,
  e: ChatEntry,
  userId: string,
  field: 'lastReadSeq' | 'lastDeliveredSeq',
  value: number,
): void {
  const member = e.info.members?.find((m) => m.userId === userId);
  if (member && member[field] < value)
    e.info.members = (e.info.members as Member[]).map((m) => (m === member ? { ...m, [field]: value } : m));
  if (userId === r.me && field === 'lastReadSeq') e.readTo(value, r.me);
  r.touch(e);
}

/** How many members the chat has, as a sync answer counted them. */
export function memberCount(r: Replica, e: ChatEntry, count: number): void {
  if (e.info.memberCount === count) return;
  e.info.memberCount = count;
  r.touch(e);
}

/**
 * Someone else left: one member fewer (a big group's list may not have named them). Whether the list
 * held is still the server's: a full one, up to date, that does not name them (a big group's first
 * MEMBERS_LISTED_MAX, which only a leave of one of them changes).
 */
export function memberLeft(r: Replica, e: ChatEntry, userId: string): boolean {
  const listed = e.info.members;
  const count = e.info.memberCount;
  const rest = listed?.filter((m) => m.userId !== userId);
  const same = !e.stale && rest?.length === listed?.length && (rest?.length as number) >= MEMBERS_LISTED_MAX;
  if (!rest) e.info.memberCount = Math.max(0, count - 1);
  else
    members(
      r,
      e,
      rest,
      (listed as Member[]).length >= count ? rest.length : Math.max(rest.length, count - 1),
    );
  e.stale = !same;
  r.touch(e);
  return same;
}

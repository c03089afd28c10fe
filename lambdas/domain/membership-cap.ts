/**
 * The per-user membership cap (issue 17, item 1): nobody is in more than `MAX_CHATS_PER_USER` chats.
 * Checked before createChat and invite write anything, for everyone they would add (the caller
 * included): one keys-only Query of the membership index per user (docs/security.md: its cost, and
 * why concurrent joins can overshoot it by the few requests in flight).
 *
 * Others can fill only part of it: a user is added by someone else (to a group, or as the peer of a
 * direct chat) only while they are in fewer than `addableBelow(cap)` chats, so a user others keep
 * adding (to exhaust their cap) can still start a tenth of the cap's chats themselves; they leave
 * the unwanted chats (direct chats too) and block whoever added them (docs/security.md). A refusal about someone else
 * says neither their count nor the cap: only that they cannot be added.
 */
import { forbidden } from '../shared/errors.ts';
import { maxChatsPerUser } from '../shared/user-caps.ts';
import type { Deps } from './deps.ts';

/** Users counted at once (a 1,000-member group is counted 25 at a time). */
const PARALLEL = 25;

/** Below how many chats others may still add a user: 900 of the default 1,000 (at least 1). */
export const addableBelow = (cap: number): number => Math.max(1, cap - Math.ceil(cap / 10));

/**
 * FORBIDDEN when `callerId` is at the cap, or another of `userIds` is at the share others can fill.
 * `field`: the request field that names the others (`memberIds`, `userId`, `userIds`), or how to name
 * one who is in no field (the other member of a direct chat an invite turns into a group).
 */
export async function refuseOverChatCap(
  deps: Deps,
  callerId: string,
  userIds: readonly string[],
  field: string | ((userId: string) => string),
): Promise<void> {
  const cap = maxChatsPerUser();
  const byOthers = addableBelow(cap);
  const ids = [...new Set(userIds)];
  for (let i = 0; i < ids.length; i += PARALLEL) {
    const batch = ids.slice(i, i + PARALLEL);
    const counts = await Promise.all(batch.map((id) => deps.store.chats.countMemberships(id)));
    const full = batch.find((id, j) => (counts[j] ?? 0) >= (id === callerId ? cap : byOthers));
    if (full === callerId) {
      throw forbidden(`You are already in ${cap} chats, the most one user can be in (the membership limit).`);
    }
    if (full === undefined) continue;
    const who = typeof field === 'string' ? `"${field}" entry "${full}"` : field(full);
    throw forbidden(`${who} cannot be added to more chats.`);
  }
}

/**
 * The per-user membership cap (issue 17, item 1): nobody is in more than `MAX_CHATS_PER_USER` chats.
 * Checked before createChat and invite write anything, for everyone they would add (the caller
 * included): one keys-only Query of the membership index per user (docs/security.md: its cost, and
 * why concurrent joins can overshoot it by the few requests in flight).
 */
import { forbidden } from '../shared/errors.ts';
import { maxChatsPerUser } from '../shared/user-caps.ts';
import type { Deps } from './deps.ts';

/** Users counted at once (a 1,000-member group is counted 25 at a time). */
const PARALLEL = 25;

export async function refuseOverChatCap(
  deps: Deps,
  callerId: string,
  userIds: readonly string[],
): Promise<void> {
  const cap = maxChatsPerUser();
  const ids = [...new Set(userIds)];
  for (let i = 0; i < ids.length; i += PARALLEL) {
    const batch = ids.slice(i, i + PARALLEL);
    const counts = await Promise.all(batch.map((id) => deps.store.chats.countMemberships(id)));
    const full = batch.find((_, j) => (counts[j] ?? 0) >= cap);
    if (full !== undefined) {
      const who = full === callerId ? 'You are' : `User "${full}" is`;
      throw forbidden(`${who} already in ${cap} chats, the most one user can be in (the membership limit).`);
    }
  }
}

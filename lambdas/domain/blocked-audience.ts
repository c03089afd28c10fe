/**
 * What a user shows of themself without writing to anyone, `typing` and their receipts
 * (`message.read`, `message.delivered`), never reaches the users they have blocked, as their presence
 * does not (presence-privacy.ts): once A blocks B, B learns nothing of when A is online (the client
 * SDK marks what arrived delivered as it reconnects), and nothing that would tell B of the block
 * while `getPresence` answers B about A as about an unknown id. A's messages are not held back (A may
 * still write to B), nor A's `typing` in their direct chat, which A addresses to B as a message.
 *
 * Whom the actor has blocked is read only for the users the event would otherwise reach (those with
 * a socket listed in the group's roster, or the other member of a direct chat), and never when there
 * is none besides the actor:
 * - in a direct chat that mirrors its blocks, nothing: its `META`, which the action read anyway,
 *   lists the members the other one has blocked (`blockedSenders`, block-mirror.ts);
 * - otherwise the actor's block list, eventually consistent, as presence events read it (data/blocks.ts
 *   `blockedOf`: 0.5 read unit for a list of fewer than 19 entries; longer, at most about 0.5 + 0.5 per
 *   user asked about: its first 19 and its count, then the rest of it when that count, below the
 *   cap, says it holds at most 20 per user, else the actor's items about those users by key).
 *
 * A member's cursors stay in `getChat` for every member, the blocked one included (a filter per
 * caller would cost a read per member): docs/security.md, "Presence privacy is not consent".
 */
import type { ChatRecord } from '../data/store.ts';
import type { Deps } from './deps.ts';

/** What is read of the chat: its kind and, for a direct chat, the blocks' mirror on its `META`. */
export type BlockView = Pick<ChatRecord, 'kind' | 'blocksMirrored' | 'blockedSenders'>;

/** The users among `userIds` that `actorId` has blocked (module comment); the actor never. */
export async function blockedByActor(
  deps: Pick<Deps, 'store'>,
  actorId: string,
  chat: BlockView,
  userIds: readonly string[],
): Promise<Set<string>> {
  const others = userIds.filter((id) => id !== actorId);
  if (others.length === 0) return new Set();
  if (chat.kind === 'direct' && chat.blocksMirrored) {
    return new Set(others.filter((id) => chat.blockedSenders?.has(id) === true));
  }
  return deps.store.blocks.blockedOf(actorId, others);
}

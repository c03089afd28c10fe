/**
 * Chat heads for senders: the container's cache first (no read on the hot path), a Query otherwise.
 * A cached head is only ever used under the allocation's `memberVer` condition, which catches any
 * staleness; a caller is told NOT_FOUND only after a strongly consistent read said so.
 */
import type { ChatHead } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { chatNotFound } from './access.ts';
import type { Deps } from './deps.ts';

const isMember = (head: ChatHead, userId: string) => head.members.some((m) => m.userId === userId);

/** Reads the head (and caches it); NOT_FOUND when the caller is not a member. */
export async function readHead(
  deps: Deps,
  caller: Caller,
  chatId: string,
  options: { consistent: boolean },
): Promise<ChatHead> {
  const loaded = await deps.store.chats.getWithMembers(chatId, options);
  deps.store.heads.remember(chatId, loaded);
  if (loaded.chat && loaded.members.some((m) => m.userId === caller.userId)) {
    return { chat: loaded.chat, members: loaded.members };
  }
  if (!options.consistent) return readHead(deps, caller, chatId, { consistent: true });
  throw chatNotFound(chatId);
}

/** The head a sender allocates against: cached when the cache says it is a member. */
export async function senderHead(deps: Deps, caller: Caller, chatId: string): Promise<ChatHead> {
  const cached = deps.store.heads.get(chatId);
  if (cached && isMember(cached, caller.userId)) return cached;
  // Not cached, or cached without the caller (who may have just joined): read.
  return readHead(deps, caller, chatId, { consistent: cached !== undefined });
}

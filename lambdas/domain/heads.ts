/**
 * Chat heads for senders: the container's cache first (no read on the hot path), a Query otherwise.
 * A cached head is only ever used under the allocation's `memberVer` condition, which catches any
 * staleness; a caller is told NOT_FOUND only after a strongly consistent read said so (of their
 * membership by key when a head leaves them out: never the member list again). A big group's
 * cached head is brought up to date from its member log (lambdas/data/member-log.ts) rather than
 * read again whole.
 *
 * The actions on a chat's messages and its typing take their head from the same cache in a big
 * group, vouched for by a consistent key lookup of `META` and of the caller's membership
 * (`actionHead`).
 */
import { logsChanges } from '../data/member-log.ts';
import type { ChatHead, ChatRecord, ChatWithMembers, MemberRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { chatNotFound, loadedAsMember, loadMemberAndChat } from './access.ts';
import type { Deps } from './deps.ts';

const isMember = (head: ChatHead, userId: string) => head.members.some((m) => m.userId === userId);

/** The head as it reads now (and caches it), when the caller is in it; NOT_FOUND otherwise. */
async function readHead(deps: Deps, caller: Caller, chatId: string): Promise<ChatHead> {
  const loaded = await deps.store.chats.getWithMembers(chatId, { consistent: true });
  deps.store.heads.remember(chatId, loaded);
  const head = memberHead(loaded, caller);
  if (!head) throw chatNotFound(chatId);
  return head;
}

/** What a read found, when the chat is there (not marked for deletion: access.ts) and the caller in it. */
function memberHead(loaded: ChatWithMembers, caller: Caller): ChatHead | undefined {
  const { chat, members } = loaded;
  if (!chat || chat.deletedAt !== undefined || !members.some((m) => m.userId === caller.userId))
    return undefined;
  return { chat, members };
}

/**
 * Whether the container holds the chat's head and it leaves the caller out (not a member, or one
 * who joined since it was cached): a send then reads the head before it writes anything (send.ts).
 */
export function cachedWithout(deps: Deps, caller: Caller, chatId: string): boolean {
  const cached = deps.store.heads.get(chatId);
  return cached !== undefined && !isMember(cached, caller.userId);
}

/**
 * The head a sender allocates against: cached when the cache says it is a member, else read
 * (eventually consistently, and cached). A head that leaves the caller out is not read again whole
 * to say NOT_FOUND: the caller's membership and `META` are looked up by key, strongly consistently
 * (one BatchGet), and a caller who is not a member is refused on those two keys, whatever the
 * member count (a non-member's frames cost no member-list read: docs/security.md). A member the head
 * leaves out (who just joined, or whom a lagging replica or a half-seen transaction left out) gets
 * the head brought up to date: replayed from a big group's member log, else read whole, consistently.
 */
export async function senderHead(deps: Deps, caller: Caller, chatId: string): Promise<ChatHead> {
  let known = deps.store.heads.get(chatId);
  if (known && isMember(known, caller.userId)) return known;
  if (!known) {
    const loaded = await deps.store.chats.getWithMembers(chatId, { consistent: false });
    deps.store.heads.remember(chatId, loaded);
    const head = memberHead(loaded, caller);
    if (head) return head;
    known = loaded.chat && { chat: loaded.chat, members: loaded.members };
  }
  const { chat } = await loadMemberAndChat(deps, caller, chatId);
  if (known && logsChanges(known.chat) && chat.memberVer > known.chat.memberVer)
    return refreshedHead(deps, caller, known, chat);
  // The same `memberVer` (an eventually consistent Query may have seen part of a transaction), a
  // smaller chat, or none read: read whole.
  return readHead(deps, caller, chatId);
}

/**
 * The head once the members changed from `stale`'s to `current`'s version (as the allocation or a
 * key lookup found `META`): replayed from the member log when it can say, else read again whole.
 */
export async function refreshedHead(
  deps: Deps,
  caller: Caller,
  stale: ChatHead,
  current: ChatRecord,
): Promise<ChatHead> {
  const { chatId } = current;
  if (logsChanges(stale.chat)) {
    const members = await deps.store.chats.membersAt(
      chatId,
      { memberVer: stale.chat.memberVer, members: stale.members },
      current.memberVer,
    );
    // The count on `META` checks the replay; without the caller, the full read says NOT_FOUND.
    if (
      members &&
      members.length === current.memberCount &&
      members.some((m) => m.userId === caller.userId)
    ) {
      deps.store.heads.remember(chatId, { chat: current, members });
      return { chat: current, members };
    }
  }
  return readHead(deps, caller, chatId);
}

/**
 * The head now, given `chat` as a consistent key lookup of `META` found it: `cached`'s members while
 * `META`'s `memberVer` is the one they were read at (every membership change sets a new one), else
 * replayed or read again (`refreshedHead`). What a duplicate send announces to (send.ts).
 */
export const headAt = (deps: Deps, caller: Caller, cached: ChatHead, chat: ChatRecord): Promise<ChatHead> =>
  chat.memberVer === cached.chat.memberVer
    ? Promise.resolve({ chat, members: cached.members })
    : refreshedHead(deps, caller, cached, chat);

/** What an action on a chat reads of it: the chat, its members, the caller's membership. */
export interface ActionHead {
  readonly chat: ChatRecord;
  readonly members: readonly MemberRecord[];
  readonly me: MemberRecord;
  /** `me` (and the membership check) was read strongly consistently. */
  readonly consistent: boolean;
}

/**
 * The head for a member's action on a chat (readMessage, typing, react, editMessage, deleteMessage):
 * NOT_FOUND for anyone else, and for a chat that is gone or marked for deletion. In a big group (one
 * that logs its membership changes) whose head the container holds, the cost does not follow the
 * member count: one consistent BatchGet of the caller's membership and `META` (the access check, by
 * key), and the cached members, which are the members now while that `META`'s `memberVer` is the one
 * they were read at (every membership change sets a new one); when it moved they are replayed from
 * the member log or read again (`refreshedHead`). Any other chat is read whole, eventually
 * consistently, as before (docs/security.md, "Membership that a cache or a replica may still show"),
 * and its head cached: a direct chat or a smaller group is a few items, and a big group is read once
 * per container rather than once per action.
 */
export async function actionHead(deps: Deps, caller: Caller, chatId: string): Promise<ActionHead> {
  const cached = deps.store.heads.get(chatId);
  if (cached && logsChanges(cached.chat)) {
    const { member: me, chat } = await loadMemberAndChat(deps, caller, chatId);
    const { members } =
      chat.memberVer === cached.chat.memberVer ? cached : await refreshedHead(deps, caller, cached, chat);
    return { chat, members, me, consistent: true };
  }
  const loaded = await deps.store.chats.getWithMembers(chatId);
  deps.store.heads.remember(chatId, loaded);
  return { ...loadedAsMember(loaded, chatId, caller.userId), consistent: false };
}

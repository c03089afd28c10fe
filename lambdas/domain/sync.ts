/**
 * `sync`: every message whose latest change is after `sinceVer` (ascending by version, from the
 * version index), the members when they changed after `sinceVer`, and a cursor (`lastVer`) that
 * never passes a version that may still be in flight.
 *
 * Versions are allocated before their change is written (`versions.ts`), and are not dense (an
 * edit moves a message from one version to another), so a reader cannot see a missing version.
 * It uses time instead (`timing.ts`): once the settle window has passed since a returned item's
 * `allocAt`, every version below the item's is settled (written, or never will be), since it was
 * allocated first; and once a chat head has been quiet for longer, nothing of it is in flight.
 * The cursor is
 * - the chat's `lastVer`, when the head is quiet and the page is the last one;
 * - otherwise the highest returned version that is settled (below the version of an item whose
 *   `allocAt` is older than the window, or at most `lastVer` of a quiet head), or that item's;
 * - `sinceVer` when none is.
 * Items newer than the cursor are returned anyway; the client applies them by version and gets them
 * again next time.
 */
import type { Member } from '../contract/objects.ts';
import { logsChanges } from '../data/member-log.ts';
import type { ChatRecord, MemberRecord, MessageRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { loadedAsMember, loadMemberAndChat } from './access.ts';
import type { Deps } from './deps.ts';
import { refreshedHead } from './heads.ts';
import { REPLY_BUDGET_BYTES } from './reply-budget.ts';
import { fittingSigned } from './signed-pages.ts';
import { headQuietMs, settleWindowMs } from './timing.ts';
import { chatView, type MessageView, messageView } from './views.ts';

export interface SyncInput {
  readonly chatId: string;
  readonly sinceVer: number;
  readonly limit: number;
}

export interface SyncAck {
  chatId: string;
  messages: MessageView[];
  members: Member[] | null;
  memberCount: number;
  lastVer: number;
  hasMore: boolean;
  reset: boolean;
}

export async function sync(deps: Deps, caller: Caller, input: SyncInput): Promise<SyncAck> {
  const now = deps.now().getTime(); // before any read: what is settled now was written before it
  const { chat, members } = await loadForSync(deps, caller, input);
  const settledBefore = now - settleWindowMs();
  const head = { lastVer: chat.lastVer, settled: chat.lastAllocAt < now - headQuietMs() };
  const memberList = members ? chatView(chat, members, [caller.userId]).members : null;
  if (needsReset(chat, input.sinceVer)) {
    // Older than what is kept (or a version this chat never had): reload with history, then sync
    // from `lastVer`, which is settled (history read after this answer holds everything up to it).
    const lastVer = await resetCursor(deps, chat, head, settledBefore);
    return {
      chatId: chat.chatId,
      messages: [],
      members: memberList,
      memberCount: chat.memberCount,
      lastVer,
      hasMore: false,
      reset: true,
    };
  }
  const changed = chat.memberVer > input.sinceVer && memberList !== null;
  const page = await deps.store.messages.changesSince(chat.chatId, input.sinceVer, input.limit);
  const budget = REPLY_BUDGET_BYTES - (changed ? Buffer.byteLength(JSON.stringify(memberList)) : 0);
  // Cut to the budget before the attachment URLs are signed: only the kept ones are (signed-pages.ts).
  const messages = await fittingSigned(deps, page.messages, (m) => [m], messageView, budget);
  const hasMore = page.hasMore || messages.length < page.messages.length;
  const lastVer = settledCursor({
    sinceVer: input.sinceVer,
    head,
    returned: page.messages.slice(0, messages.length),
    hasMore,
    settledBefore,
  });
  return {
    chatId: chat.chatId,
    messages,
    members: changed ? memberList : null,
    memberCount: chat.memberCount,
    lastVer,
    hasMore,
    reset: false,
  };
}

/** The newest changes a reset of a busy chat reads first, looking for a settled version. */
export const RESET_PROBE_CHANGES = 10;
/**
 * The most changes a reset reads (pages of 10, 20, 40, then the rest): as many as one `sync` page,
 * so that a reset costs no more than a page. Only a chat changed more often than this within one
 * settle window (about 17 changes a second, sustained) finds none settled among them.
 */
export const RESET_PROBE_MAX_CHANGES = 100;

/**
 * The version a reset answer gives: the chat's `lastVer` when its head is quiet; otherwise the
 * newest version at or below it that is settled by the cursor rule, so that the sync after the
 * reload asks for about the last seconds only, not for the whole chat again. The changes of the
 * last settle window are not settled: it reads the version index backwards a page at a time (on
 * the reset path only) until the first change older than the window, that is through every change
 * of the window, at most `RESET_PROBE_MAX_CHANGES`. Never below `minSyncVer` (from there a sync
 * would answer reset again), nor reading below it; that when none is found settled.
 */
async function resetCursor(
  deps: Deps,
  chat: ChatRecord,
  head: { readonly lastVer: number; readonly settled: boolean },
  settledBefore: number,
): Promise<number> {
  if (head.settled) return chat.lastVer;
  const floor = Math.min(chat.minSyncVer, chat.lastVer);
  let upToVer = chat.lastVer;
  let read = 0;
  for (let size = RESET_PROBE_CHANGES; upToVer > floor && read < RESET_PROBE_MAX_CHANGES; size *= 2) {
    const limit = Math.min(size, RESET_PROBE_MAX_CHANGES - read);
    const page = await deps.store.messages.newestChanges(chat.chatId, { aboveVer: floor, upToVer }, limit);
    const returned = [...page.messages].reverse();
    const cursor = settledCursor({ sinceVer: floor, head, returned, hasMore: true, settledBefore });
    if (cursor > floor) return cursor;
    const oldest = page.messages.at(-1);
    if (!page.hasMore || oldest === undefined) break;
    read += page.messages.length;
    upToVer = oldest.ver - 1;
  }
  return floor;
}

const needsReset = (chat: ChatRecord, sinceVer: number) =>
  sinceVer < chat.minSyncVer || sinceVer > chat.lastVer;

/**
 * Chats this container knows to have more members than this, or does not hold, read `META` and the
 * caller's membership by key (2 read units), and the member list only when the answer carries it
 * (members changed after `sinceVer`, or a reset); smaller ones read both in one Query (1 unit up to
 * 4 KB; one not held reads it after the 2 by key, once: then it is held). Before, a container that
 * did not hold a group of 1,000 read its whole list (~75 units, 3 frames of `sync`'s limit) for an
 * answer of `members: null`.
 * A group of 1,000 would otherwise read its whole list, strongly consistent, on every page. A group
 * that logs its membership changes (100 members or more) takes even that list from the container's
 * cached head, replaying the member log since (heads.ts `refreshedHead`: one Query of a few
 * entries), and reads it whole only when the log cannot say: after one invite into a group of
 * 1,000, each online member's client syncs, and each sync read about 75 units of one partition.
 * The log tracks joins and leaves, not read and delivery cursors (moving one takes no version): so
 * that list's cursors are those of when the container read it, but for the caller's own entry,
 * which is the membership just read by key. Others' cursors come with `message.read` and
 * `message.delivered` events, and fresh from `getChat` (docs/protocol.md, sync): reading them here
 * would read the whole list again, on every member's sync after each join or leave.
 */
export const SYNC_LIST_READ_MAX_MEMBERS = 16;

/** The chat, and its members when the answer needs them (or they came with the read anyway). */
async function loadForSync(
  deps: Deps,
  caller: Caller,
  { chatId, sinceVer }: SyncInput,
): Promise<{ chat: ChatRecord; members: readonly MemberRecord[] | undefined }> {
  const cached = deps.store.heads.get(chatId);
  // Not cached: the size is unknown, so by key first (a big group's list is not read for an answer
  // without it; a smaller chat's read whole below, once per container, then cached).
  if ((cached?.chat.memberCount ?? SYNC_LIST_READ_MAX_MEMBERS + 1) > SYNC_LIST_READ_MAX_MEMBERS) {
    const { chat, member } = await loadMemberAndChat(deps, caller, chatId);
    const big = cached !== undefined || chat.memberCount > SYNC_LIST_READ_MAX_MEMBERS;
    if (big && chat.memberVer <= sinceVer && !needsReset(chat, sinceVer)) return { chat, members: undefined };
    // A big group: its members from the cache, brought to this version from the member log
    // (`refreshedHead`), not read whole by every member's sync after a join or a leave; the
    // caller's own entry as just read (its cursors current).
    if (cached && logsChanges(cached.chat)) {
      const head =
        chat.memberVer === cached.chat.memberVer ? cached : await refreshedHead(deps, caller, cached, chat);
      return { chat, members: head.members.map((m) => (m.userId === member.userId ? member : m)) };
    }
  }
  const loaded = await deps.store.chats.getWithMembers(chatId, { consistent: true });
  deps.store.heads.remember(chatId, loaded);
  return loadedAsMember(loaded, chatId, caller.userId);
}

/** The cursor rule (module comment); exported for its unit tests. */
export function settledCursor(input: {
  readonly sinceVer: number;
  /** The chat head read before the page: its `lastVer`, and whether it is quiet (nothing in flight). */
  readonly head: { readonly lastVer: number; readonly settled: boolean };
  /** The messages returned, ascending by version. */
  readonly returned: readonly Pick<MessageRecord, 'ver' | 'allocAt'>[];
  readonly hasMore: boolean;
  /** Epoch ms: below an item whose `allocAt` is before this, every version is settled. */
  readonly settledBefore: number;
}): number {
  const { head } = input;
  let cursor = input.sinceVer;
  for (const m of input.returned) {
    const settled = m.allocAt < input.settledBefore || (head.settled && m.ver <= head.lastVer);
    if (settled && m.ver > cursor) cursor = m.ver;
  }
  if (!input.hasMore && head.settled && head.lastVer > cursor) cursor = head.lastVer;
  return cursor;
}

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
import type { MessageRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { loadAsMember } from './access.ts';
import type { Deps } from './deps.ts';
import { messageViews } from './media.ts';
import { fitting, REPLY_BUDGET_BYTES } from './reply-budget.ts';
import { headQuietMs, settleWindowMs } from './timing.ts';
import { chatView, type MessageView } from './views.ts';

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
  const { chat, members } = await loadAsMember(deps, caller, input.chatId, { consistent: true });
  const settledBefore = now - settleWindowMs();
  const head = { lastVer: chat.lastVer, settled: chat.lastAllocAt < now - headQuietMs() };
  const memberList = chatView(chat, members).members;
  if (input.sinceVer < chat.minSyncVer || input.sinceVer > chat.lastVer) {
    // Older than what is kept (or a version this chat never had): reload with history, then sync
    // from `lastVer`, which is settled (history read after this answer holds everything up to it).
    const lastVer = head.settled ? chat.lastVer : Math.min(chat.minSyncVer, chat.lastVer);
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
  const changed = chat.memberVer > input.sinceVer;
  const page = await deps.store.messages.changesSince(chat.chatId, input.sinceVer, input.limit);
  const budget = REPLY_BUDGET_BYTES - (changed ? JSON.stringify(memberList).length : 0);
  const messages = fitting(await messageViews(deps, page.messages), budget);
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

/**
 * `listChats`, a page at a time (issue 17, item 2): most recent activity first, ties by chatId.
 *
 * The order key (`lastActivityAt`) lives on each chat's `META` item, which every send updates; a
 * per-user index sorted by activity would need every send to rewrite every member's membership (1,000
 * writes per message in a full group), so instead a page reads the user's membership keys (one Query on
 * the keys-only membership index) and the `META` items of all their chats (one batched read), orders
 * them, and reads everything else (memberships, last messages, attachment links) for the page only.
 * The per-user membership cap (`LIMITS.userMaxMemberships`) bounds that full read; docs/security.md
 * gives its cost.
 *
 * The cursor is the order key of the last chat returned (opaque to clients: base64url JSON). The next
 * page starts strictly after it, so no chat is listed twice; a chat whose activity moves it above the
 * cursor while the client pages may be on no page at all (it was below the cursor when the earlier
 * pages were read): the client hears of it by its event, and checks with `getChat` a chat it holds
 * that no page listed before dropping it (docs/protocol.md, listChats).
 */
import type { ChatRecord, MemberRecord, MembershipRef, MessageRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import type { Deps } from './deps.ts';
import { decodeKeyCursor, encodeKeyCursor } from './page-cursor.ts';
import { REPLY_BUDGET_BYTES } from './reply-budget.ts';
import { fittingSigned } from './signed-pages.ts';
import { type ChatSummaryView, chatSummaryView } from './views.ts';
import { repairTail } from './voids.ts';

export interface ChatPageInput {
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

interface OrderKey {
  readonly at: string;
  readonly chatId: string;
}

const DEFAULT_LIMIT = 50;
export const encodeCursor = (key: OrderKey): string => encodeKeyCursor({ t: key.at, c: key.chatId });

export function decodeCursor(cursor: string): OrderKey {
  const { t, c } = decodeKeyCursor(cursor, ['t', 'c'], 'listChats');
  return { at: t, chatId: c };
}

/** Most recent first; ties by chatId (ascending), so the order is total and the same on every page. */
function compare(a: OrderKey, b: OrderKey): number {
  return b.at.localeCompare(a.at) || (a.chatId < b.chatId ? -1 : a.chatId > b.chatId ? 1 : 0);
}

export async function listChats(
  deps: Deps,
  caller: Caller,
  input: ChatPageInput = {},
): Promise<{ chats: ChatSummaryView[]; nextCursor: string | null }> {
  const limit = input.limit ?? DEFAULT_LIMIT;
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const refs = await deps.store.chats.listMemberships(caller.userId);
  const metas = await deps.store.chats.getChats(refs.map((r) => r.chatId));
  // A chat deleted (or being deleted) while its memberships are being removed is not listed.
  const ordered = refs
    .flatMap((ref: MembershipRef) => {
      const chat = metas.get(ref.chatId);
      return chat && chat.deletedAt === undefined
        ? [{ at: chat.lastActivityAt, chatId: ref.chatId, chat }]
        : [];
    })
    .sort(compare)
    .filter((key) => after === undefined || compare(after, key) < 0);
  const page = ordered.slice(0, limit);
  const ids = page.map((p) => p.chatId);
  const members = await deps.store.chats.getMemberships(caller.userId, ids);
  const last = await deps.store.messages.getLastMessages(page.map((p) => p.chat));
  const listed: { key: OrderKey; chat: ChatRecord; membership: MemberRecord; last?: MessageRecord }[] = [];
  for (const key of page) {
    const membership = members.get(key.chatId);
    if (!membership) continue; // left meanwhile
    // Seqs above the newest message whose writers are gone stop counting as unread.
    const lastMessage = last.get(key.chatId);
    const chat = await repairTail(deps, key.chat, lastMessage?.seq ?? 0);
    listed.push({ key, chat, membership, ...(lastMessage ? { last: lastMessage } : {}) });
  }
  // A page whose summaries would not fit in one frame (last messages with many attachments or
  // reactions) ends early, and its cursor goes on from the last chat it carries. Only the last
  // messages of the chats it carries get their attachment URLs signed (signed-pages.ts).
  const chats = await fittingSigned(
    deps,
    listed,
    (l) => (l.last ? [l.last] : []),
    (l, links): ChatSummaryView => chatSummaryView(l.chat, l.membership, l.last, links),
    REPLY_BUDGET_BYTES,
  );
  const cut = chats.length < listed.length;
  const end = cut ? listed[chats.length - 1]?.key : page.at(-1);
  return { chats, nextCursor: (cut || ordered.length > limit) && end ? encodeCursor(end) : null };
}

/**
 * `listChats`, a page at a time (issue 17, item 2): most recent activity first, ties by chatId.
 *
 * The order key (`lastActivityAt`) lives on each chat's `META` item, which every send updates; a
 * per-user index sorted by activity would need every send to rewrite every member's membership (1,000
 * writes per message in a full group), so instead a page reads the user's membership keys (one Query on
 * the keys-only membership index) and the `META` items of all their chats (one batched read), orders
 * them, and reads everything else (memberships, last messages, attachment links) for the page only.
 * The per-user membership cap (`LIMITS.userMaxMemberships`) bounds that full read; docs/security.md
 * gives its cost. The next pages of a listing take that order from the container (chat-listings.ts)
 * and read only their own chats' `META` by key: a catch-up's 10 pages at the cap read every `META`
 * once, not 10 times; a page that finds no order kept reads everything again.
 *
 * The cursor is the order key of the last chat returned (opaque to clients: base64url JSON). The next
 * page starts strictly after it, so no chat is listed twice; a chat whose activity moves it above the
 * cursor while the client pages may be on no page at all (it was below the cursor when the earlier
 * pages were read): the client hears of it by its event, and checks with `getChat` a chat it holds
 * that no page listed before dropping it (docs/protocol.md, listChats).
 */
import type { ChatRecord, MemberRecord, MembershipRef, MessageRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { keepListing, keptListing, type OrderKey } from './chat-listings.ts';
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

/** A cursor: the order key of the last chat listed, and when its listing's first page was read. */
interface PageCursor extends OrderKey {
  /** Epoch ms; undefined in a cursor given before listings were kept (read as a first page's). */
  readonly startedAt: number | undefined;
}

const DEFAULT_LIMIT = 50;
export const encodeCursor = (key: OrderKey, startedAt: number): string =>
  encodeKeyCursor({ t: key.at, c: key.chatId, s: String(startedAt) });

export function decodeCursor(cursor: string): PageCursor {
  const { t, c, s } = decodeKeyCursor(cursor, ['t', 'c'], 'listChats', ['s']);
  const startedAt = s === undefined ? undefined : Number(s);
  return { at: t, chatId: c, startedAt: Number.isSafeInteger(startedAt) ? startedAt : undefined };
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
  const nowMs = deps.now().getTime();
  const startedAt = after?.startedAt ?? nowMs;
  const kept = after && keptListing(caller.userId, startedAt, nowMs);
  const read = kept ? { ordered: kept, metas: undefined } : await readOrder(deps, caller, startedAt, nowMs);
  const ordered = read.ordered.filter((key) => after === undefined || compare(after, key) < 0);
  const keys = ordered.slice(0, limit);
  // A kept order's page reads its chats now (one deleted since is not listed); a read one has them.
  const metas = read.metas ?? (await deps.store.chats.getChats(keys.map((k) => k.chatId)));
  const page = keys.flatMap((key) => {
    const chat = metas.get(key.chatId);
    return chat && chat.deletedAt === undefined ? [{ ...key, chat }] : [];
  });
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
  const end = cut ? listed[chats.length - 1]?.key : keys.at(-1);
  const more = cut || ordered.length > limit;
  return { chats, nextCursor: more && end ? encodeCursor(end, startedAt) : null };
}

/**
 * The order of all the caller's chats: the membership keys (one Query of the keys-only index) and
 * every chat's `META` (strongly consistent), kept for the listing's next pages (chat-listings.ts).
 */
async function readOrder(
  deps: Deps,
  caller: Caller,
  startedAt: number,
  nowMs: number,
): Promise<{ ordered: OrderKey[]; metas: Map<string, ChatRecord> }> {
  const refs = await deps.store.chats.listMemberships(caller.userId);
  const metas = await deps.store.chats.getChats(refs.map((r) => r.chatId));
  // A chat deleted (or being deleted) while its memberships are being removed is not listed.
  const ordered = refs
    .flatMap((ref: MembershipRef) => {
      const chat = metas.get(ref.chatId);
      return chat && chat.deletedAt === undefined ? [{ at: chat.lastActivityAt, chatId: ref.chatId }] : [];
    })
    .sort(compare);
  keepListing(caller.userId, startedAt, nowMs, ordered);
  return { ordered, metas };
}

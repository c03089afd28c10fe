/**
 * The container's `listChats` listings in progress: the order of a user's chats as the first page of
 * a listing read it (every `META`: ~1,000 R at the membership cap), kept so that the listing's next
 * pages read only their own chats by key (~100 R a page of 100) instead of every `META` again.
 *
 * A listing is named by the user and the time its first page was read (the cursor carries it,
 * `chat-list.ts`), and kept for `LISTING_REUSE_MS` after that time at most: a catch-up lists its
 * pages within seconds, and a cursor page after that reads everything again. A cursor page that
 * finds nothing here (another function instance, or a listing forgotten) reads everything, as a
 * first page does, and keeps that order for the listing's next pages. Only the order is kept: each
 * page reads its chats' `META` and the caller's memberships fresh, so a chat deleted or left since is
 * not listed, and every summary is current. What the kept order leaves out is what a fresh order
 * would miss too (docs/protocol.md, listChats): a chat the user joined or that moved since the first
 * page, which the client hears of by its event. At most `MAX_LISTINGS` listings (about 100 KB each
 * at the cap), least recently used first out.
 */

export interface OrderKey {
  readonly at: string;
  readonly chatId: string;
}

/** How long after its first page a listing's order is used. */
export const LISTING_REUSE_MS = 120_000;
const MAX_LISTINGS = 50;

const listings = new Map<string, readonly OrderKey[]>();
const nameOf = (userId: string, startedAt: number) => `${userId}\n${startedAt}`;
const current = (startedAt: number, nowMs: number) =>
  startedAt <= nowMs && nowMs - startedAt < LISTING_REUSE_MS;

/** The order the listing of `userId` started at `startedAt` (epoch ms) keeps, when it is here. */
export function keptListing(
  userId: string,
  startedAt: number,
  nowMs: number,
): readonly OrderKey[] | undefined {
  const name = nameOf(userId, startedAt);
  const kept = listings.get(name);
  if (!kept) return undefined;
  listings.delete(name);
  if (!current(startedAt, nowMs)) return undefined;
  listings.set(name, kept);
  return kept;
}

/** Keeps the order a listing read, for its next pages (not when it started too long ago). */
export function keepListing(
  userId: string,
  startedAt: number,
  nowMs: number,
  ordered: readonly OrderKey[],
): void {
  if (!current(startedAt, nowMs)) return;
  const name = nameOf(userId, startedAt);
  listings.delete(name);
  listings.set(
    name,
    ordered.map(({ at, chatId }) => ({ at, chatId })),
  );
  for (const oldest of listings.keys()) {
    if (listings.size <= MAX_LISTINGS) break;
    listings.delete(oldest);
  }
}

/** Forgets every listing (tests: a function instance that served none of them). */
export function forgetListings(): void {
  listings.clear();
}

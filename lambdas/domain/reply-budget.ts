/**
 * Replies that list messages or chats (`history`, `sync`, `listChats`) stay under API Gateway's
 * 128 KB frame limit: they carry at most `REPLY_BUDGET_BYTES` of them, and say there is more
 * (`hasMore`, `nextCursor`) when they were cut.
 */

/** Bytes of messages (or chat summaries) one reply carries at most: the envelope takes well under the 16 KB left. */
export const REPLY_BUDGET_BYTES = 112 * 1024;

/**
 * The first items whose JSON fits in `budget` bytes (at least one: a message is at most ~17 KB, a
 * chat summary, its last message and a preview, about as much).
 */
export function fitting<T>(items: readonly T[], budget: number): T[] {
  let used = 0;
  for (let i = 0; i < items.length; i++) {
    used += Buffer.byteLength(JSON.stringify(items[i]), 'utf8') + 1;
    if (used > budget && i > 0) return items.slice(0, i);
  }
  return [...items];
}

/**
 * Replies that list messages (`history`, `sync`) stay under API Gateway's 128 KB frame limit: they
 * carry at most `REPLY_BUDGET_BYTES` of messages, and say `hasMore` when they were cut.
 */
import type { MessageView } from './views.ts';

/** Bytes of messages one reply carries at most: the envelope takes well under the 16 KB left. */
export const REPLY_BUDGET_BYTES = 112 * 1024;

/** The first messages whose JSON fits in `budget` bytes (at least one: a message is at most ~17 KB). */
export function fitting(messages: MessageView[], budget: number): MessageView[] {
  let used = 0;
  for (let i = 0; i < messages.length; i++) {
    used += Buffer.byteLength(JSON.stringify(messages[i]), 'utf8') + 1;
    if (used > budget && i > 0) return messages.slice(0, i);
  }
  return messages;
}

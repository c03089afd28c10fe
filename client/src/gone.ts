/**
 * The chats removed from the replica (deleted, left, NOT_FOUND: replica.ts) and what brings one back:
 * never an event or ack that names it (Replica.stub), only the server's word, a Chat or a ChatSummary,
 * and not one from before the removal. Each chat is kept with the version it went at (the `ver` of
 * its `member.left`, else its `lastVer` held then) and the count of removals then (`cut`):
 * - a Chat no newer than that version is older than the leave: a late repeat of the `chat.joined` that
 *   first added you (events are at least once), whereas being added again takes a newer version;
 * - the answer to a request sent before the removal (`since`: the count when it was sent) may have
 *   been read before the leave: a `listChats` whose answer lands after the leave's ack or
 *   `member.left` (a `getChat` answer updates only the entry held when it was sent: live.ts). Being
 *   added again meanwhile brings its own `chat.joined`, and the next `listChats` lists it.
 */
import type { Chat, ChatSummary } from './contract.ts';

/** chatId → [the version it went at (-1 without versions), `cut` at its removal]. */
export class Gone extends Map<string, [number, number]> {
  /** Counts removals: a request's answer passes the count it was sent at (`since`). */
  cut = 0;

  /** The chat went at `ver` (its `member.left`'s, or its `lastVer` held); a repeat only raises the version. */
  went(chatId: string, ver: number): void {
    const g = this.get(chatId);
    // A server without versions (lastVer 0) does not tell them apart by version: -1.
    this.set(chatId, [Math.max(ver, g?.[0] ?? 0) || -1, g?.[1] ?? ++this.cut]);
  }

  /** Whether the server's word `c` (a request's answer sent at `since`) brings the chat back, if gone. */
  back(c: Chat | ChatSummary, since?: number): boolean {
    const g = this.get(c.chatId);
    if (g && (c.lastVer <= g[0] || (since as number) < g[1])) return false;
    this.delete(c.chatId);
    return true;
  }
}

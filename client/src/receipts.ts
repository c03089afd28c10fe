/**
 * Receipts after a reconnect. Read and delivery cursors take no version, so neither `listChats` nor
 * `sync` tells what moved while the socket was down (sync lists members only when membership
 * changed): the syncer then asks `getChat` for the chats whose ticks can have moved — those where
 * another member has not yet read the user's newest message as the replica holds it — unless their
 * member list came from the server since the socket opened. Newest first, at most
 * RECEIPTS_REFRESH_MAX chats a reconnect and RECEIPTS_PARALLEL at a time: a big group's getChat is
 * not cheap.
 */
import type { Requester } from './chat-pages.ts';
import { codeOf } from './errors.ts';
import type { ChatEntry, Replica } from './replica.ts';
import { pool } from './util.ts';

export const RECEIPTS_REFRESH_MAX = 20;
export const RECEIPTS_PARALLEL = 2;

export interface ReceiptHooks {
  readonly log: (level: 'debug' | 'warn', message: string, data?: unknown) => void;
  /** After a chat's member list was replaced. */
  readonly changed: (e: ChatEntry) => void;
}

/** Refreshes with `getChat` the members of the chats waiting for receipts (`stamp`: see above). */
export async function refreshReceipts(
  replica: Replica,
  req: Requester,
  stamp: number,
  hooks: ReceiptHooks,
): Promise<void> {
  const createdAt = (c: { e: ChatEntry; seq: number }) => c.e.bySeq.get(c.seq)?.createdAt ?? '';
  const waiting = [...replica.chats.values()]
    .map((e) => ({ e, seq: e.membersStamp > stamp ? 0 : unreadMine(e, replica.me) }))
    .filter((c) => c.seq > 0)
    .sort((a, b) => createdAt(b).localeCompare(createdAt(a)))
    .slice(0, RECEIPTS_REFRESH_MAX);
  await pool(waiting, RECEIPTS_PARALLEL, async ({ e }) => {
    const chatId = e.info.chatId;
    try {
      const chat = (await req('getChat', { chatId })).chat;
      // Dropped meanwhile (deleted, or the user left): not brought back.
      if (replica.chats.get(chatId) !== e) return;
      replica.chat(chat);
      hooks.changed(e);
    } catch (error) {
      if (codeOf(error) === 'NOT_FOUND') replica.remove(chatId);
      else hooks.log('warn', `receipts of ${chatId} not refreshed`, error);
    }
  });
}

/** The seq of the user's newest message held that another member listed has not read, or 0. */
export function unreadMine(e: ChatEntry, me: string): number {
  const others = (e.info.members ?? []).filter((m) => m.userId !== me);
  if (!e.loaded || others.length === 0) return 0;
  const read = Math.min(...others.map((m) => m.lastReadSeq));
  for (let seq = e.maxSeq; seq > read; seq--) if (e.bySeq.get(seq)?.senderId === me) return seq;
  return 0;
}

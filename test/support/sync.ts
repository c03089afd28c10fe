/**
 * A client's view of a chat kept the way the contract says: `sync` from the version it holds,
 * paging while `hasMore`, applying every message by `ver` (newer wins), members when not null.
 */
import { expect } from 'vitest';
import type { Member, Message } from '../../lambdas/contract/objects.ts';
import { sleep, type TestClient } from './client.ts';

export interface SyncedChat {
  readonly chatId: string;
  /** The cursor: the `lastVer` of the last sync. */
  ver: number;
  readonly messages: Map<string, Message>;
  members: Member[] | null;
  /** Sync calls made, and messages received (repeats included). */
  calls: number;
  received: number;
}

export function emptyView(chatId: string): SyncedChat {
  return { chatId, ver: 0, messages: new Map(), members: null, calls: 0, received: 0 };
}

/** One round: `sync` from the view's version until `hasMore` is false. */
export async function syncRound(socket: TestClient, view: SyncedChat, limit = 100): Promise<void> {
  for (;;) {
    const ack = await socket.ok('sync', { chatId: view.chatId, sinceVer: view.ver, limit });
    view.calls++;
    expect(ack.reset).toBe(false);
    const messages = ack.messages as Message[];
    const vers = messages.map((m) => m.ver);
    expect(vers).toEqual([...vers].sort((a, b) => a - b)); // ascending by version
    for (const m of messages) {
      expect(m.ver).toBeGreaterThan(view.ver);
      view.received++;
      const held = view.messages.get(m.messageId);
      if (!held || held.ver <= m.ver) view.messages.set(m.messageId, m);
    }
    if (ack.members) view.members = ack.members as Member[];
    expect(ack.lastVer as number).toBeGreaterThanOrEqual(view.ver);
    view.ver = ack.lastVer as number;
    if (!ack.hasMore) return;
  }
}

/**
 * Rounds until the cursor reaches the chat's `lastVer` (everything settled), bounded; a round every
 * 250 ms, as a client would wait, which also keeps `getChat` within its per-user rate limit.
 */
export async function syncSettled(socket: TestClient, view: SyncedChat, limit = 100): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await syncRound(socket, view, limit);
    const chat = (await socket.ok('getChat', { chatId: view.chatId })).chat as { lastVer: number };
    if (view.ver === chat.lastVer) return;
    if (Date.now() > deadline) throw new Error(`sync did not reach lastVer ${chat.lastVer} (at ${view.ver})`);
    await sleep(250);
  }
}

/** Every message of a chat, by `history` (the reference state), ascending by seq. */
export async function fullHistory(socket: TestClient, chatId: string): Promise<Message[]> {
  const out: Message[] = [];
  let after = 0;
  for (;;) {
    const page = await socket.ok('history', { chatId, after, limit: 100 });
    const messages = page.messages as Message[];
    out.push(...messages);
    if (!page.hasMore) return out;
    after = (messages.at(-1) as Message).seq;
  }
}

/** The view's messages as history lists them (ascending seq). */
export const heldMessages = (view: SyncedChat): Message[] =>
  [...view.messages.values()].sort((a, b) => a.seq - b.seq);

/**
 * refreshReceipts (client/src/receipts.ts) against a replica, no stack: which chats it asks getChat
 * for after a reconnect, and in what order.
 * - A chat counts as refreshed for the user's newest message in it (ChatEntry.refreshed) only once a
 *   getChat answer was taken: one whose getChat failed (or whose answer was dropped as behind) still
 *   leads the next reconnect's turn. Before, it was marked before the request went, and waited
 *   behind every chat never refreshed.
 * - A member list a getChat (or an event) brought since the socket opened is fresh, whatever the
 *   group's size; one a `sync` brought is not: the server's sync lists a big group's members as it
 *   cached them, others' cursors as they were then (also once the group shrank below 100: the cache
 *   still holds it as big). Before, any list of a group of 100 or more was asked for again, and a
 *   synced list of a group of 99 counted as fresh.
 */
import { describe, expect, it } from 'vitest';
import { syncPages } from '../../client/src/chat-pages.ts';
import type { Chat, Member, Message } from '../../client/src/contract.ts';
import { refreshReceipts } from '../../client/src/receipts.ts';
import { Replica } from '../../client/src/replica.ts';
import { MemoryStore } from '../../client/src/store.ts';

const stats = {} as never;
const hooks = { messages() {}, chat() {}, error() {} };
const member = (userId: string, role: 'owner' | 'member' = 'member'): Member =>
  ({ userId, role, lastReadSeq: 0, lastDeliveredSeq: 0, joinedAt: '2026-01-01T00:00:00.000Z' }) as Member;
const chatOf = (chatId: string, members: Member[]): Chat =>
  ({
    chatId,
    kind: 'group',
    name: chatId,
    ownerId: 'me',
    memberCount: members.length,
    members,
    lastSeq: 1,
    lastVer: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
  }) as Chat;

/** `n` chats, each with the user's own message at seq 1 that the `others` members have not read. */
function replicaWith(n: number, others = 1): Replica {
  const r = new Replica(new MemoryStore(), hooks, stats);
  r.me = 'me';
  for (let i = 0; i < n; i++) {
    const list = [member('me', 'owner'), ...Array.from({ length: others }, (_, k) => member(`o${k}`))];
    const e = r.chat(chatOf(`c${String(i).padStart(2, '0')}`, list));
    if (!e) throw new Error('no chat');
    const at = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
    r.apply(e, [
      { chatId: e.info.chatId, seq: 1, ver: 1, senderId: 'me', text: 'x', createdAt: at } as Message,
    ]);
    r.markLoaded(e);
  }
  return r;
}

/**
 * A getChat as the client's request does it: the answer's member list is taken (live.ts
 * applyRequest), unless `fails` says the request fails or `dropped` that the answer is behind.
 */
function requester(r: Replica, asked: string[], fails: Set<string>, dropped = new Set<string>()) {
  return (async (_action: string, { chatId }: { chatId: string }) => {
    asked.push(chatId);
    if (fails.has(chatId)) throw Object.assign(new Error('timeout'), { code: 'TIMEOUT' });
    const e = r.chats.get(chatId);
    if (!dropped.has(chatId)) r.chat(chatOf(chatId, e?.info.members as Member[]));
    return {};
  }) as never;
}

describe('refreshReceipts', () => {
  it('a chat whose getChat failed leads the next turn, ahead of chats never refreshed', async () => {
    const r = replicaWith(40);
    const first: string[] = [];
    await refreshReceipts(r, requester(r, first, new Set(['c39'])), r.stamp, () => {});
    expect(first[0]).toBe('c39'); // the most recently active: asked first, failed
    const second: string[] = [];
    await refreshReceipts(r, requester(r, second, new Set()), r.stamp, () => {});
    expect(second[0]).toBe('c39');
  });

  it('a chat whose getChat answer was not taken (behind the chat held) leads the next turn too', async () => {
    const r = replicaWith(40);
    const first: string[] = [];
    await refreshReceipts(r, requester(r, first, new Set(), new Set(['c39'])), r.stamp, () => {});
    expect(first[0]).toBe('c39');
    const second: string[] = [];
    await refreshReceipts(r, requester(r, second, new Set()), r.stamp, () => {});
    expect(second[0]).toBe('c39');
  });

  it('a group of 150 whose members a getChat brought since the socket opened is not asked again', async () => {
    const r = replicaWith(1, 149);
    const stamp = r.stamp;
    const e = r.chats.get('c00');
    // e.g. resyncOnce's getChat of a chat listChats did not list, or the app's own getChat: fresh.
    r.chat(chatOf('c00', e?.info.members as Member[]));
    const asked: string[] = [];
    await refreshReceipts(r, requester(r, asked, new Set()), stamp, () => {});
    expect(asked).toEqual([]);
  });

  it('a group whose members a sync brought since the socket opened is asked (100 that shrank to 99)', async () => {
    const r = replicaWith(1, 99);
    const stamp = r.stamp;
    const e = r.chats.get('c00');
    if (!e) throw new Error('no chat');
    const list = (e.info.members as Member[]).slice(0, -1); // one left while away: 99
    const req = (async () => ({
      messages: [],
      members: list,
      memberCount: 99,
      lastVer: 1,
      hasMore: false,
    })) as never;
    await syncPages({ req, replica: r, stats: { catchUpRequests: 0 } as never }, e);
    expect(e.info.memberCount).toBe(99);
    expect(e.stamp).toBeGreaterThan(stamp);
    const asked: string[] = [];
    await refreshReceipts(r, requester(r, asked, new Set()), stamp, () => {});
    expect(asked).toEqual(['c00']);
  });
});

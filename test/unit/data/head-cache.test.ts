/** The container's cache of chat heads: least recently used first out, bounded by chats and members. */
import { describe, expect, it } from 'vitest';
import { ChatHeadCache } from '../../../lambdas/data/head-cache.ts';
import type { ChatRecord, MemberRecord } from '../../../lambdas/data/items.ts';

const chat = (chatId: string): ChatRecord => ({
  chatId,
  kind: 'group',
  name: 'g',
  ownerId: 'u0',
  lastSeq: 1,
  memberCount: 1,
  createdAt: 'x',
  lastActivityAt: 'x',
  lastVer: 2,
  memberVer: 1,
  lastAllocAt: 0,
  minSyncVer: 0,
});
const members = (chatId: string, n: number): MemberRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    chatId,
    userId: `u${i}`,
    role: 'member',
    lastReadSeq: 0,
    lastDeliveredSeq: 0,
    joinedAt: 'x',
    kind: 'group',
  }));
const loaded = (chatId: string, n = 2) => ({ chat: chat(chatId), members: members(chatId, n) });

describe('ChatHeadCache', () => {
  it('evicts the least recently used chat beyond its chat bound', () => {
    const cache = new ChatHeadCache({ maxChats: 2 });
    cache.remember('a', loaded('a'));
    cache.remember('b', loaded('b'));
    expect(cache.get('a')?.chat.chatId).toBe('a'); // a is now the most recently used
    cache.remember('c', loaded('c'));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size).toBe(2);
  });

  it('evicts by members held, and never holds a chat bigger than the bound', () => {
    const cache = new ChatHeadCache({ maxChats: 100, maxMembers: 10 });
    cache.remember('a', loaded('a', 6));
    cache.remember('b', loaded('b', 6));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')?.members).toHaveLength(6);
    cache.remember('huge', loaded('huge', 11));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
  });

  it('forgets a chat that no longer exists, and replaces an entry when read again', () => {
    const cache = new ChatHeadCache();
    cache.remember('a', loaded('a', 2));
    cache.remember('a', loaded('a', 3));
    expect(cache.get('a')?.members).toHaveLength(3);
    cache.remember('a', { chat: undefined, members: [] });
    expect(cache.get('a')).toBeUndefined();
  });

  it('keeps the counters of a cached head current after an allocation, forward only', () => {
    const cache = new ChatHeadCache();
    cache.remember('a', loaded('a'));
    cache.noteAllocated('a', 9, 12);
    expect(cache.get('a')?.chat).toMatchObject({ lastSeq: 9, lastVer: 12, memberVer: 1 });
    cache.noteAllocated('a', 4, 5);
    expect(cache.get('a')?.chat.lastSeq).toBe(9);
    cache.noteAllocated('unknown', 1, 1);
    expect(cache.get('unknown')).toBeUndefined();
  });
});

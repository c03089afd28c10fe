/**
 * The push badge's recount (lambdas/domain/badge.ts): the user's total unread count as listChats
 * counts it, written to their badge counter; and when `$disconnect` recounts (`whenToRecount`).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { MemberRecord } from '../../../lambdas/data/store.ts';
import { recountBadge, whenToRecount } from '../../../lambdas/domain/badge.ts';
import { deviceRecord } from '../push/fixtures.ts';
import { fakeDeps, groupChat, NOW } from './fakes.ts';

let t: ReturnType<typeof fakeDeps>;
const refs = ['a', 'b', 'gone', 'left'].map((chatId) => ({ chatId, userId: 'bob', kind: 'group' as const }));

beforeEach(() => {
  t = fakeDeps();
  t.store.devices.pushTargets.mockResolvedValue({
    online: false,
    connectionIds: [],
    devices: [deviceRecord('bob')],
  });
  const chat = (chatId: string, lastSeq: number, extra = {}) =>
    groupChat('x', [], { chatId, lastSeq, ...extra }).chat;
  const mine = (chatId: string, lastReadSeq: number, extra = {}): MemberRecord => ({
    ...(groupChat('x', ['bob'], { chatId }).members[0] as MemberRecord),
    lastReadSeq,
    ...extra,
  });
  t.store.chats.getMembershipsAndChats.mockResolvedValue({
    // 'left': the membership is gone (left meanwhile): nothing counted.
    members: new Map([
      ['a', mine('a', 2)],
      ['b', mine('b', 4, { sentAhead: new Set([7]) })],
      ['gone', mine('gone', 0)],
    ]),
    chats: new Map([
      ['a', chat('a', 5)],
      // Seq 6 is a void and 7 Bob's own scheduled message: 9 − 4 − 2.
      ['b', chat('b', 9, { voidSeqs: new Set([6]) })],
      ['gone', chat('gone', 8, { deletedAt: NOW })],
      ['left', chat('left', 3)],
    ]),
  });
});

describe('recountBadge', () => {
  it('sets the counter to the unread count across chats, read consistently', async () => {
    await recountBadge(t.deps, 'bob', { countedAt: new Date(NOW), memberships: refs });
    expect(t.store.chats.getMembershipsAndChats).toHaveBeenCalledExactlyOnceWith(refs, { consistent: true });
    expect(t.store.badges.set).toHaveBeenCalledExactlyOnceWith('bob', 3 + 3, new Date(NOW));
  });

  it('reads the memberships itself when not given them', async () => {
    t.store.chats.listMemberships.mockResolvedValue(refs);
    await recountBadge(t.deps, 'bob');
    expect(t.store.badges.set).toHaveBeenCalledExactlyOnceWith('bob', 6, new Date(NOW));
  });
});

describe('whenToRecount', () => {
  const targets = (connectionIds: string[], devices = [deviceRecord('bob')]) =>
    t.store.devices.pushTargets.mockResolvedValue({
      online: connectionIds.length > 0,
      connectionIds,
      devices,
    });

  it('never for a user without a live device (none, or every one past its expiresAt)', async () => {
    targets(['c1'], []);
    expect(await whenToRecount(t.deps, 'bob', 'c1')).toBe('never');
    const expired = { ...deviceRecord('bob'), expiresAt: Date.parse(NOW) / 1000 };
    targets(['c1'], [expired]);
    expect(await whenToRecount(t.deps, 'bob', 'c1')).toBe('never');
    targets(['c1'], [expired, { ...deviceRecord('bob'), expiresAt: Date.parse(NOW) / 1000 + 1 }]);
    expect(await whenToRecount(t.deps, 'bob', 'c1')).toBe('now');
  });

  it('now when no other socket is stored, only once offline when one is', async () => {
    targets(['c1']);
    expect(await whenToRecount(t.deps, 'bob', 'c1')).toBe('now');
    targets([]);
    expect(await whenToRecount(t.deps, 'bob', 'c1')).toBe('now');
    targets(['c1', 'c2']);
    expect(await whenToRecount(t.deps, 'bob', 'c1')).toBe('ifOffline');
  });
});

/**
 * The push badge's recount (lambdas/domain/badge.ts): the user's total unread count as listChats
 * counts it, written to their badge counter; nothing read beyond the devices for a user without one.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { MemberRecord } from '../../../lambdas/data/store.ts';
import { recountBadge } from '../../../lambdas/domain/badge.ts';
import { deviceRecord } from '../push/fixtures.ts';
import { fakeDeps, groupChat, NOW } from './fakes.ts';

let t: ReturnType<typeof fakeDeps>;
const refs = ['a', 'b', 'gone', 'left'].map((chatId) => ({ chatId, userId: 'bob', kind: 'group' as const }));

beforeEach(() => {
  t = fakeDeps();
  t.store.devices.pushTargets.mockResolvedValue({ online: false, devices: [deviceRecord('bob')] });
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
    await recountBadge(t.deps, 'bob', refs);
    expect(t.store.chats.getMembershipsAndChats).toHaveBeenCalledExactlyOnceWith(refs, { consistent: true });
    expect(t.store.badges.set).toHaveBeenCalledExactlyOnceWith('bob', 3 + 3, new Date(NOW));
  });

  it('reads the memberships itself when not given them', async () => {
    t.store.chats.listMemberships.mockResolvedValue(refs);
    await recountBadge(t.deps, 'bob');
    expect(t.store.badges.set).toHaveBeenCalledExactlyOnceWith('bob', 6, new Date(NOW));
  });

  it('reads and writes nothing more for a user without a device', async () => {
    t.store.devices.pushTargets.mockResolvedValue({ online: false, devices: [] });
    await recountBadge(t.deps, 'bob', refs);
    expect(t.store.chats.getMembershipsAndChats).not.toHaveBeenCalled();
    expect(t.store.badges.set).not.toHaveBeenCalled();
  });
});

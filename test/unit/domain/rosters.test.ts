/** Roster upkeep decided by the domain: connect, disconnect, create/invite, remove, delete. */
import { describe, expect, it } from 'vitest';
import type { MemberRecord } from '../../../lambdas/data/items.ts';
import { connectionExpiresAt } from '../../../lambdas/data/store.ts';
import { createChat, deleteChat, invite, removeMember } from '../../../lambdas/domain/chats.ts';
import { closeConnection, openConnection } from '../../../lambdas/domain/connections.ts';
import { caller, fakeDeps, groupChat } from './fakes.ts';

const ann = caller('ann');
const connectedAt = new Date('2026-03-01T11:00:00.000Z');
const expiresAt = connectionExpiresAt(connectedAt.toISOString());
const memberships = [
  { chatId: 'd1', userId: 'ann', kind: 'direct' as const, peerId: 'bob' },
  { chatId: 'g1', userId: 'ann', kind: 'group' as const },
  { chatId: 'g2', userId: 'ann', kind: 'group' as const },
];

describe('$connect and $disconnect', () => {
  it('lists a new socket in every group of the user and in groups just joined, never in direct chats', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.rosters.recentJoins.mockResolvedValue(['g2', 'g3']);
    store.chats.getMemberships.mockResolvedValue(new Map([['g3', {} as MemberRecord]]));
    await openConnection(deps, ann, { connectionId: 'k1', connectedAt });
    const added = store.rosters.add.mock.calls.flatMap(([entries]) => entries);
    expect(added.map((e) => e.chatId).sort()).toEqual(['g1', 'g2', 'g3']);
    // Only the marked group the index does not show is read, consistently.
    expect(store.chats.getMemberships).toHaveBeenCalledExactlyOnceWith('ann', ['g3'], { consistent: true });
    expect(
      added.every((e) => e.userId === 'ann' && e.connectionId === 'k1' && e.expiresAt === expiresAt),
    ).toBe(true);
    // The connection was stored before the groups were read (the race with an invite depends on it).
    const put = store.connections.put.mock.invocationCallOrder[0] ?? 0;
    expect(store.rosters.recentJoins.mock.invocationCallOrder[0]).toBeGreaterThan(put);
    expect(store.chats.listMemberships.mock.invocationCallOrder[0]).toBeGreaterThan(put);
  });

  it('does not list a socket in a marked group the user is no longer in (removed, left, deleted)', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.rosters.recentJoins.mockResolvedValue(['g3', 'g4']);
    store.chats.getMemberships.mockResolvedValue(new Map([['g4', {} as MemberRecord]]));
    await openConnection(deps, ann, { connectionId: 'k1', connectedAt });
    const added = store.rosters.add.mock.calls.flatMap(([entries]) => entries);
    expect(added.map((e) => e.chatId).sort()).toEqual(['g1', 'g2', 'g4']);
  });

  it('reads no membership when every marked group is in the index', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.rosters.recentJoins.mockResolvedValue(['g1']);
    await openConnection(deps, ann, { connectionId: 'k1', connectedAt });
    expect(store.chats.getMemberships).not.toHaveBeenCalled();
  });

  it('refuses the connection when the rosters cannot be written', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.rosters.add.mockRejectedValue(new Error('throttled'));
    await expect(openConnection(deps, ann, { connectionId: 'k1', connectedAt })).rejects.toThrow('throttled');
  });

  it('takes a closed socket out of every group roster and still records presence when that fails', async () => {
    const { deps, store } = fakeDeps();
    store.chats.listMemberships.mockResolvedValue(memberships);
    store.rosters.remove.mockRejectedValueOnce(new Error('throttled'));
    await closeConnection(deps, ann, { connectionId: 'k1' });
    expect(store.rosters.remove).toHaveBeenCalledWith([
      { chatId: 'g1', userId: 'ann', connectionId: 'k1' },
      { chatId: 'g2', userId: 'ann', connectionId: 'k1' },
    ]);
    expect(store.profiles.setLastSeen).toHaveBeenCalled();
  });
});

describe('membership changes', () => {
  it('a new group marks every member as joined, then lists the open sockets of those seen lately', async () => {
    const { deps, store } = fakeDeps();
    const profile = (userId: string, lastSeenAt: string | null) =>
      [userId, { userId, name: null, lastSeenAt }] as const;
    store.profiles.getMany.mockResolvedValue(
      new Map([
        profile('ann', '2026-03-01T11:59:00.000Z'),
        profile('bob', '2026-03-01T10:00:00.000Z'),
        profile('cat', '2026-03-01T09:00:00.000Z'), // 3 hours ago: any socket of then has expired
        profile('dan', null), // imported, never connected
      ]),
    );
    store.connections.list.mockImplementation(async (userId: string) =>
      userId === 'bob' ? [{ connectionId: 'b1', expiresAt: 123 }] : [],
    );
    const { chat } = await createChat(deps, ann, {
      kind: 'group',
      name: 'T',
      memberIds: ['bob', 'cat', 'dan', 'eve'],
    });
    expect(store.rosters.markJoined).toHaveBeenCalledWith(['ann', 'bob', 'cat', 'dan', 'eve'], chat.chatId);
    expect(store.profiles.getMany).toHaveBeenCalledWith(['ann', 'bob', 'cat', 'dan', 'eve'], {
      consistent: true,
    });
    expect(store.connections.list.mock.calls.map(([userId]) => userId).sort()).toEqual(['ann', 'bob']);
    expect(store.connections.list).toHaveBeenCalledWith('bob', { consistent: true });
    expect(store.rosters.add).toHaveBeenCalledWith([
      { chatId: chat.chatId, userId: 'bob', connectionId: 'b1', expiresAt: 123 },
    ]);
    expect(store.rosters.markJoined.mock.invocationCallOrder[0]).toBeLessThan(
      store.profiles.getMany.mock.invocationCallOrder[0] ?? 0,
    );
  });

  it('a direct chat has no roster', async () => {
    const { deps, store } = fakeDeps();
    await createChat(deps, ann, { kind: 'direct', userId: 'bob' });
    expect(store.rosters.markJoined).not.toHaveBeenCalled();
    expect(store.rosters.add).not.toHaveBeenCalled();
  });

  it('invite admits only the new members', async () => {
    const { deps, store } = fakeDeps();
    const loaded = groupChat('ann', ['ann', 'bob']);
    store.chats.getWithMembers.mockResolvedValue(loaded);
    await invite(deps, ann, { chatId: 'g1', userIds: ['bob', 'cat'] });
    expect(store.rosters.markJoined).toHaveBeenCalledWith(['cat'], 'g1');
  });

  it('removeMember drops the removed member’s sockets after telling them', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    store.rosters.listMember.mockResolvedValue([{ userId: 'bob', connectionId: 'b1' }]);
    await removeMember(deps, ann, { chatId: 'g1', userId: 'bob' });
    expect(store.rosters.listMember).toHaveBeenCalledWith('g1', 'bob');
    expect(store.rosters.remove).toHaveBeenCalledWith([{ chatId: 'g1', userId: 'bob', connectionId: 'b1' }]);
    expect(fanOut.toUsers.mock.invocationCallOrder[0]).toBeLessThan(
      store.rosters.remove.mock.invocationCallOrder[0] ?? 0,
    );
  });

  it('removeMember lists the member again when they were invited back before their entries went', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    store.rosters.listMember.mockResolvedValue([{ userId: 'bob', connectionId: 'b1' }]);
    store.chats.isMember.mockResolvedValue(true);
    store.profiles.getMany.mockResolvedValue(
      new Map([['bob', { userId: 'bob', name: null, lastSeenAt: '2026-03-01T11:59:00.000Z' }]]),
    );
    store.connections.list.mockResolvedValue([{ connectionId: 'b1', expiresAt: 123 }]);
    await removeMember(deps, ann, { chatId: 'g1', userId: 'bob' });
    expect(store.chats.isMember).toHaveBeenCalledWith('g1', 'bob');
    // Read after the deletes: an entry written before the read is written again, one after it stays.
    expect(store.rosters.remove.mock.invocationCallOrder[0]).toBeLessThan(
      store.chats.isMember.mock.invocationCallOrder[0] ?? 0,
    );
    expect(store.rosters.markJoined).toHaveBeenCalledWith(['bob'], 'g1');
    expect(store.rosters.add).toHaveBeenCalledWith([
      { chatId: 'g1', userId: 'bob', connectionId: 'b1', expiresAt: 123 },
    ]);
  });

  it('removeMember reads the membership again only when it deleted entries, and admits nobody who is gone', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    await removeMember(deps, ann, { chatId: 'g1', userId: 'bob' });
    expect(store.chats.isMember).not.toHaveBeenCalled();
    store.rosters.listMember.mockResolvedValue([{ userId: 'bob', connectionId: 'b1' }]);
    await removeMember(deps, ann, { chatId: 'g1', userId: 'bob' });
    expect(store.chats.isMember).toHaveBeenCalledTimes(1);
    expect(store.rosters.markJoined).not.toHaveBeenCalled();
    expect(store.rosters.add).not.toHaveBeenCalled();
  });

  it('deleteChat clears the roster after the event', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    await deleteChat(deps, ann, { chatId: 'g1' });
    expect(store.rosters.clear).toHaveBeenCalledWith('g1');
    expect(fanOut.toUsers.mock.invocationCallOrder[0]).toBeLessThan(
      store.rosters.clear.mock.invocationCallOrder[0] ?? 0,
    );
  });
});

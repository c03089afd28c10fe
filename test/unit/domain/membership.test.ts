/** invite, removeMember and deleteChat decisions of the domain, over mocked repositories and fan-out. */
import { describe, expect, it } from 'vitest';
import { deleteChat, invite, removeMember } from '../../../lambdas/domain/chats.ts';
import { LIMITS } from '../../../lambdas/domain/limits.ts';
import { fallbackName } from '../../../lambdas/shared/clean-name.ts';
import { caller, fakeDeps, groupChat, NOW, sent } from './fakes.ts';

const ann = caller('ann');
const _ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`);

describe('invite', () => {
  it('lets only the owner invite into a group', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('bob', ['bob', 'ann']));
    await expect(invite(deps, ann, { chatId: 'g1', userIds: ['cy'] })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(store.chats.addMembers).not.toHaveBeenCalled();
  });

  it('writes nothing when everyone invited is already a member', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    await invite(deps, ann, { chatId: 'g1', userIds: ['bob'] });
    expect(store.chats.addMembers).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('admits and tells again members who joined within a socket’s lifetime when asked again (a retried invite)', async () => {
    const { deps, store, fanOut } = fakeDeps();
    const loaded = groupChat('ann', ['ann', 'bob', 'cy', 'dee'], { memberVer: 7 });
    // NOW is 2026-03-01T12:00Z: cy joined 2 h ago (a socket of then may still be open), bob long
    // ago (each of his open sockets was listed by its own $connect); ann is the inviter.
    const joined = { ann: NOW, bob: '2026-01-02T00:00:00.000Z', cy: '2026-03-01T10:00:00.000Z', dee: NOW };
    const members = loaded.members.map((m) => ({ ...m, joinedAt: joined[m.userId as keyof typeof joined] }));
    store.chats.getWithMembers.mockResolvedValue({ chat: loaded.chat, members });
    store.chats.isMember.mockResolvedValue(true);
    const { chat } = await invite(deps, ann, { chatId: 'g1', userIds: ['ann', 'bob', 'cy'] });
    expect(chat.members.map((m) => m.userId).sort()).toEqual(['ann', 'bob', 'cy', 'dee']);
    expect(store.chats.addMembers).not.toHaveBeenCalled();
    expect(store.rosters.markJoined).toHaveBeenCalledWith(['cy'], 'g1');
    expect(sent(fanOut).map((s) => [s.frame.type, s.userIds])).toEqual([
      ['chat.joined', ['cy']],
      ['member.joined', ['ann', 'bob', 'dee']],
    ]);
    expect(sent(fanOut)[1]?.frame).toEqual({ type: 'member.joined', chatId: 'g1', userIds: ['cy'], ver: 7 });
  });

  it('reads again and retries when the chat changed, then tells newcomers and members apart', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    store.chats.addMembers.mockResolvedValueOnce('chat-changed');
    const { chat } = await invite(deps, ann, { chatId: 'g1', userIds: ['cy', 'bob'] });
    expect(store.chats.getWithMembers).toHaveBeenCalledTimes(2);
    expect(chat.members.map((m) => m.userId)).toEqual(['ann', 'bob', 'cy']);
    expect(sent(fanOut).map((s) => [s.frame.type, s.userIds])).toEqual([
      ['chat.joined', ['cy']],
      ['member.joined', ['ann', 'bob']],
    ]);
  });

  it('answers CONFLICT after the bounded attempts', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann']));
    store.chats.addMembers.mockResolvedValue('chat-changed');
    await expect(invite(deps, ann, { chatId: 'g1', userIds: ['cy'] })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(store.chats.addMembers).toHaveBeenCalledTimes(LIMITS.membershipAttempts);
  });

  it('starts a new group named after everyone when inviting into a direct chat (neutral name without a profile)', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(
      groupChat('ann', ['ann', 'bob'], { kind: 'direct', name: null }),
    );
    store.profiles.getMany.mockResolvedValue(
      new Map([['bob', { userId: 'bob', name: 'Bob', lastSeenAt: null }]]),
    );
    const { chat } = await invite(deps, ann, { chatId: 'g1', userIds: ['cy'] });
    expect(chat).toMatchObject({ kind: 'group', name: `ANN, Bob, ${fallbackName('cy')}`, ownerId: 'ann' });
    expect(store.chats.addMembers).not.toHaveBeenCalled();
  });
});

describe('removeMember', () => {
  it('lets a member leave a direct chat: the one who stays owns it and is no longer their peer', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob'], { kind: 'direct' }));
    await removeMember(deps, ann, { chatId: 'g1', userId: 'ann' });
    const call = store.chats.removeMember.mock.calls[0] ?? [];
    expect([...call.slice(1, 4), call[5]]).toEqual(['ann', 'bob', 9, 'bob']);
    expect(sent(fanOut)[0]).toMatchObject({
      userIds: ['ann', 'bob'],
      frame: { type: 'member.left', userId: 'ann', ver: 9 },
    });
  });

  it('hands ownership to the earliest remaining member when the owner leaves', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob', 'cy']));
    await removeMember(deps, ann, { chatId: 'g1', userId: 'ann' });
    expect(store.chats.removeMember.mock.calls[0]?.slice(1, 4)).toEqual(['ann', 'bob', 9]);
    expect(sent(fanOut)[0]).toMatchObject({
      userIds: ['ann', 'bob', 'cy'],
      frame: { type: 'member.left', userId: 'ann', ver: 9 },
    });
  });

  it('keeps the owner when someone else is removed', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    await removeMember(deps, ann, { chatId: 'g1', userId: 'bob' });
    expect(store.chats.removeMember.mock.calls[0]?.slice(1, 4)).toEqual(['bob', undefined, 9]);
  });

  it('records an administrator’s removal as soon as it is done, before the posts', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    fanOut.toUsers.mockRejectedValue(new Error('throttled'));
    const root = { ...caller('root'), admin: true };
    await expect(removeMember(deps, root, { chatId: 'g1', userId: 'bob' })).rejects.toThrow('throttled');
    expect(store.audit.record).toHaveBeenCalledWith(
      expect.objectContaining({ action: 'removeMember', actorId: 'root', userId: 'bob' }),
    );
  });

  it('expires a chat its last member left before telling anyone: a failed post cannot lose that', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann']));
    fanOut.toUsers.mockRejectedValue(new Error('throttled'));
    await expect(removeMember(deps, ann, { chatId: 'g1', userId: 'ann' })).rejects.toThrow('throttled');
    expect(store.retention.expireChat).toHaveBeenCalledWith(
      'g1',
      expect.any(Number),
      expect.any(Function),
      expect.anything(),
    );
  });

  it('deletes the chat when the last member’s leave landed but its write timed out at the deadline', async () => {
    const { deps, store, fanOut } = fakeDeps();
    let gone = false;
    store.chats.getWithMembers.mockImplementation(async () =>
      gone ? { chat: undefined, members: [] } : groupChat('ann', ['ann']),
    );
    store.chats.removeMember.mockImplementation(async () => {
      gone = true; // the transaction landed (the membership and META deleted)…
      throw Object.assign(new Error('aborted'), { name: 'TimeoutError' }); // …but the call gave up
    });
    await expect(removeMember(deps, ann, { chatId: 'g1', userId: 'ann' })).resolves.toEqual({
      chatId: 'g1',
      userId: 'ann',
    });
    expect(store.chats.removeMember).toHaveBeenCalledTimes(1);
    expect(store.retention.expireChat).toHaveBeenCalledWith(
      'g1',
      expect.any(Number),
      expect.any(Function),
      expect.anything(),
    );
    expect(sent(fanOut)[0]).toMatchObject({
      userIds: ['ann'],
      frame: { type: 'member.left', userId: 'ann' },
    });
    expect(store.rosters.clear).toHaveBeenCalledWith('g1');
  });

  it('reads the last member’s timed-out leave as not applied while the chat is still there', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann']));
    store.chats.removeMember
      .mockRejectedValueOnce(Object.assign(new Error('aborted'), { name: 'TimeoutError' }))
      .mockResolvedValueOnce('changed');
    await removeMember(deps, ann, { chatId: 'g1', userId: 'ann' });
    expect(store.chats.removeMember).toHaveBeenCalledTimes(2);
    expect(store.retention.expireChat).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['the last member', ['ann']],
    ['a member', ['ann', 'bob']],
  ])('completes an administrator’s removal of %s when the audit write fails', async (_case, userIds) => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', userIds));
    // The chat's retention is queued before the audit write is even tried.
    const expiredFirst: boolean[] = [];
    store.audit.record.mockImplementation(async () => {
      expiredFirst.push(store.retention.expireChat.mock.calls.length > 0);
      throw new Error('throttled');
    });
    const root = { ...caller('root'), admin: true };
    await expect(removeMember(deps, root, { chatId: 'g1', userId: 'ann' })).resolves.toEqual({
      chatId: 'g1',
      userId: 'ann',
    });
    const lastOut = userIds.length === 1;
    expect(expiredFirst).toEqual([lastOut]);
    expect(sent(fanOut)[0]?.frame).toMatchObject({ type: 'member.left', userId: 'ann' });
    if (lastOut) expect(store.rosters.clear).toHaveBeenCalledWith('g1');
    else expect(store.rosters.listMember).toHaveBeenCalledWith('g1', 'ann');
  });

  it.each([
    ['a member removing someone else', groupChat('bob', ['bob', 'ann', 'cy']), 'cy', 'FORBIDDEN'],
    [
      'removing the other member of a direct chat',
      groupChat('ann', ['ann', 'bob'], { kind: 'direct' }),
      'bob',
      'FORBIDDEN',
    ],
    ['removing a non-member', groupChat('ann', ['ann']), 'zed', 'NOT_FOUND'],
  ])('refuses %s', async (_case, loaded, userId, code) => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(loaded);
    await expect(removeMember(deps, ann, { chatId: 'g1', userId })).rejects.toMatchObject({ code });
    expect(store.chats.removeMember).not.toHaveBeenCalled();
  });
});

describe('deleteChat', () => {
  it('lets only the owner delete', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('bob', ['bob', 'ann']));
    await expect(deleteChat(deps, ann, { chatId: 'g1' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(store.chats.markDeleted).not.toHaveBeenCalled();
  });

  it('completes an administrator’s deletion when the audit write fails, the record written right after the mark', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    const steps: [boolean, boolean][] = [];
    store.audit.record.mockImplementation(async () => {
      const calls = (m: { mock: { calls: unknown[] } }) => m.mock.calls.length > 0;
      steps.push([calls(store.chats.markDeleted), calls(store.chats.deleteMembersButOwner)]);
      throw new Error('throttled');
    });
    const root = { ...caller('root'), admin: true };
    await expect(deleteChat(deps, root, { chatId: 'g1' })).resolves.toEqual({ chatId: 'g1' });
    // Marked, nothing removed yet: a deletion interrupted after its mark keeps its record.
    expect(steps).toEqual([[true, false]]);
    expect(store.retention.expireChat).toHaveBeenCalledTimes(1);
    expect(sent(fanOut)[0]).toMatchObject({ userIds: ['ann', 'bob'], frame: { type: 'chat.deleted' } });
    expect(store.rosters.clear).toHaveBeenCalledWith('g1');
  });

  it('acks a retry whose chat another run of the deletion finished meanwhile; a chat not marked when read is a conflict', async () => {
    const { deps, store, fanOut } = fakeDeps();
    // Marked when read (an interrupted delete), gone at the mark: its finish job got there first.
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob'], { deletedAt: NOW }));
    store.chats.markDeleted.mockResolvedValue(false);
    await expect(deleteChat(deps, ann, { chatId: 'g1' })).resolves.toEqual({ chatId: 'g1' });
    expect(store.chats.deleteMembersButOwner).not.toHaveBeenCalled();
    expect(sent(fanOut)).toEqual([]);
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    await expect(deleteChat(deps, ann, { chatId: 'g1' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('deletes from a consistent read and tells every member', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    await expect(deleteChat(deps, ann, { chatId: 'g1' })).resolves.toEqual({ chatId: 'g1' });
    expect(store.chats.getWithMembers).toHaveBeenCalledWith('g1', { consistent: true });
    expect(sent(fanOut)[0]).toMatchObject({
      userIds: ['ann', 'bob'],
      frame: { type: 'chat.deleted', chatId: 'g1' },
    });
  });
});

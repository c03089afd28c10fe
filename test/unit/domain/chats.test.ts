/** Creating and reading chats, and membership versions, over mocked repositories and fan-out. */
import { describe, expect, it } from 'vitest';
import type { ChatRecord, MemberRecord } from '../../../lambdas/data/store.ts';
import { createChat, getChat, invite, listChats, removeMember } from '../../../lambdas/domain/chats.ts';
import { LIMITS } from '../../../lambdas/domain/limits.ts';
import { caller, clock, fakeDeps, groupChat, sent, stored } from './fakes.ts';

const ann = caller('ann');
const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`);

describe('createChat', () => {
  it('creates a group owned by the caller, without the caller twice, and tells every member', async () => {
    const { deps, store, fanOut } = fakeDeps();
    const { chat, created } = await createChat(deps, ann, {
      kind: 'group',
      name: 'T',
      memberIds: ['bob', 'ann'],
    });
    expect(created).toBe(true);
    expect(chat.members.map((m) => [m.userId, m.role])).toEqual([
      ['ann', 'owner'],
      ['bob', 'member'],
    ]);
    const [record, members] = store.chats.create.mock.calls[0] ?? [];
    expect(record).toMatchObject({ kind: 'group', ownerId: 'ann', memberCount: 2, lastSeq: 0 });
    expect(members).toHaveLength(2);
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['ann', 'bob'],
        frame: { type: 'chat.created', chat },
        options: { chat: expect.objectContaining({ chatId: chat.chatId, kind: 'group' }) },
      },
    ]);
    // The members' open sockets were listed in the new group's roster before the event.
    expect(store.rosters.markJoined).toHaveBeenCalledWith(['ann', 'bob'], chat.chatId);
  });

  it('refuses a group over the member limit and writes nothing', async () => {
    const { deps, store } = fakeDeps();
    const input = { kind: 'group', name: 'T', memberIds: ids(LIMITS.groupMaxMembers) } as const;
    await expect(createChat(deps, ann, input)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(store.chats.create).not.toHaveBeenCalled();
  });

  it('refuses a direct chat with oneself', async () => {
    const { deps } = fakeDeps();
    await expect(createChat(deps, ann, { kind: 'direct', userId: 'ann' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('returns the existing direct chat of the pair without writing', async () => {
    const { deps, store } = fakeDeps();
    const existing = groupChat('bob', ['bob', 'ann'], { kind: 'direct', name: null, chatId: 'd1' });
    store.chats.getDirectChatId.mockResolvedValue('d1');
    store.chats.getWithMembers.mockResolvedValue(existing);
    const result = await createChat(deps, ann, { kind: 'direct', userId: 'bob' });
    expect(result).toMatchObject({ created: false, chat: { chatId: 'd1' } });
    expect(store.chats.create).not.toHaveBeenCalled();
  });

  it('replaces a direct chat marked for deletion (an interrupted deleteChat) with a new one', async () => {
    const { deps, store } = fakeDeps();
    const marked = groupChat('bob', ['bob', 'ann'], {
      kind: 'direct',
      name: null,
      chatId: 'd1',
      deletedAt: '2026-03-01T11:00:00.000Z',
    });
    store.chats.getDirectChatId.mockResolvedValue('d1');
    store.chats.getWithMembers.mockResolvedValue(marked);
    const result = await createChat(deps, ann, { kind: 'direct', userId: 'bob' });
    expect(result.created).toBe(true);
    expect(result.chat.chatId).not.toBe('d1');
    expect(store.chats.create).toHaveBeenCalledTimes(1);
    expect(store.chats.create.mock.calls[0]?.[2]).toBe('d1'); // the pair pointer it replaces
  });

  it('creates a direct chat with each member pointing at the other', async () => {
    const { deps, store } = fakeDeps();
    const result = await createChat(deps, ann, { kind: 'direct', userId: 'bob' });
    expect(result.created).toBe(true);
    const members = store.chats.create.mock.calls[0]?.[1];
    expect(members?.map((m: MemberRecord) => [m.userId, m.role, m.peerId])).toEqual([
      ['ann', 'owner', 'bob'],
      ['bob', 'member', 'ann'],
    ]);
  });

  it('after losing the pair to a concurrent create, returns the winner named by the refused write', async () => {
    const { deps, store } = fakeDeps();
    const winner = groupChat('bob', ['bob', 'ann'], { kind: 'direct', name: null, chatId: 'd9' });
    store.chats.create.mockResolvedValueOnce({ status: 'pair-taken', chatId: 'd9' });
    store.chats.getWithMembers.mockResolvedValue(winner);
    const result = await createChat(deps, ann, { kind: 'direct', userId: 'bob' });
    expect(result).toMatchObject({ created: false, chat: { chatId: 'd9' } });
    expect(store.chats.getDirectChatId).toHaveBeenCalledTimes(1);
    expect(store.chats.getWithMembers).toHaveBeenCalledWith('d9', { consistent: true });
  });

  it('mirrors the blocks on a new direct chat, reading both items again after a block changed meanwhile', async () => {
    const { deps, store } = fakeDeps();
    store.blocks.isBlocked.mockResolvedValueOnce(false).mockResolvedValueOnce(false);
    store.chats.create.mockResolvedValueOnce({ status: 'blocks-changed' });
    store.blocks.pairBlocks.mockResolvedValueOnce({ a: 'ann', b: 'bob', aBlocksB: true, bBlocksA: false });
    await expect(createChat(deps, ann, { kind: 'direct', userId: 'bob' })).resolves.toMatchObject({
      created: true,
    });
    // First attempt: bob's item about ann was read before (absent), so only ann's about bob.
    expect(store.blocks.isBlocked.mock.calls).toEqual([
      ['bob', 'ann'],
      ['ann', 'bob'],
    ]);
    expect(store.chats.create.mock.calls[0]?.[3]).toEqual({
      a: 'ann',
      b: 'bob',
      aBlocksB: false,
      bBlocksA: false,
    });
    expect(store.blocks.pairBlocks).toHaveBeenCalledTimes(1);
    const [chat, , , blocks] = store.chats.create.mock.calls[1] ?? [];
    expect(blocks).toEqual({ a: 'ann', b: 'bob', aBlocksB: true, bBlocksA: false });
    expect(chat).toMatchObject({ blocksMirrored: true, blockedSenders: new Set(['bob']) });
  });

  it('refuses a new direct chat when the peer blocked the caller meanwhile', async () => {
    const { deps, store } = fakeDeps();
    store.chats.create.mockResolvedValueOnce({ status: 'blocks-changed' });
    store.blocks.pairBlocks.mockResolvedValueOnce({ a: 'ann', b: 'bob', aBlocksB: false, bBlocksA: true });
    await expect(createChat(deps, ann, { kind: 'direct', userId: 'bob' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(store.chats.create).toHaveBeenCalledTimes(1);
  });

  it('answers CONFLICT when the pair keeps changing', async () => {
    const { deps, store } = fakeDeps();
    store.chats.create.mockResolvedValue({ status: 'pair-taken', chatId: undefined });
    await expect(createChat(deps, ann, { kind: 'direct', userId: 'bob' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(store.chats.create).toHaveBeenCalledTimes(LIMITS.membershipAttempts);
  });
});

describe('reading chats', () => {
  it('hides a chat from a non-member as NOT_FOUND', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('bob', ['bob', 'cy']));
    await expect(getChat(deps, ann, { chatId: 'g1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists chats by latest activity, with unread counts, skipping chats being deleted', async () => {
    const { deps, store } = fakeDeps();
    const chat = (chatId: string, lastActivityAt: string, lastSeq: number): ChatRecord => ({
      ...groupChat('ann', ['ann']).chat,
      chatId,
      lastActivityAt,
      lastSeq,
    });
    const mine = (chatId: string): MemberRecord =>
      ({ ...groupChat('ann', ['ann']).members[0], chatId, lastReadSeq: 1 }) as MemberRecord;
    const refs = ['old', 'new', 'gone'].map((chatId) => ({ chatId, userId: 'ann', kind: 'group' as const }));
    store.chats.listMemberships.mockResolvedValue(refs);
    store.chats.getMembershipsAndChats.mockResolvedValue({
      chats: new Map([
        ['old', chat('old', '2026-01-01T00:00:00.000Z', 1)],
        ['new', chat('new', '2026-02-01T00:00:00.000Z', 5)],
      ]),
      members: new Map([
        ['old', mine('old')],
        ['new', mine('new')],
        ['gone', mine('gone')],
      ]),
    });
    store.messages.getLastMessages.mockResolvedValue(
      new Map([
        ['old', stored(1, { chatId: 'old' })],
        ['new', stored(5, { chatId: 'new' })],
      ]),
    );
    const { chats } = await listChats(deps, ann);
    expect(chats.map((c) => [c.chatId, c.unreadCount])).toEqual([
      ['new', 4],
      ['old', 0],
    ]);
    expect(store.sequence.fillVoid).not.toHaveBeenCalled();
  });

  it('subtracts voids from unread counts, and fills an abandoned top once it is settled', async () => {
    const { deps, store } = fakeDeps();
    const base = groupChat('ann', ['ann']);
    const settled = { ...base.chat, lastSeq: 6, voidSeqs: new Set([2]), lastAllocAt: clock.ms - 60_000 };
    store.chats.listMemberships.mockResolvedValue([{ chatId: 'g1', userId: 'ann', kind: 'group' }]);
    store.chats.getMembershipsAndChats.mockResolvedValue({
      chats: new Map([['g1', settled]]),
      members: new Map([['g1', base.members[0] as MemberRecord]]),
    });
    // Seqs 5 and 6 were allocated but their writers are gone: the newest message is 4.
    store.messages.getLastMessages.mockResolvedValue(new Map([['g1', stored(4)]]));
    const { chats } = await listChats(deps, ann);
    expect(store.sequence.fillVoid.mock.calls.map((c) => c[1]).sort()).toEqual([5, 6]);
    expect(chats[0]).toMatchObject({ lastSeq: 6, unreadCount: 3, lastMessage: { seq: 4 } });

    // While the newest allocation may still be in flight, nothing is filled.
    store.sequence.fillVoid.mockClear();
    store.chats.getMembershipsAndChats.mockResolvedValue({
      chats: new Map([['g1', { ...settled, lastAllocAt: clock.ms - 10 }]]),
      members: new Map([['g1', base.members[0] as MemberRecord]]),
    });
    expect((await listChats(deps, ann)).chats[0]?.unreadCount).toBe(5);
    expect(store.sequence.fillVoid).not.toHaveBeenCalled();
  });
});

describe('membership changes under versions', () => {
  it('creates a chat at version 1, which is also its members’ version', async () => {
    const { deps, store } = fakeDeps();
    const { chat } = await createChat(deps, ann, { kind: 'direct', userId: 'bob' });
    expect(chat.lastVer).toBe(1);
    expect(store.chats.create.mock.calls[0]?.[0]).toMatchObject({ lastVer: 1, memberVer: 1, sentSeq: {} });
  });

  it('takes a version for an invitation: the write carries it, the event and the chat too', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    store.sequence.allocateVersion.mockResolvedValue({ status: 'allocated', ver: 14 });
    const { chat } = await invite(deps, ann, { chatId: 'g1', userIds: ['cy'] });
    expect(store.chats.addMembers.mock.calls[0]?.[2]).toBe(14);
    expect(store.chats.addMembers.mock.calls[0]?.[3]).toEqual({ abortSignal: expect.any(AbortSignal) });
    expect(chat.lastVer).toBe(14);
    expect(sent(fanOut)[1]?.frame).toEqual({ type: 'member.joined', chatId: 'g1', userIds: ['cy'], ver: 14 });
  });

  it('counts a membership write aborted at its deadline as applied only if the chat shows its version', async () => {
    const { deps, store, fanOut } = fakeDeps();
    const before = groupChat('ann', ['ann', 'bob'], { memberVer: 3 });
    const after = groupChat('ann', ['ann', 'bob', 'cy'], { memberVer: 14 });
    store.chats.getWithMembers
      .mockResolvedValueOnce(before) // the invite's read
      .mockResolvedValueOnce(after); // after the abort: it landed
    store.sequence.allocateVersion.mockResolvedValue({ status: 'allocated', ver: 14 });
    store.chats.addMembers.mockRejectedValue(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    await invite(deps, ann, { chatId: 'g1', userIds: ['cy'] });
    expect(store.chats.addMembers).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers).toHaveBeenCalledTimes(2);
  });

  it('sends no membership write after its deadline, and tries again under a fresh version', async () => {
    const { deps, store } = fakeDeps();
    store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    store.sequence.allocateVersion
      .mockImplementationOnce(async () => {
        clock.advance(60_000);
        return { status: 'allocated', ver: 14 };
      })
      .mockResolvedValueOnce({ status: 'allocated', ver: 15 });
    await removeMember(deps, ann, { chatId: 'g1', userId: 'bob' });
    expect(store.chats.removeMember).toHaveBeenCalledTimes(1);
    expect(store.chats.removeMember.mock.calls[0]?.[3]).toBe(15);
  });
});

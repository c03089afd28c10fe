/**
 * A return into a direct chat (createChat of the pair bringing back the one who left: joins.ts) that
 * stopped after its write, before telling anyone (the process died, or the first post or the check of
 * a write past its deadline threw): the client's retry of createChat finds both in the chat. Within
 * the retry window it tells again, as a repeated invite does (`inviteAgain`: events are at least
 * once); later, a createChat that opens the chat tells nobody.
 */
import { describe, expect, it } from 'vitest';
import { connectionTiming } from '../../../client/src/connection-options.ts';
import type { MemberRecord } from '../../../lambdas/data/store.ts';
import { createChat } from '../../../lambdas/domain/chats.ts';
import { returnRetryWindowMs } from '../../../lambdas/domain/joins.ts';
import { writeTiming } from '../../../lambdas/domain/timing.ts';
import { caller, clock, fakeDeps, groupChat, sent } from './fakes.ts';

const direct = { kind: 'direct', name: null, chatId: 'd1' } as const;
const types = (fanOut: ReturnType<typeof fakeDeps>['fanOut']) =>
  sent(fanOut).map((s) => [(s.frame as { type: string }).type, s.userIds]);

/** bob stayed in d1 after ann left; `by` asks for the pair's chat, which brings ann back, and stops. */
async function returnThatStopped(by: 'ann' | 'bob') {
  const fake = fakeDeps();
  const { deps, store, fanOut } = fake;
  const left = groupChat('bob', ['bob'], { ...direct, memberVer: 3, lastVer: 3 });
  store.chats.getDirectChatId.mockResolvedValue('d1');
  store.chats.getWithMembers.mockResolvedValueOnce(left);
  // The write lands; the invocation then stops before its events (here: the first post throws).
  fanOut.toUsers.mockRejectedValueOnce(new Error('Task timed out after 10.00 seconds'));
  const peer = by === 'ann' ? 'bob' : 'ann';
  await expect(createChat(deps, caller(by), { kind: 'direct', userId: peer })).rejects.toThrow(/timed out/);
  expect(store.chats.addMembers).toHaveBeenCalledTimes(1);
  const added = store.chats.addMembers.mock.calls[0]?.[1] as MemberRecord[];
  expect(added.map((m) => m.userId)).toEqual(['ann']);
  // What the chat holds from now on: ann back (joined at the request's time), at version 9.
  const back = {
    chat: { ...left.chat, memberCount: 2, memberVer: 9, lastVer: 9 },
    members: [...left.members, ...added],
  };
  store.chats.getWithMembers.mockResolvedValue(back);
  fanOut.toUsers.mockClear();
  return { ...fake, back };
}

describe('createChat direct repeated after a return that stopped past its write', () => {
  it('tells again when it is the retry: chat.joined to the one back, member.joined to the other', async () => {
    const { deps, store, fanOut } = await returnThatStopped('ann');
    clock.advance(16_000); // the client's request timed out (15 s) and it asked again
    const retry = await createChat(deps, caller('ann'), { kind: 'direct', userId: 'bob' });
    expect(retry).toMatchObject({ created: false, chat: { chatId: 'd1', memberCount: 2 } });
    expect(store.chats.addMembers).toHaveBeenCalledTimes(1); // nothing written again
    expect(sent(fanOut).map((s) => [s.userIds, s.frame])).toEqual([
      [['ann'], { type: 'chat.joined', chat: retry.chat }],
      [['bob'], { type: 'member.joined', chatId: 'd1', userIds: ['ann'], ver: 9 }],
    ]);
  });

  it('tells again too when the one who stayed brought the other back', async () => {
    const { deps, fanOut } = await returnThatStopped('bob');
    clock.advance(2_000); // answered INTERNAL at once, asked again
    await createChat(deps, caller('bob'), { kind: 'direct', userId: 'ann' });
    expect(types(fanOut)).toEqual([
      ['chat.joined', ['ann']],
      ['member.joined', ['bob']],
    ]);
  });

  it('has a window of the client’s request timeout plus the write deadline (20 s), not hours', () => {
    const client = connectionTiming({ url: 'wss://x', token: 't', WebSocket: class {} as never });
    expect(returnRetryWindowMs()).toBe(client.requestTimeoutMs + writeTiming().writeDeadlineMs);
    expect(returnRetryWindowMs()).toBe(20_000);
  });

  it('tells nobody once the retry window has passed (createChat opening the chat)', async () => {
    const { deps, fanOut } = await returnThatStopped('ann');
    clock.advance(30_000);
    const later = await createChat(deps, caller('ann'), { kind: 'direct', userId: 'bob' });
    expect(later).toMatchObject({ created: false, chat: { chatId: 'd1', memberCount: 2 } });
    await createChat(deps, caller('bob'), { kind: 'direct', userId: 'ann' });
    expect(sent(fanOut)).toEqual([]);
  });

  it('tells the other nothing within the window once either blocked them (the mirror on META, nothing read); the one back only their own devices', async () => {
    for (const by of ['ann', 'bob'] as const) {
      const { deps, store, fanOut, back } = await returnThatStopped('bob');
      const blocked = by === 'bob' ? 'ann' : 'bob';
      store.chats.getWithMembers.mockResolvedValue({
        ...back,
        chat: { ...back.chat, blocksMirrored: true, blockedSenders: new Set([blocked]) },
      });
      store.blocks.isBlocked.mockClear();
      clock.advance(2_000);
      const retry = await createChat(deps, caller(by), { kind: 'direct', userId: blocked });
      expect(retry, `${by} blocked`).toMatchObject({
        created: false,
        chat: { chatId: 'd1', memberCount: 2 },
      });
      // ann is the one back: her retry still tells her own devices of her return, bob nothing.
      expect(
        sent(fanOut).map((s) => [s.userIds, s.frame.type]),
        `${by} blocked`,
      ).toEqual(by === 'ann' ? [[['ann'], 'chat.joined']] : []);
      // Only createChat's own lookup of the peer's item about the caller.
      expect(store.blocks.isBlocked.mock.calls).toEqual([[blocked, by]]);
    }
  });

  it('tells nobody for a pair neither of whom ever left (a repeat of the creation)', async () => {
    const { deps, store, fanOut } = fakeDeps();
    const created = new Date(clock.ms - 1000).toISOString();
    const pair = groupChat('bob', ['bob', 'ann'], { ...direct, createdAt: created });
    for (const m of pair.members) Object.assign(m, { joinedAt: created });
    store.chats.getDirectChatId.mockResolvedValue('d1');
    store.chats.getWithMembers.mockResolvedValue(pair);
    expect(await createChat(deps, caller('ann'), { kind: 'direct', userId: 'bob' })).toMatchObject({
      created: false,
    });
    expect(sent(fanOut)).toEqual([]);
  });
});

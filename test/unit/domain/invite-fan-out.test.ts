/**
 * An invite tells the people who joined (`chat.joined`) and the other members (`member.joined`) over
 * one read of the group's roster, one fan-out after the other: the roster of a big group is its
 * costliest read (51 units for 2,000 sockets), and two fan-outs side by side read it twice and posted
 * twice FANOUT_CONCURRENCY at once. The real fan-out over the domain's fake store and a fake
 * Management API (lambdas/fanout: AWS itself cannot run here).
 */
import { describe, expect, it } from 'vitest';
import type { ChatStore } from '../../../lambdas/data/store.ts';
import { invite } from '../../../lambdas/domain/chats.ts';
import type { Deps } from '../../../lambdas/domain/deps.ts';
import { StoreDirectory } from '../../../lambdas/fanout/directory.ts';
import { FanOut } from '../../../lambdas/fanout/fanout.ts';
import { fakeApi } from '../fanout-fakes.ts';
import { caller, fakeDeps, groupChat } from './fakes.ts';

const CONCURRENCY = 4;
const members = ['ann', ...Array.from({ length: 20 }, (_, i) => `u${i}`)];
/** Two open sockets per member, and two of cy, whom the invite lists in the roster. */
const roster = [...members, 'cy'].flatMap((userId) =>
  [1, 2].map((k) => ({ userId, connectionId: `${userId}-k${k}` })),
);

function setUp(options: { rosterFails?: number } = {}) {
  const { deps, store } = fakeDeps();
  store.chats.getWithMembers.mockResolvedValue(groupChat('ann', members));
  let failures = options.rosterFails ?? 0;
  store.rosters.list.mockImplementation(async () => {
    if (failures-- > 0) throw Object.assign(new Error('unavailable'), { name: 'InternalServerError' });
    return roster;
  });
  const api = fakeApi();
  const directory = new StoreDirectory(store as unknown as ChatStore, CONCURRENCY);
  const fanOut = new FanOut(() => api.client, directory, { concurrency: CONCURRENCY });
  const run = () => invite({ ...deps, fanOut } as Deps, caller('ann'), { chatId: 'g1', userIds: ['cy'] });
  /** Each socket's event types, in order. */
  const received = () => {
    const out = new Map<string, string[]>();
    for (const { connectionId, data } of api.delivered) {
      out.set(connectionId, [...(out.get(connectionId) ?? []), (JSON.parse(data) as { type: string }).type]);
    }
    return out;
  };
  return { store, api, run, received };
}

describe('an invite into a group', () => {
  it('reads the roster once for both events and keeps at most FANOUT_CONCURRENCY posts in flight', async () => {
    const { store, api, run, received } = setUp();
    await run();
    expect(store.rosters.list).toHaveBeenCalledTimes(1);
    expect(api.maxInFlight()).toBeLessThanOrEqual(CONCURRENCY);
    const got = received();
    expect(got.size).toBe(roster.length);
    for (const { userId, connectionId } of roster) {
      expect(got.get(connectionId), connectionId).toEqual([
        userId === 'cy' ? 'chat.joined' : 'member.joined',
      ]);
    }
  });

  it('lets each fan-out read the roster itself when the shared read failed', async () => {
    const { store, run, received } = setUp({ rosterFails: 1 });
    await run();
    expect(store.rosters.list).toHaveBeenCalledTimes(3);
    expect(received().size).toBe(roster.length);
  });
});

/**
 * Ephemeral events (`typing`, lambdas/fanout/ephemeral.ts): best-effort, never queued nor retried,
 * and not sent at all to a group with more sockets online than the in-request fan-out size.
 */
import { describe, expect, it } from 'vitest';
import { EPHEMERAL_MAX_SOCKETS } from '../../lambdas/fanout/ephemeral.ts';
import { FanOut, type Target } from '../../lambdas/fanout/fanout.ts';
import { fakeApi, fakeDirectory, fakeQueue, serverError } from './fanout-fakes.ts';

const sockets = (n: number): Target[] =>
  Array.from({ length: n }, (_, i) => ({ userId: `u${i}`, connectionId: `u${i}-c` }));
const users = (targets: readonly Target[]) => targets.map((t) => t.userId);
const group = { chatId: 'g1', kind: 'group' } as const;
const typing = { type: 'typing', chatId: 'g1', userId: 'ann', isTyping: true };

describe('FanOut.ephemeral', () => {
  it('sends nothing, and queues nothing, to a group with more sockets than the threshold', async () => {
    const big = sockets(EPHEMERAL_MAX_SOCKETS + 1);
    const api = fakeApi();
    const { dir } = fakeDirectory({}, { g1: big });
    const { queue, sends } = fakeQueue();
    const fanOut = new FanOut(() => api.client, dir, { queue });
    const report = await fanOut.ephemeral(users(big), typing, { chat: group });
    expect(report).toMatchObject({ skipped: true, delivered: 0 });
    expect(sends).toEqual([]);
    expect(api.calls).toEqual([]);
    // Any other event to the same group goes through the queue.
    await fanOut.toUsers(users(big), { type: 'x' }, { chat: group });
    expect(sends).not.toEqual([]);
  });

  it('posts in the request up to the threshold, never through the queue, even over the queue threshold', async () => {
    const some = sockets(EPHEMERAL_MAX_SOCKETS);
    const api = fakeApi();
    const { dir } = fakeDirectory({}, { g1: some });
    const { queue, sends } = fakeQueue();
    const fanOut = new FanOut(() => api.client, dir, { queue, queueThreshold: 1 });
    const report = await fanOut.ephemeral(users(some).slice(1), typing, { chat: group });
    expect(report).toMatchObject({ skipped: false, delivered: EPHEMERAL_MAX_SOCKETS - 1 });
    expect(sends).toEqual([]);
    expect(api.delivered).toHaveLength(EPHEMERAL_MAX_SOCKETS - 1); // not u0's: not in the audience
  });

  it('tries each post once: a failure is neither retried nor queued', async () => {
    const api = fakeApi({ 'b-1': [serverError()] });
    const { dir } = fakeDirectory({ bob: ['b-1', 'b-2'] });
    const { queue, sends } = fakeQueue();
    const fanOut = new FanOut(() => api.client, dir, { queue, baseDelayMs: 1 });
    const report = await fanOut.ephemeral(['bob'], typing);
    expect(report).toMatchObject({ skipped: false, delivered: 1, failed: 1, retried: 0 });
    expect(api.calls.sort()).toEqual(['b-1', 'b-2']);
    expect(sends).toEqual([]);
  });

  it('a roster that cannot be read: sent to nobody, nothing queued, no throw', async () => {
    const api = fakeApi();
    const { dir } = fakeDirectory();
    dir.someSocketsOfGroup = async () => Promise.reject(serverError());
    const { queue, sends } = fakeQueue();
    const fanOut = new FanOut(() => api.client, dir, { queue });
    await expect(fanOut.ephemeral(['bob'], typing, { chat: group })).resolves.toMatchObject({
      skipped: true,
    });
    expect(sends).toEqual([]);
  });

  it('leaves out the users `without` names, asked only about those with sockets found, and only then', async () => {
    const api = fakeApi();
    const { dir } = fakeDirectory({}, { g1: [...sockets(3), { userId: 'zed', connectionId: 'z-c' }] });
    const fanOut = new FanOut(() => api.client, dir);
    const asked: string[][] = [];
    const without = async (ids: readonly string[]) => {
      asked.push([...ids].sort());
      return new Set(['u1']);
    };
    await fanOut.ephemeral(['u0', 'u1', 'u2', 'nobody'], typing, { chat: group, without });
    expect(asked).toEqual([['u0', 'u1', 'u2']]); // not zed (not in the audience), nor one offline
    expect(api.delivered.map((d) => d.connectionId).sort()).toEqual(['u0-c', 'u2-c']);
    // Nobody else online: nothing asked.
    await fanOut.ephemeral(['nobody'], typing, { chat: group, without });
    expect(asked).toHaveLength(1);
  });

  it('a `without` that fails: sent to nobody (best-effort), no throw', async () => {
    const api = fakeApi();
    const { dir } = fakeDirectory({}, { g1: sockets(2) });
    const fanOut = new FanOut(() => api.client, dir);
    const without = async () => Promise.reject(serverError());
    await expect(
      fanOut.ephemeral(users(sockets(2)), typing, { chat: group, without }),
    ).resolves.toMatchObject({
      skipped: true,
    });
    expect(api.calls).toEqual([]);
  });
});

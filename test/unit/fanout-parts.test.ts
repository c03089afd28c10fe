/**
 * A fan-out with a frame per part of its users (`FanOut.toEach`: chat.created of a group of more
 * than 200 members): one post per socket, each with its part's frame, posted here or queued as one
 * fan-out (the threshold applies to all the parts' sockets together, as for one frame), and the
 * users whose sockets could not be looked up handed on with their own part's frame.
 */
import { describe, expect, it } from 'vitest';
import { FanOut, type Target } from '../../lambdas/fanout/fanout.ts';
import { fakeDirectory as directory, fakeApi, fakeQueue } from './fanout-fakes.ts';

const sockets = (n: number, prefix: string): Target[] =>
  Array.from({ length: n }, (_, i) => ({ userId: `${prefix}${i}`, connectionId: `${prefix}${i}-c` }));
const group = { chatId: 'g1', kind: 'group' } as const;
const users = (targets: readonly Target[]) => targets.map((t) => t.userId);

describe('FanOut.toEach', () => {
  const a = sockets(15, 'a');
  const b = sockets(15, 'b');
  const parts = [
    { userIds: users(a), frame: { type: 'x', part: 'a' } },
    { userIds: users(b), frame: { type: 'x', part: 'b' } },
  ];

  it("posts each socket once, its part's frame, up to the threshold over all parts", async () => {
    const api = fakeApi();
    const { queue, jobs } = fakeQueue();
    const { dir } = directory({}, { g1: [...a, ...b] });
    const fanOut = new FanOut(() => api.client, dir, { queue, queueThreshold: 30 });
    expect(await fanOut.toEach(parts, { chat: group })).toMatchObject({ delivered: 30, queued: 0 });
    expect(jobs).toEqual([]);
    expect(api.calls).toHaveLength(30);
    for (const post of api.delivered) {
      expect(JSON.parse(post.data).part).toBe(post.connectionId.slice(0, 1));
    }
  });

  it('queues every part when their sockets together pass the threshold (each below it)', async () => {
    const api = fakeApi();
    const { queue, jobs } = fakeQueue();
    const { dir } = directory({}, { g1: [...a, ...b] });
    const fanOut = new FanOut(() => api.client, dir, { queue, queueThreshold: 20, jobSize: 10 });
    expect(await fanOut.toEach(parts, { chat: group })).toMatchObject({ delivered: 0, queued: 30 });
    expect(api.calls).toEqual([]);
    const queued = jobs.flatMap((j) => j.targets.map(([, c]) => ({ c, part: JSON.parse(j.frame).part })));
    expect(queued).toHaveLength(30);
    for (const { c, part } of queued) expect(part).toBe(c.slice(0, 1));
  });

  it("hands the users not looked up on with their own part's frame", async () => {
    const api = fakeApi();
    const { queue, jobs } = fakeQueue();
    const { dir } = directory({ a0: ['a0-c'], b0: ['b0-c'], b1: ['b1-c'] }, {}, new Set(['b1']));
    const fanOut = new FanOut(() => api.client, dir, { queue });
    const direct = [
      { userIds: ['a0'], frame: { type: 'x', part: 'a' } },
      { userIds: ['b0', 'b1'], frame: { type: 'x', part: 'b' } },
    ];
    expect(await fanOut.toEach(direct)).toMatchObject({ delivered: 2, queued: 1 });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.users).toEqual(['b1']);
    expect(JSON.parse(jobs[0]?.frame ?? '')).toEqual({ type: 'x', part: 'b' });
  });
});

/**
 * A group event whose roster could not be read goes to the worker as one lookup job of its users
 * (lambdas/fanout/lookup-later.ts). The job names the group, so that a socket the worker finds gone
 * (410) leaves the group's roster too, as in a job of the roster's own sockets: before, the job had
 * no chatId and the gone socket stayed listed (and was posted to by every later event) until its TTL.
 * DynamoDB Local holds the roster and connections; only the Management API is faked.
 */
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { connectionExpiresAt } from '../../lambdas/data/items.ts';
import { StoreDirectory } from '../../lambdas/fanout/directory.ts';
import { FanOut } from '../../lambdas/fanout/fanout.ts';
import type { FanOutJob } from '../../lambdas/fanout/jobs.ts';
import { processFanOutJobs } from '../../lambdas/fanout/worker.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';
import { fakeApi, fakeQueue, httpError } from '../unit/fanout-fakes.ts';

const stack = useTestStack();
const table = useTableStore(stack);

describe('a lookup job of a group whose roster could not be read', () => {
  it('names the group, and the worker drops a gone socket from its roster', async () => {
    const chatId = uniqueId('g');
    const [ann, bob] = [uniqueId('ann'), uniqueId('bob')];
    // Sockets that connected an hour ago (settled: a 410 means gone), listed in the group's roster.
    const connectedAt = new Date(Date.now() - 3_600_000).toISOString();
    const expiresAt = connectionExpiresAt(connectedAt);
    const sockets = [
      { userId: ann, connectionId: `${ann}-1` },
      { userId: bob, connectionId: `${bob}-1` },
    ];
    for (const s of sockets) await table.store.connections.put({ ...s, connectedAt });
    await table.store.rosters.add(sockets.map((s) => ({ ...s, chatId, expiresAt })));
    // The request's roster read fails (throttled): its users go to the queue, naming the group.
    const unreadable = new StoreDirectory(table.store);
    unreadable.socketsOfGroup = async () =>
      Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const { queue, jobs } = fakeQueue();
    const api = fakeApi({ [`${bob}-1`]: [httpError(410, 'GoneException')] });
    const request = new FanOut(() => api.client, unreadable, { queue });
    const report = await request.toUsers([ann, bob], { type: 'x' }, { chat: { chatId, kind: 'group' } });
    expect(report).toMatchObject({ queued: 2 });
    // The worker looks them up, posts; bob's socket answers 410 and leaves the roster.
    const worker = new FanOut(() => api.client, new StoreDirectory(table.store), { queue });
    const event = {
      Records: [{ messageId: 'm0', body: JSON.stringify(jobs[0] as FanOutJob) }],
    } as unknown as SQSEvent;
    await expect(processFanOutJobs(event, { fanOut: worker, queue })).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(api.delivered.map((d) => d.connectionId)).toEqual([`${ann}-1`]);
    expect(await table.store.rosters.list(chatId)).toEqual([{ userId: ann, connectionId: `${ann}-1` }]);
    expect(await table.store.connections.listIds(bob, { consistent: true })).toEqual([]);
    expect(jobs).toEqual([expect.objectContaining({ chatId, users: [ann, bob] })]);
  });
});

/**
 * A group created in steps under a `clientChatId` (lambdas/data/group-keys.ts: the key claimed, the
 * memberships batched, then `META` with the key in one transaction) and the `finishCreation` jobs
 * that delete the memberships of a creation stopped before `META` (lambdas/domain/safety-net-jobs.ts):
 * - a retry that takes the key over and completes the group while the first creation's job runs
 *   keeps every membership (the job, finding the key taken over, leaves it alone);
 * - a job that finds its claim still pending abandons the key: a later retry creates the group anew,
 *   and a retry that stops too is cleaned by its own job, as is a takeover that stops;
 * - a keyed group of 99 members (too many for one transaction with its key) has its job.
 * Each request's stop is a META transaction failed before it is sent (the handlers' DynamoDB client);
 * the jobs are held back as they are queued and handed to the worker when the test says (deployed,
 * they come 60 s after the creation, far past its claim's deadline); a retry finds the first claim
 * stale from a clock 60 s ahead.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deps, setDeps } from '../../lambdas/domain/deps.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { type Chat, connectUser } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { useInterceptedStack } from '../support/handler-client.ts';
import { uniqueId } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

/** The next META transaction naming this fails before it is sent. */
let failMeta: string | undefined;
/** Runs before the next META transaction (then cleared). */
let beforeMeta: (() => Promise<void>) | undefined;

const stack = useInterceptedStack(async (command, input) => {
  if (command !== 'TransactWriteItemsCommand' || !input.includes('"META"')) return;
  if (failMeta && input.includes(failMeta)) {
    failMeta = undefined;
    throw new Error('injected: the creation stops before META');
  }
  const hook = beforeMeta;
  beforeMeta = undefined;
  await hook?.();
});
const table = useTableStore(stack);
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;

/** The finishCreation jobs queued so far, held back in order until `runJobs`. */
const jobs: string[] = [];
let sendNow: (body: string) => void = () => undefined;
beforeAll(() => {
  const q = queue();
  const send = q.send.bind(q);
  sendNow = (body) => void send(body, 0);
  q.send = (body, delaySeconds) => {
    if (!body.includes('"finishCreation"')) return send(body, delaySeconds);
    jobs.push(body);
    return { messageId: 'held', md5: createHash('md5').update(body).digest('hex') };
  };
});
afterEach(() => setDeps(undefined));

/** Hands the jobs to the worker, and waits until it is done with them. */
async function runJobs(bodies: readonly string[]): Promise<void> {
  for (const body of bodies) sendNow(body);
  await queue().idle();
  expect(queue().deadLetters).toEqual([]);
}

/** The handlers' clock (deps.now) from now on `ms` ahead: a claim made before is stale. */
const clockAhead = (ms: number) => setDeps({ ...deps(), now: () => new Date(Date.now() + ms) });

/** The ack of a request that may take long (a group of 111 written in steps). */
async function acked(reply: Promise<Frame>): Promise<Frame> {
  const frame = await reply;
  expect(frame).toMatchObject({ type: 'ack' });
  return frame;
}

const membershipsOf = async (chatId: string) =>
  (await stack.items(`CHAT#${chatId}`)).filter((i) => String(i.sk).startsWith('MEMBER#'));
const metaOf = async (chatId: string) => (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === 'META');

async function stoppedCreation(others: readonly string[]) {
  const owner = await connectUser(stack);
  const name = uniqueId('Keyed');
  const clientChatId = uniqueId('k');
  const fields = { kind: 'group', name, memberIds: others, clientChatId };
  failMeta = name;
  const first = await owner.request('createChat', fields, 60_000);
  expect(failMeta).toBeUndefined(); // the fault was injected
  expect(first).toMatchObject({ type: 'error', code: 'INTERNAL' });
  const key = await table.store.groupKeys.get({ userId: owner.userId, clientChatId });
  const chatId = key?.chatId ?? '';
  expect(await membershipsOf(chatId)).toHaveLength(others.length + 1);
  return { owner, name, fields, chatId };
}

const many = (n: number) => Array.from({ length: n }, (_, i) => uniqueId(`m${i}`));

describe('a keyed group created in steps, stopped before META', { timeout: 120_000 }, () => {
  it('completed by a retry while the first creation’s job runs, keeps its memberships', async () => {
    const others = many(110);
    const { owner, fields, chatId } = await stoppedCreation(others);
    const [firstJob] = jobs.splice(0);
    expect(firstJob).toBeDefined();
    clockAhead(60_000);
    // The retry takes the key over, writes the memberships; the first job runs before its META.
    beforeMeta = () => runJobs([firstJob as string]);
    const retry = await acked(owner.request('createChat', fields, 60_000));
    expect(beforeMeta).toBeUndefined();
    expect(retry.created).toBe(true);
    expect((retry.chat as Chat).chatId).toBe(chatId);
    expect(await membershipsOf(chatId)).toHaveLength(111);
    expect((await metaOf(chatId))?.memberCount).toBe(111);
    expect(((await owner.ok('getChat', { chatId })).chat as Chat).memberCount).toBe(111);
    // The takeover's own job comes later, and finds the group made.
    await runJobs(jobs.splice(0));
    expect(await membershipsOf(chatId)).toHaveLength(111);
  });

  it('abandoned by its job: a retry creates it anew, and one that stops too has its own job', async () => {
    const others = many(110);
    const { owner, name, fields, chatId } = await stoppedCreation(others);
    await runJobs(jobs.splice(0)); // the first creation's job, before any retry
    expect(await membershipsOf(chatId)).toEqual([]);
    expect(await table.store.chats.countMemberships(others[0] as string)).toBe(0);
    clockAhead(60_000);
    failMeta = name;
    expect(await owner.request('createChat', fields, 60_000)).toMatchObject({ code: 'INTERNAL' });
    await runJobs(jobs.splice(0));
    expect(await table.store.chats.countMemberships(others[0] as string)).toBe(0);
    expect(await table.store.chats.countMemberships(owner.userId)).toBe(0);
    const retry = await acked(owner.request('createChat', fields, 60_000));
    expect(retry.created).toBe(true);
    const made = retry.chat as Chat;
    expect(made.chatId).not.toBe(chatId);
    expect(await membershipsOf(made.chatId)).toHaveLength(111);
    await runJobs(jobs.splice(0));
    expect(await membershipsOf(made.chatId)).toHaveLength(111);
    expect((await owner.ok('createChat', fields)).created).toBe(false);
  });

  it('completed by a takeover that stops too: the takeover’s own job deletes the memberships', async () => {
    const others = many(110);
    const { owner, name, fields, chatId } = await stoppedCreation(others);
    const firstJobs = jobs.splice(0);
    clockAhead(60_000);
    failMeta = name;
    expect(await owner.request('createChat', fields, 60_000)).toMatchObject({ code: 'INTERNAL' });
    expect(await membershipsOf(chatId)).toHaveLength(111);
    // The takeover's job alone (the first job, finding the key taken over, would leave it).
    await runJobs(jobs.splice(0));
    expect(await membershipsOf(chatId)).toEqual([]);
    await runJobs(firstJobs);
    expect(await table.store.chats.countMemberships(owner.userId)).toBe(0);
  });
});

describe('a keyed group of 99 members stopped before META', { timeout: 120_000 }, () => {
  it('has its memberships deleted by its job', async () => {
    const others = many(98);
    const { chatId } = await stoppedCreation(others);
    await runJobs(jobs.splice(0));
    expect(await membershipsOf(chatId)).toEqual([]);
    expect(await table.store.chats.countMemberships(others[0] as string)).toBe(0);
  });
});

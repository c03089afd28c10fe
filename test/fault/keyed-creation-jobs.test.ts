/**
 * A group created in steps under a `clientChatId` (lambdas/data/group-keys.ts: the key claimed, the
 * memberships batched, then `META` with the key in one transaction) and the `finishCreation` job that
 * deletes the memberships of a creation stopped before `META` (lambdas/domain/safety-net-jobs.ts): a
 * keyed group of 99 members (too many for one transaction with its key) has its job. The stop is a
 * META transaction failed before it is sent (the handlers' DynamoDB client); the jobs are held back
 * as they are queued and handed to the worker when the test says (deployed, they come 60 s later).
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { connectUser } from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';
import { uniqueId } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

/** The next META transaction naming this fails before it is sent. */
let failMeta: string | undefined;

const stack = useInterceptedStack(async (command, input) => {
  if (command !== 'TransactWriteItemsCommand' || !input.includes('"META"')) return;
  if (failMeta && input.includes(failMeta)) {
    failMeta = undefined;
    throw new Error('injected: the creation stops before META');
  }
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

/** Hands the jobs to the worker, and waits until it is done with them. */
async function runJobs(bodies: readonly string[]): Promise<void> {
  for (const body of bodies) sendNow(body);
  await queue().idle();
  expect(queue().deadLetters).toEqual([]);
}

const membershipsOf = async (chatId: string) =>
  (await stack.items(`CHAT#${chatId}`)).filter((i) => String(i.sk).startsWith('MEMBER#'));

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

describe('a keyed group of 99 members stopped before META', { timeout: 120_000 }, () => {
  it('has its memberships deleted by its job', async () => {
    const others = many(98);
    const { chatId } = await stoppedCreation(others);
    await runJobs(jobs.splice(0));
    expect(await membershipsOf(chatId)).toEqual([]);
    expect(await table.store.chats.countMemberships(others[0] as string)).toBe(0);
  });
});

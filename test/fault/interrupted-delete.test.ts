/**
 * A `deleteChat` that stops after its mark (`deletedAt` on `META`) is finished without its owner:
 * the finish job it queued before the mark (lambdas/domain/chat-deletion.ts), delayed on the retention
 * queue, finds the chat still marked and runs the deletion's remaining steps in the retention worker.
 * The request is stopped by a failing write of the handlers' own DynamoDB client (after the mark);
 * the job's delay is 1 s here (60 s as deployed), and `stack.idle({ timers: true })` waits for it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lightDynamo } from '../../lambdas/data/light-dynamo.ts';
import { setStore } from '../../lambdas/data/store.ts';
import { setDeps } from '../../lambdas/domain/deps.ts';
import { setClients } from '../../lambdas/shared/clients.ts';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import {
  closeAll,
  connectUser,
  makeDirect,
  makeGroup,
  sendText,
  settle,
  storedConnectionIds,
  type UserSocket,
} from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';
import { useStaleCleanup } from '../support/stale.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack({ env: { [RETENTION_FINISH_DELAY_ENV]: '1' } });
const table = useTableStore(stack);
const stale = useStaleCleanup(stack);
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;

/**
 * The next command of this name whose input mentions every marker fails (once): before it is sent,
 * or with `landed`, after it took effect (its answer lost, as in a timeout).
 */
const failures: { command: string; markers: readonly string[]; landed?: boolean }[] = [];
/**
 * While set, the names of the handlers' commands whose input mentions this chat id (an UpdateItem
 * that sets a TTL as `ttl <sk>`).
 */
let watch: { chatId: string; seen: string[] } | undefined;
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  doc = lightDynamo(
    DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, maxAttempts: 3 }), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
  );
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = JSON.stringify(args.input);
      if (watch && input.includes(watch.chatId)) {
        const { Key, UpdateExpression } = args.input as { Key?: { sk?: string }; UpdateExpression?: string };
        const ttl = UpdateExpression?.includes('#ttl') ? ` ${Key?.sk}` : '';
        watch.seen.push(ttl ? `ttl${ttl}` : String(context.commandName));
      }
      const i = failures.findIndex(
        (f) => context.commandName === f.command && f.markers.every((m) => input.includes(m)),
      );
      const failure = i >= 0 ? failures.splice(i, 1)[0] : undefined;
      if (!failure) return next(args);
      if (failure.landed) await next(args);
      throw new Error('injected: the request stops here');
    },
    { step: 'initialize', name: 'failures' },
  );
  setClients({ documentClient: doc });
  setStore(undefined);
  setDeps(undefined);
});
afterAll(() => {
  setClients({ documentClient: undefined });
  setStore(undefined);
  setDeps(undefined);
  doc?.destroy();
});

const finishJob = (chatId: string) => JSON.stringify({ v: 1, kind: 'finishDeletion', chatId });
const headOf = async (chatId: string) =>
  (await stack.items(`CHAT#${chatId}`))
    .filter((i) => i.sk === 'META' || String(i.sk).startsWith('MEMBER#'))
    .map((i) => String(i.sk))
    .sort();
const memberships = (userId: string) => table.store.chats.countMemberships(userId);
const told = (u: UserSocket, chatId: string) =>
  u.events('chat.deleted').filter((f) => f.chatId === chatId).length;

/**
 * Deletes a group of owner, ann and bob with `messages` messages whose deletion stops at `failure`, and
 * lets its finish job come: the members told, the commands that named the chat, the retention jobs.
 */
async function interruptedGroup(messages: number, failure: Omit<(typeof failures)[number], 'markers'>) {
  const owner = await connectUser(stack);
  const ann = await connectUser(stack);
  const bob = await connectUser(stack);
  const { chatId } = await makeGroup(owner, [ann.userId, bob.userId], 'Interrupted at its last step');
  for (let i = 0; i < messages; i++) await sendText(i % 2 ? ann : owner, chatId, `message ${i}`);
  await stack.idle();
  const partition = (await stack.items(`CHAT#${chatId}`)).length;
  // The last transaction: the owner's membership under META's owner condition.
  failures.push({ ...failure, markers: [`CHAT#${chatId}`, 'ownerId = :owner'] });
  const sent = queue().stats.sent;
  watch = { chatId, seen: [] };
  let seen: string[];
  try {
    expect(await owner.request('deleteChat', { chatId })).toMatchObject({ type: 'error', code: 'INTERNAL' });
    await stack.idle({ timers: true });
  } finally {
    seen = watch?.seen ?? [];
    watch = undefined;
  }
  await settle(stack, owner, ann, bob);
  return { owner, ann, bob, chatId, partition, seen, jobs: queue().stats.sent - sent };
}

describe('a deleteChat interrupted after its mark', { timeout: 60_000 }, () => {
  it('is finished by its finish job: memberships and META gone, caps freed, members told, partition expired; a job delivered again does nothing', async () => {
    const owner = await connectUser(stack);
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(owner, [ann.userId, bob.userId], 'Interrupted');
    const { chatId } = chat;
    for (let i = 0; i < 5; i++) await sendText(i % 2 ? ann : owner, chatId, `message ${i}`);
    // A socket of bob's vanished without $disconnect: a post of chat.deleted finds it gone.
    const ghost = await stale.ghostOf(bob.userId);
    await stack.idle();
    const caps = await Promise.all([owner, ann, bob].map((u) => memberships(u.userId)));

    // The members' memberships are deleted after the mark (and after the members are told): that
    // write fails, the request with it.
    failures.push({ command: 'BatchWriteItemCommand', markers: [`CHAT#${chatId}`, 'MEMBER#'] });
    const before = Math.floor(Date.now() / 1000);
    const sent = queue().stats.sent;
    const reply = await owner.request('deleteChat', { chatId });
    expect(reply).toMatchObject({ type: 'error', code: 'INTERNAL' });
    await stack.idle();
    // What an interrupted delete leaves: the marked META and every membership, counted in the caps.
    const meta = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === 'META');
    expect(meta?.deletedAt).toEqual(expect.any(String));
    expect((await headOf(chatId)).length).toBe(4);
    expect(await Promise.all([owner, ann, bob].map((u) => memberships(u.userId)))).toEqual(caps);

    // Its finish job, queued before the mark, comes after its delay.
    expect(queue().stats.sent).toBe(sent + 1);
    await stack.idle({ timers: true });
    const after = Math.ceil(Date.now() / 1000);
    expect(await headOf(chatId)).toEqual([]);
    expect(await Promise.all([owner, ann, bob].map((u) => memberships(u.userId)))).toEqual(
      caps.map((n) => n - 1),
    );
    for (const u of [owner, ann, bob]) await u.event('chat.deleted', (f) => f.chatId === chatId);
    expect(await storedConnectionIds(stack, bob.userId)).not.toContain(ghost);
    const left = await stack.items(`CHAT#${chatId}`);
    expect(left.length).toBeGreaterThanOrEqual(5);
    const unexpiring = left.filter((i) => typeof i.ttl !== 'number' || i.ttl < before || i.ttl > after);
    expect(unexpiring.map((i) => i.sk)).toEqual([]);
    expect(queue().deadLetters).toEqual([]);

    // SQS delivers the job again: it reads META (gone) and does nothing else. (The members were told
    // by the request, before its failure, and again by the finish job: events are at least once.)
    await settle(stack, owner, ann, bob);
    const toldBefore = [owner, ann, bob].map((u) => told(u, chatId));
    const { sent: sentBefore, failedRecords } = queue().stats;
    watch = { chatId, seen: [] };
    try {
      queue().send(finishJob(chatId));
      await stack.idle({ timers: true });
      expect(watch.seen).toEqual(['GetItemCommand']);
    } finally {
      watch = undefined;
    }
    await settle(stack, owner, ann, bob);
    expect([owner, ann, bob].map((u) => told(u, chatId))).toEqual(toldBefore);
    expect(await stack.items(`CHAT#${chatId}`)).toEqual(left);
    expect(queue().stats.sent).toBe(sentBefore + 1);
    expect(queue().stats.failedRecords).toBe(failedRecords);
    await closeAll(stack, owner, ann, bob);
  });

  it('of a group, stopped at its last transaction: the members whose memberships went were told first; the partition is expired once, after META went', async () => {
    const { owner, ann, bob, chatId, partition, seen, jobs } = await interruptedGroup(20, {
      command: 'TransactWriteItemsCommand',
    });
    expect(await headOf(chatId)).toEqual([]);
    expect([owner, ann, bob].map((u) => told(u, chatId) > 0)).toEqual([true, true, true]);
    // The finish job and one retention job, queued by the run that deleted the owner's membership.
    expect(jobs).toBe(2);
    const expired = seen.filter((c) => c.startsWith('ttl '));
    expect(expired.length).toBe(new Set(expired).size);
    expect(expired.filter((c) => c.startsWith('ttl MEMBER#'))).toEqual([]);
    const left = await stack.items(`CHAT#${chatId}`);
    expect(left.length).toBe(partition - 4);
    expect(left.filter((i) => typeof i.ttl !== 'number').map((i) => i.sk)).toEqual([]);
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, ann, bob);
  });

  it('of a group whose last transaction landed but whose answer was lost: everyone told, the retention job queued once, by the finish job', async () => {
    const { owner, ann, bob, chatId, partition, seen, jobs } = await interruptedGroup(3, {
      command: 'TransactWriteItemsCommand',
      landed: true,
    });
    expect(await headOf(chatId)).toEqual([]);
    expect([owner, ann, bob].map((u) => told(u, chatId) > 0)).toEqual([true, true, true]);
    expect(jobs).toBe(2);
    expect(seen.filter((c) => c.startsWith('ttl ')).length).toBeGreaterThanOrEqual(partition - 4);
    const left = await stack.items(`CHAT#${chatId}`);
    expect(left.length).toBe(partition - 4);
    expect(left.filter((i) => typeof i.ttl !== 'number').map((i) => i.sk)).toEqual([]);
    await closeAll(stack, owner, ann, bob);
  });

  it('of a direct chat, stopped at its last step, loses its pair pointer too; its owner may retry meanwhile', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const chat = await makeDirect(a, b.userId);
    const { chatId } = chat;
    await sendText(b, chatId, 'hello');
    const pair = [a.userId, b.userId].sort();
    const pointer = async () =>
      (await stack.items(`PAIR#${pair[0]}#${pair[1]}`)).filter((i) => i.chatId === chatId);
    expect(await pointer()).toHaveLength(1);

    // The last transaction (a's membership, META, the pointer) fails: b's membership is gone already.
    failures.push({ command: 'TransactWriteItemsCommand', markers: [`CHAT#${chatId}`, 'PAIR#'] });
    expect(await a.request('deleteChat', { chatId })).toMatchObject({ type: 'error', code: 'INTERNAL' });
    expect(await headOf(chatId)).toEqual([`MEMBER#${a.userId}`, 'META']);

    // The owner's retry and the finish job at once: either finishes it, or the retry finds it gone.
    queue().send(finishJob(chatId));
    const retry = await a.request('deleteChat', { chatId });
    expect(retry.type === 'ack' ? 'ack' : retry.code).toMatch(/^(ack|NOT_FOUND)$/);
    await stack.idle({ timers: true });
    expect(await headOf(chatId)).toEqual([]);
    expect(await pointer()).toEqual([]);
    // b's membership went before the failure: b was told before it went.
    await settle(stack, a, b);
    expect([a, b].map((u) => told(u, chatId) > 0)).toEqual([true, true]);
    expect(queue().deadLetters).toEqual([]);
    // The pair starts afresh.
    expect(await b.ok('createChat', { kind: 'direct', userId: a.userId })).toMatchObject({ created: true });
    await closeAll(stack, a, b);
  });
});

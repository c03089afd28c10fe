/**
 * The delayed safety-net jobs of the retention queue (lambdas/domain/safety-net-jobs.ts), for two
 * requests a stop could leave half done for good:
 * - a big group's creation (more than 99 members: memberships batched, then `META`) stopped before
 *   `META`: its memberships counted in the users' caps, un-leavable. The job, queued before the
 *   memberships, finds `META` absent and deletes them; for a creation that finished it does nothing.
 * - a last member's leave stopped after its transaction (membership and `META` deleted) and before
 *   the partition's retention job: its messages without a TTL for good. The job, queued before the
 *   transaction, finds `META` gone and queues the retention.
 * The handlers' DynamoDB client fails the chosen command (after applying it, for the leave); the
 * jobs' delay is 1 s here (60 s as deployed), and `stack.idle({ timers: true })` waits for them.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, makeGroup, sendText } from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';
import { uniqueId } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

/** The next PutItem of a META whose input names this, fails (before it is sent). */
let failMetaPut: string | undefined;
/** The next transaction naming this chat lands (the last leave's deletes), then fails. */
let landThenFail: { chatId: string; userId: string } | undefined;

const stack = useInterceptedStack(
  async (command, input) => {
    if (
      failMetaPut &&
      command === 'PutItemCommand' &&
      input.includes('"META"') &&
      input.includes(failMetaPut)
    ) {
      failMetaPut = undefined;
      throw new Error('injected: the request stops before META');
    }
    const leave = landThenFail;
    if (!leave || !command.startsWith('Transact') || !input.includes(`CHAT#${leave.chatId}`)) return;
    landThenFail = undefined;
    const Key = (sk: string) => ({ pk: `CHAT#${leave.chatId}`, sk });
    await table.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: stack.tableName, Key: Key(`MEMBER#${leave.userId}`) } },
          { Delete: { TableName: stack.tableName, Key: Key('META') } },
        ],
      }),
    );
    throw new Error('injected: the request stops after its transaction');
  },
  { env: { [RETENTION_FINISH_DELAY_ENV]: '1' } },
);
const table = useTableStore(stack);
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;
const memberships = (userId: string) => table.store.chats.countMemberships(userId);
const head = async (chatId: string) =>
  (await stack.items(`CHAT#${chatId}`)).filter((i) => i.sk === 'META' || String(i.sk).startsWith('MEMBER#'));
const chatIdsOf = async (userId: string) =>
  (await table.store.chats.listMemberships(userId)).map((m) => m.chatId);

describe('a big group’s creation stopped before its META', { timeout: 120_000 }, () => {
  it('leaves memberships that its delayed job deletes (caps given back); a finished creation keeps its own', async () => {
    const owner = await connectUser(stack);
    const ann = await connectUser(stack);
    const others = Array.from({ length: 148 }, () => uniqueId('off'));
    const caps = await Promise.all([owner, ann].map((u) => memberships(u.userId)));
    const had = new Set(await chatIdsOf(ann.userId));
    const name = uniqueId('Orphan');
    // The worker is held back until the stop's leftovers are looked at (its job's delay is short).
    queue().pause();
    let orphanId = '';
    let kept: Awaited<ReturnType<typeof makeGroup>>;
    try {
      failMetaPut = name;
      const reply = await owner.request(
        'createChat',
        { kind: 'group', name, memberIds: [ann.userId, ...others] },
        60_000,
      );
      expect(failMetaPut).toBeUndefined(); // the fault was injected
      expect(reply).toMatchObject({ type: 'error', code: 'INTERNAL' });
      // What the stop leaves: 150 memberships without a chat, counted in the caps.
      orphanId = (await chatIdsOf(ann.userId)).find((id) => !had.has(id)) ?? '';
      expect((await head(orphanId)).length).toBe(150);
      expect(await Promise.all([owner, ann].map((u) => memberships(u.userId)))).toEqual(
        caps.map((n) => n + 1),
      );
      // A creation that finished, whose job finds its META.
      kept = await makeGroup(owner, [ann.userId, ...others], 'Kept');
    } finally {
      queue().resume();
    }
    await stack.idle({ timers: true });
    expect(await head(orphanId)).toEqual([]);
    expect((await head(kept.chatId)).length).toBe(151);
    expect(await Promise.all([owner, ann].map((u) => memberships(u.userId)))).toEqual(caps.map((n) => n + 1));
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, ann);
  });
});

describe('a last member’s leave stopped after its transaction', { timeout: 60_000 }, () => {
  it('has its partition expired by the delayed job queued before the transaction', async () => {
    const owner = await connectUser(stack);
    const chat = await makeGroup(owner, [], 'Solo');
    for (let i = 0; i < 3; i++) await sendText(owner, chat.chatId, `message ${i}`);
    const before = Math.floor(Date.now() / 1000);
    landThenFail = { chatId: chat.chatId, userId: owner.userId };
    const reply = await owner.request('removeMember', { chatId: chat.chatId, userId: owner.userId });
    expect(landThenFail).toBeUndefined();
    expect(reply).toMatchObject({ type: 'error', code: 'INTERNAL' });
    await stack.idle({ timers: true });
    const after = Math.ceil(Date.now() / 1000);
    const left = await stack.items(`CHAT#${chat.chatId}`);
    expect(left.filter((i) => String(i.sk).startsWith('MSG#'))).toHaveLength(3);
    expect(left.filter((i) => i.sk === 'META' || String(i.sk).startsWith('MEMBER#'))).toEqual([]);
    const unexpiring = left.filter((i) => typeof i.ttl !== 'number' || i.ttl < before || i.ttl > after);
    expect(unexpiring.map((i) => i.sk)).toEqual([]);
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner);
  });
});

/**
 * An account deletion's job within a small budget (RETENTION_PAGE_SIZE 2 keys, RETENTION_MAX_PAGES 2
 * steps a job): it stops in the middle of a chat's messages (a continuation with `chatId` and
 * `startKey`) and between chats and pages of blocks (one without), each sent at once, and the chain
 * of jobs ends with everything done once. The real worker on the local queue stand-in and DynamoDB
 * Local; the job is sent on the queue by the test (the request that queues it is not part of this).
 */
import { describe, expect, it, vi } from 'vitest';
import type { ChatRecord } from '../../lambdas/data/store.ts';
import { runDeleteAccountJob } from '../../lambdas/domain/account-deletion-job.ts';
import { AccountJobStepFailed } from '../../lambdas/domain/account-jobs.ts';
import { deps } from '../../lambdas/domain/deps.ts';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, makeDirect, makeGroup, sendText } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack({
  env: { [RETENTION_FINISH_DELAY_ENV]: '1', RETENTION_PAGE_SIZE: '2', RETENTION_MAX_PAGES: '2' },
});
const table = useTableStore(stack);
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;

const messagesOf = async (chatId: string) =>
  (await stack.items(`CHAT#${chatId}`)).filter((i) => String(i.sk).startsWith('MSG#'));

describe('a deleted account’s job within a small budget', { timeout: 120_000 }, () => {
  it('continues mid-chat (startKey) and across chats, at once, until everything is done', async () => {
    const gone = await connectUser(stack, uniqueId('gone'));
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const annsGroup = (await makeGroup(ann, [gone.userId, bob.userId], 'Ann’s')).chatId;
    for (const [socket, text] of [
      [gone, 'g1'],
      [ann, 'a1'],
      [gone, 'g2'],
      [gone, 'g3'],
      [ann, 'a2'],
      [gone, 'g4'],
      [gone, 'g5'],
    ] as const) {
      await sendText(socket, annsGroup, text);
    }
    const ownGroup = (await makeGroup(gone, [bob.userId], 'Own')).chatId;
    for (const text of ['o1', 'o2', 'o3']) await sendText(gone, ownGroup, text);
    const direct = (await makeDirect(gone, bob.userId)).chatId;
    await sendText(gone, direct, 'd1');
    const blocked = Array.from({ length: 5 }, () => uniqueId('blocked'));
    for (const userId of blocked) await gone.ok('blockUser', { userId });
    await closeAll(stack, gone);
    const sends = vi.spyOn(queue(), 'send');

    queue().send(JSON.stringify({ v: 1, kind: 'deleteAccount', userId: gone.userId, eraseMessages: true }));
    await stack.idle({ timers: true });
    expect(queue().deadLetters).toEqual([]);

    const continuations = sends.mock.calls
      .slice(1)
      .map(([body, delay]) => ({ job: JSON.parse(body) as Record<string, unknown>, delay }))
      .filter(({ job }) => job.kind === 'deleteAccount' && job.final === undefined);
    // Mid-chat: the chat and where in it; between chats and blocks: where the listing goes on
    // (`afterChatId`). Never delayed; the chain's final pass is (account-deletion-final.test.ts).
    expect(continuations.some(({ job }) => job.chatId !== undefined && job.startKey !== undefined)).toBe(
      true,
    );
    expect(continuations.some(({ job }) => job.chatId === undefined && job.afterChatId !== undefined)).toBe(
      true,
    );
    expect(continuations.every(({ delay }) => delay === 0)).toBe(true);
    for (const { job } of continuations) {
      expect(job).toMatchObject({ v: 1, userId: gone.userId, eraseMessages: true });
      if (job.startKey) expect(job.startKey).toMatchObject({ pk: `CHAT#${job.chatId}` });
    }

    // Everything done once: each of their messages deleted (one event each), others' kept.
    const inAnns = await messagesOf(annsGroup);
    expect(inAnns.filter((m) => m.senderId === gone.userId).map((m) => [m.deleted, m.text])).toEqual(
      Array.from({ length: 5 }, () => [true, '']),
    );
    expect(inAnns.filter((m) => m.senderId === ann.userId).map((m) => m.text)).toEqual(['a1', 'a2']);
    expect((await messagesOf(direct)).map((m) => m.deleted)).toEqual([true]);
    expect((await messagesOf(ownGroup)).map((m) => m.deleted)).toEqual([true, true, true]);
    const deletedEvents = ann.events('message.deleted').filter((f) => f.chatId === annsGroup);
    expect(deletedEvents).toHaveLength(5);
    expect(bob.events('message.deleted').filter((f) => f.chatId === ownGroup)).toHaveLength(3);
    expect(bob.events('member.left').filter((f) => f.userId === gone.userId)).toHaveLength(3);
    expect(await table.store.chats.listMemberships(gone.userId)).toEqual([]);
    expect(
      (await stack.items(`USER#${gone.userId}`)).filter((i) => String(i.sk).startsWith('BLOCK#')),
    ).toEqual([]);
    await closeAll(stack, ann, bob);
  });

  it('does not revisit a chat it cannot leave now (its deletion marked): the chain ends', async () => {
    const gone = await connectUser(stack, uniqueId('gone'));
    const ann = await connectUser(stack, uniqueId('ann'));
    const chats: string[] = [];
    for (let i = 0; i < 3; i++) {
      const chatId = (await makeGroup(ann, [gone.userId], `g${i}`)).chatId;
      await sendText(ann, chatId, 'only ann');
      chats.push(chatId);
    }
    const [marked] = (await table.store.chats.listMemberships(gone.userId)).map((m) => m.chatId);
    // deleteChat stopped after its mark (its finish job not run yet): the members are still there.
    const chat = await table.store.chats.getChat(marked as string, { consistent: true });
    expect(await table.store.chats.markDeleted(chat as ChatRecord, new Date().toISOString())).toBe(true);
    await closeAll(stack, gone);
    const sends = vi.spyOn(queue(), 'send');

    queue().send(JSON.stringify({ v: 1, kind: 'deleteAccount', userId: gone.userId, eraseMessages: true }));
    const drained = await Promise.race([
      stack.idle({ timers: true }).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000)),
    ]);
    const jobs = sends.mock.calls.filter(([body]) => String(body).includes('deleteAccount'));
    sends.mockRestore();
    vi.restoreAllMocks();
    expect(drained).toBe(true);
    expect(jobs.length).toBeLessThan(12);
    expect(queue().deadLetters).toEqual([]);
    // The others left; the marked one kept (its deletion's finish removes the memberships).
    expect((await table.store.chats.listMemberships(gone.userId)).map((m) => m.chatId)).toEqual([marked]);
    await closeAll(stack, ann);
  });
});

describe('a failed account deletion job', { timeout: 120_000 }, () => {
  it('names the chat it failed in, never one it had finished (the queue refusing between chats)', async () => {
    const gone = await connectUser(stack, uniqueId('gone'));
    const ann = await connectUser(stack, uniqueId('ann'));
    await makeGroup(ann, [gone.userId], 'G1');
    await makeGroup(ann, [gone.userId], 'G2');
    await closeAll(stack, gone);
    const [first, second] = (await table.store.chats.listMemberships(gone.userId))
      .map((m) => m.chatId)
      .sort();
    const queueOfJobs = deps().retentionQueue;
    if (!queueOfJobs) throw new Error('the test stack has a retention queue');
    vi.spyOn(queueOfJobs, 'send').mockRejectedValue(new Error('the queue refuses'));
    const failed = await runDeleteAccountJob(
      deps(),
      { v: 1, kind: 'deleteAccount', userId: gone.userId, eraseMessages: false },
      { pageSize: 10, maxPages: 1, budgetMs: 60_000 },
    ).catch((error: unknown) => error);
    vi.restoreAllMocks();
    // The first chat was left; the continuation after it was refused, outside any chat.
    expect((await table.store.chats.listMemberships(gone.userId)).map((m) => m.chatId)).toEqual([second]);
    expect(failed).toBeInstanceOf(AccountJobStepFailed);
    expect((failed as AccountJobStepFailed).chatId).not.toBe(first);
    await closeAll(stack, ann);
  });
});

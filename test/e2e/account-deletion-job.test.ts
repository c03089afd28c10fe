/**
 * An account deletion's job on the retention queue (lambdas/domain/account-deletion-job.ts), run by
 * the real worker on the local queue stand-in, DynamoDB Local and the local S3, its events seen on
 * real sockets. The request that queues it (`deleteAccount`) is not part of this: the tests send the
 * job on the queue themselves, the user's own sockets closed first (as the request closes them).
 * Budgets that force continuations: account-deletion-job-budget.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { MEMBER_LOG_FROM } from '../../lambdas/data/member-log.ts';
import { runDeleteAccountJob } from '../../lambdas/domain/account-deletion-job.ts';
import type { DeleteAccountJob } from '../../lambdas/domain/account-jobs.ts';
import { deps } from '../../lambdas/domain/deps.ts';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { logger } from '../../lambdas/shared/logger.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import {
  closeAll,
  connectUser,
  eventsOf,
  forChat,
  getChat,
  makeDirect,
  makeGroup,
  sendText,
} from '../support/chat.ts';
import { FILES, sendWith, storedKeys, uploadFile, useS3 } from '../support/media.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

// A last leave's retention job waits the finish delay (60 s as deployed): `idle({ timers: true })`.
const stack = useTestStack({ env: { [RETENTION_FINISH_DELAY_ENV]: '1' } });
const table = useTableStore(stack);
const s3 = useS3(stack);
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;

let errors: MockInstance<typeof logger.error>;
beforeEach(() => {
  errors = vi.spyOn(logger, 'error');
});
afterEach(() => errors.mockRestore());

/** Sends the job as the request does (no delay) and waits until the queue is drained. */
async function runJob(job: Partial<DeleteAccountJob> | Record<string, unknown>): Promise<void> {
  queue().send(JSON.stringify(job));
  await stack.idle({ timers: true });
  expect(queue().deadLetters).toEqual([]);
}

const jobFor = (userId: string, eraseMessages: boolean): DeleteAccountJob => ({
  v: 1,
  kind: 'deleteAccount',
  userId,
  eraseMessages,
});
const chatIdsOf = async (userId: string) =>
  (await table.store.chats.listMemberships(userId)).map((m) => m.chatId);
const stored = async (chatId: string, messageId: string) =>
  (await stack.items(`CHAT#${chatId}`)).find((i) => i.messageId === messageId);
const blocksOf = async (userId: string) =>
  (await stack.items(`USER#${userId}`)).filter((i) => String(i.sk).startsWith('BLOCK#')).map((i) => i.sk);
const meta = async (chatId: string) => (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === 'META');

describe('a deleted account’s job', { timeout: 120_000 }, () => {
  it('erases their messages, leaves every chat and removes their blocks; delivered twice, no harm', async () => {
    const gone = await connectUser(stack, uniqueId('gone'));
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    // A group they own, with a message of theirs carrying an attachment, and others' messages.
    const owned = (await makeGroup(gone, [ann.userId, bob.userId], 'Owned')).chatId;
    const uploadId = await uploadFile(gone, owned, FILES.png(), 'image/png');
    const withFile = await sendWith(gone, owned, [uploadId], 'a picture');
    const plain = await sendText(gone, owned, 'hello all');
    const annsOwn = await sendText(ann, owned, 'ann was here');
    // A group where they are the last member, and a direct chat with Bob.
    const alone = (await makeGroup(gone, [], 'Alone')).chatId;
    await sendText(gone, alone, 'note to self');
    const direct = (await makeDirect(gone, bob.userId)).chatId;
    const toBob = await sendText(gone, direct, 'hi bob');
    const fromBob = await sendText(bob, direct, 'hi');
    // Their blocks: Bob (the direct chat's mirror lists him) and Ann (no direct chat).
    await gone.ok('blockUser', { userId: bob.userId });
    await gone.ok('blockUser', { userId: ann.userId });
    expect((await meta(direct))?.blockedSenders).toEqual(new Set([bob.userId]));
    await closeAll(stack, gone);
    expect(await storedKeys(stack, s3(), `chats/${owned}/${uploadId}`)).toHaveLength(1);

    await runJob(jobFor(gone.userId, true));

    // Their messages deleted as deleteMessage does, the attachment's bytes gone, events to the members.
    for (const message of [withFile, plain]) {
      expect(await stored(owned, message.messageId)).toMatchObject({
        deleted: true,
        text: '',
        attachments: [],
      });
      for (const socket of [ann, bob]) {
        await socket.event('message.deleted', (f) => f.messageId === message.messageId);
      }
    }
    expect(await storedKeys(stack, s3(), `chats/${owned}/${uploadId}`)).toEqual([]);
    expect(await stored(direct, toBob.messageId)).toMatchObject({ deleted: true, text: '' });
    await bob.event('message.deleted', (f) => f.messageId === toBob.messageId);
    // Others' messages untouched.
    expect(await stored(owned, annsOwn.messageId)).toMatchObject({ deleted: false, text: 'ann was here' });
    expect(await stored(direct, fromBob.messageId)).toMatchObject({ deleted: false, text: 'hi' });
    // Every chat left as removeMember of oneself: ownership passed on, the peer alone in the direct chat.
    for (const socket of [ann, bob]) {
      await socket.event('member.left', (f) => f.chatId === owned && f.userId === gone.userId);
    }
    await bob.event('member.left', (f) => f.chatId === direct && f.userId === gone.userId);
    const after = await getChat(ann, owned);
    expect(after.ownerId).toBe(ann.userId);
    expect(after.members.map((m) => m.userId).sort()).toEqual([ann.userId, bob.userId].sort());
    expect((await getChat(bob, direct)).members.map((m) => m.userId)).toEqual([bob.userId]);
    expect(await chatIdsOf(gone.userId)).toEqual([]);
    // The last member's leave deleted the group, and its queued retention gave the rest a TTL.
    const rest = await stack.items(`CHAT#${alone}`);
    expect(rest.filter((i) => i.sk === 'META' || String(i.sk).startsWith('MEMBER#'))).toEqual([]);
    expect(rest.filter((i) => typeof i.ttl !== 'number').map((i) => i.sk)).toEqual([]);
    // Their blocks removed as unblockUser does: the direct chat's mirror no longer lists Bob.
    expect(await blocksOf(gone.userId)).toEqual([]);
    expect((await meta(direct))?.blockedSenders).toBeUndefined();
    await bob.ok('sendMessage', { chatId: direct, text: 'still here' });

    // Delivered again: nothing more happens (no event, nothing written but the same state).
    const seen = [ann, bob].map((s) => s.frames.length);
    const items = await stack.items(`CHAT#${owned}`);
    await runJob(jobFor(gone.userId, true));
    expect([ann, bob].map((s) => s.frames.length)).toEqual(seen);
    expect(await stack.items(`CHAT#${owned}`)).toEqual(items);
    expect(errors).not.toHaveBeenCalled();
    await closeAll(stack, ann, bob);
  });

  it('without eraseMessages leaves their messages as they are', async () => {
    const gone = await connectUser(stack, uniqueId('keeps'));
    const ann = await connectUser(stack, uniqueId('ann'));
    const chatId = (await makeGroup(ann, [gone.userId], 'Kept')).chatId;
    const message = await sendText(gone, chatId, 'my words stay');
    await closeAll(stack, gone);

    await runJob(jobFor(gone.userId, false));

    await ann.event('member.left', (f) => f.chatId === chatId && f.userId === gone.userId);
    expect(await stored(chatId, message.messageId)).toMatchObject({ deleted: false, text: 'my words stay' });
    expect(eventsOf(ann, 'message.deleted', forChat(chatId))).toEqual([]);
    expect(await chatIdsOf(gone.userId)).toEqual([]);
    await closeAll(stack, ann);
  });

  it('skips a continuation’s chat the user left meanwhile (NOT_FOUND) and goes on', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    for (const eraseMessages of [false, true]) {
      const gone = await connectUser(stack, uniqueId('left'));
      const left = (await makeGroup(ann, [gone.userId], 'Left before')).chatId;
      const stays = (await makeGroup(ann, [gone.userId], 'Still in')).chatId;
      await sendText(gone, left, 'before I left');
      await gone.ok('removeMember', { chatId: left, userId: gone.userId });
      await closeAll(stack, gone);
      const startKey = { pk: `CHAT#${left}`, sk: 'MSG#000000000001' };
      await runJob({
        ...jobFor(gone.userId, eraseMessages),
        chatId: left,
        ...(eraseMessages ? { startKey } : {}),
      });
      await ann.event('member.left', (f) => f.chatId === stays && f.userId === gone.userId);
      expect(await chatIdsOf(gone.userId)).toEqual([]);
      // The chat left before keeps its message as it was.
      const before = (await stack.items(`CHAT#${left}`)).find((i) => i.text === 'before I left');
      expect(before?.deleted).toBe(false);
    }
    expect(errors).not.toHaveBeenCalled();
    await closeAll(stack, ann);
  });

  it('leaves a group of 100+ members (a member log entry) having erased there (the cached head)', async () => {
    const gone = await connectUser(stack, uniqueId('gone'));
    const ann = await connectUser(stack, uniqueId('ann'));
    const offline = Array.from({ length: MEMBER_LOG_FROM }, (_, i) => uniqueId(`off${i}`));
    const chatId = (await makeGroup(ann, [gone.userId, ...offline], 'Big')).chatId;
    const message = await sendText(gone, chatId, 'in a big group');
    // One membership change first: the group has a member log from then on.
    await ann.ok('removeMember', { chatId, userId: offline[0] });
    await closeAll(stack, gone);

    await runJob(jobFor(gone.userId, true));

    expect(await stored(chatId, message.messageId)).toMatchObject({ deleted: true, text: '' });
    await ann.event('member.left', (f) => f.chatId === chatId && f.userId === gone.userId);
    expect(await chatIdsOf(gone.userId)).toEqual([]);
    expect(errors).not.toHaveBeenCalled();
    await closeAll(stack, ann);
  });

  it('stops before a message whose deletion would pass the time budget', async () => {
    const gone = await connectUser(stack, uniqueId('slow'));
    const ann = await connectUser(stack, uniqueId('ann'));
    const chatId = (await makeGroup(ann, [gone.userId], 'Slow')).chatId;
    for (const text of ['s1', 's2', 's3']) await sendText(gone, chatId, text);
    await closeAll(stack, gone);
    // Each message's deletion takes 600 ms of a 1,000 ms budget (its one consistent message read).
    let now = 0;
    const get = deps().store.messages.get.bind(deps().store.messages);
    vi.spyOn(deps().store.messages, 'get').mockImplementation(async (...args) => {
      now += 600;
      return get(...args);
    });
    queue().pause();
    const report = await runDeleteAccountJob(
      deps(),
      jobFor(gone.userId, true),
      { pageSize: 10, maxPages: 10, budgetMs: 1_000 },
      () => now,
    );
    vi.restoreAllMocks();
    errors = vi.spyOn(logger, 'error');
    expect(report).toMatchObject({ messagesErased: 1, continued: true });
    queue().resume();
    await stack.idle({ timers: true });
    expect(await chatIdsOf(gone.userId)).toEqual([]);
    await closeAll(stack, ann);
  });

  it('logs a failed step with the chat it was in; delivered again, it finishes', async () => {
    const gone = await connectUser(stack, uniqueId('fails'));
    const ann = await connectUser(stack, uniqueId('ann'));
    const chatId = (await makeGroup(ann, [gone.userId], 'Fails once')).chatId;
    await closeAll(stack, gone);
    const store = deps().store;
    const remove = store.chats.removeMember.bind(store.chats);
    let failed = false;
    const spy = vi.spyOn(store.chats, 'removeMember').mockImplementation(async (...args) => {
      if (!failed) {
        failed = true;
        throw new Error('throttled');
      }
      return remove(...args);
    });
    await runJob(jobFor(gone.userId, false));
    spy.mockRestore();
    expect(errors).toHaveBeenCalledWith(
      'deleteAccount job failed; SQS will deliver it again',
      expect.objectContaining({ userId: gone.userId, chatId }),
    );
    expect(await chatIdsOf(gone.userId)).toEqual([]);
    await closeAll(stack, ann);
  });

  it('drops a malformed job body (logged), never running it', async () => {
    const gone = await connectUser(stack, uniqueId('kept'));
    const ann = await connectUser(stack, uniqueId('ann'));
    const chatId = (await makeGroup(ann, [gone.userId], 'Untouched')).chatId;
    await closeAll(stack, gone);
    const malformed = [
      { ...jobFor(gone.userId, true), eraseMessages: 'yes' },
      { ...jobFor(gone.userId, true), userId: '' },
      { ...jobFor(gone.userId, true), v: 2 },
      { ...jobFor(gone.userId, true), startKey: { pk: `CHAT#${chatId}`, sk: 'MSG#000000000001' } },
      { ...jobFor(gone.userId, true), chatId, startKey: { pk: 'CHAT#another', sk: 'MSG#000000000001' } },
      { ...jobFor(gone.userId, true), chatId, startKey: { pk: `CHAT#${chatId}`, sk: 'MEMBER#x' } },
      { ...jobFor(gone.userId, true), final: false },
      { ...jobFor(gone.userId, true), final: 'yes' },
      { ...jobFor(gone.userId, true), afterChatId: '' },
      { ...jobFor(gone.userId, true), chatId, afterChatId: chatId },
    ];
    for (const job of malformed) await runJob(job);
    expect(await chatIdsOf(gone.userId)).toEqual([chatId]);
    const dropped = errors.mock.calls.filter(
      ([line]) => line === 'dropping a queue message that is not a retention job',
    );
    expect(dropped).toHaveLength(malformed.length);
    await closeAll(stack, ann);
  });
});

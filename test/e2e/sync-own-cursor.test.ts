/**
 * `sync` in a group of 100 members or more takes its member list from the container's cached head,
 * brought up to date from the member log (lambdas/domain/sync.ts `loadForSync`): the log follows
 * joins and leaves, not read cursors. The caller's own entry must still carry its cursor as stored
 * (the membership the sync reads by key anyway), not the one of when the head was cached. The
 * handlers run in this process: the test drops their cached head, so that a member's action caches
 * it before the cursor moves.
 */
import { describe, expect, it } from 'vitest';
import { deps } from '../../lambdas/domain/deps.ts';
import { type Chat, connectUser, makeGroup, sendText, settle } from '../support/chat.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });

type Listed = { userId: string; lastReadSeq: number };

describe('sync in a group of 100 or more after a membership change', { timeout: 120_000 }, () => {
  it('answers the caller’s own read cursor as stored, not as the cached head had it', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const offline = Array.from({ length: 110 }, () => uniqueId('off'));
    const { chatId } = await makeGroup(ann, [bob.userId, ...offline], 'Big');
    await sendText(ann, chatId, 'one');
    const two = await sendText(ann, chatId, 'two');
    deps().store.heads.forget(chatId);
    await bob.ok('typing', { chatId, isTyping: true }); // caches the head: bob has read nothing
    const since = ((await ann.ok('getChat', { chatId })).chat as Chat).lastVer;
    const read = await bob.ok('readMessage', { chatId, messageId: two.messageId });
    expect(read.lastReadSeq).toBe(two.seq);
    await ann.ok('invite', { chatId, userIds: [uniqueId('zed')] }); // replayed from the member log
    await settle(stack, ann, bob);

    const ack = await bob.ok('sync', { chatId, sinceVer: since, limit: 10 });
    const members = ack.members as Listed[];
    expect(members).toHaveLength(113);
    expect(members.find((m) => m.userId === bob.userId)?.lastReadSeq).toBe(two.seq);
  });
});

/**
 * Blocking and scheduled messages, end to end: a message B scheduled in the direct chat with A
 * before A blocked B does not go out (it fails with reason FORBIDDEN, like B's send would); one A
 * scheduled to B still does (the blocker keeps every power); and after an unblock B's next one goes
 * out again. In a direct chat older than the blocks' mirror, the dispatcher's send brings the chat up
 * to date, as a client's send does (test/e2e/block-mirror.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { connectUsers, history, makeDirect, settle, type UserSocket } from '../support/chat.ts';
import { metaOf, olderThanTheMirror } from '../support/older-chats.ts';
import {
  aboutScheduled,
  inMs,
  listScheduled,
  makeDue,
  pendingCount,
  schedule,
  withText,
} from '../support/scheduled.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();

describe('a scheduled message in a direct chat whose peer blocked its author', () => {
  it('fails with FORBIDDEN at sendAt and stores nothing; the blocker’s own still goes out', async () => {
    const [alice, bob] = (await connectUsers(stack, 2)) as [UserSocket, UserSocket];
    const chat = await makeDirect(bob, alice.userId);
    // Scheduled an hour ahead, then made due once the block is in place: no race with the clock.
    const fromBob = await schedule(bob, chat.chatId, 'you cannot stop me', inMs(3600_000));
    const fromAlice = await schedule(alice, chat.chatId, 'I still can', inMs(3600_000));
    await alice.ok('blockUser', { userId: bob.userId });
    const sendAt = await makeDue(stack, bob.userId, fromBob.scheduledId);
    await makeDue(stack, alice.userId, fromAlice.scheduledId);
    await stack.scheduler.sweepNow({ full: true });

    const failed = await bob.event('scheduled.failed', aboutScheduled(fromBob.scheduledId), 15_000);
    expect(failed.scheduled).toEqual({ ...fromBob, sendAt, status: 'failed', reason: 'FORBIDDEN' });
    const sent = await alice.event('scheduled.sent', aboutScheduled(fromAlice.scheduledId), 15_000);
    expect(sent.scheduled).toMatchObject({ status: 'sent', reason: null });
    await bob.event('message.created', withText('I still can'), 15_000);

    await stack.scheduler.idle();
    await settle(stack, alice, bob);
    expect(alice.events('message.created').filter(withText('you cannot stop me'))).toEqual([]);
    expect((await history(alice, chat.chatId)).messages.map((m) => m.text)).toEqual(['I still can']);
    expect(await listScheduled(bob)).toEqual([]);
    expect(await pendingCount(stack, bob.userId)).toBe(0);
  });

  it('goes out again once the peer unblocked its author', async () => {
    const [alice, bob] = (await connectUsers(stack, 2)) as [UserSocket, UserSocket];
    const chat = await makeDirect(bob, alice.userId);
    await alice.ok('blockUser', { userId: bob.userId });
    await alice.ok('unblockUser', { userId: bob.userId });
    const fromBob = await schedule(bob, chat.chatId, 'friends again', inMs(1500));

    const sent = await bob.event('scheduled.sent', aboutScheduled(fromBob.scheduledId), 15_000);
    expect(sent.scheduled).toMatchObject({ status: 'sent', reason: null });
    await alice.event('message.created', withText('friends again'), 15_000);
  });

  it('brings a direct chat older than the blocks’ mirror up to date when it sends there', async () => {
    const [alice, bob] = (await connectUsers(stack, 2)) as [UserSocket, UserSocket];
    const chat = await makeDirect(bob, alice.userId);
    await olderThanTheMirror(stack, chat.chatId);
    await alice.ok('blockUser', { userId: bob.userId }); // mirrored on META, but the flag is still missing
    const fromAlice = await schedule(alice, chat.chatId, 'from before the mirror', inMs(1500));

    await alice.event('scheduled.sent', aboutScheduled(fromAlice.scheduledId), 15_000);
    await stack.scheduler.idle();
    expect(await metaOf(stack, chat.chatId)).toMatchObject({
      blocksMirrored: true,
      blockedSenders: new Set([bob.userId]),
    });
  });
});

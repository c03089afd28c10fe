/**
 * Stale connection cleanup by the functions of scheduled messages (and markDelivered), as
 * test/fault/stale-cleanup-routes.test.ts does for the other routes: a socket vanished without
 * `$disconnect`, the function posts to it, gets 410, and deletes exactly that record. This also
 * exercises each one's scoped `DeleteItem`, so the IAM check (scripts/check-iam.ts) sees it in use.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Scheduled } from '../../lambdas/contract/objects.ts';
import { closeAll, connectUsers, makeGroup, sendText, type UserSocket } from '../support/chat.ts';
import { aboutScheduled, inMs, schedule } from '../support/scheduled.ts';
import { useTestStack } from '../support/stack.ts';
import { useStaleCleanup } from '../support/stale.ts';

const stack = useTestStack();
const { ghostOf, expectCleaned } = useStaleCleanup(stack);

describe('stale connection cleanup: scheduled messages and markDelivered', { timeout: 120_000 }, () => {
  let author: UserSocket;
  let member: UserSocket;

  beforeAll(async () => {
    [author, member] = (await connectUsers(stack, 2, 'clean-sched')) as [UserSocket, UserSocket];
  });
  afterAll(async () => {
    await closeAll(stack, author, member);
  });

  it('scheduleMessage and cancelScheduled (to the author’s other sockets)', async () => {
    const { chatId } = await makeGroup(author, [member.userId]);
    let ghost = await ghostOf(author.userId);
    let scheduled: Scheduled | undefined;
    await expectCleaned(author.userId, ghost, async () => {
      scheduled = await schedule(author, chatId, 'later', inMs(3600_000));
    });
    ghost = await ghostOf(author.userId);
    await expectCleaned(author.userId, ghost, () =>
      author.ok('cancelScheduled', { scheduledId: (scheduled as Scheduled).scheduledId }),
    );
  });

  it('the dispatcher (message.created to the members)', async () => {
    const { chatId } = await makeGroup(author, [member.userId]);
    const ghost = await ghostOf(member.userId);
    await expectCleaned(member.userId, ghost, async () => {
      const scheduled = await schedule(author, chatId, 'on time', inMs(1500));
      await author.event('scheduled.sent', aboutScheduled(scheduled.scheduledId), 15_000);
      await stack.scheduler.idle();
    });
  });

  it('markDelivered (message.delivered to the other members)', async () => {
    const { chatId } = await makeGroup(author, [member.userId]);
    const { seq } = await sendText(author, chatId, 'delivered?');
    const ghost = await ghostOf(author.userId);
    await expectCleaned(author.userId, ghost, () => member.ok('markDelivered', { chatId, seq }));
  });
});

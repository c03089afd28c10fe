/**
 * Scheduled messages and the pre-send hook, end to end (the example word filter, configured as
 * `npm run dev` configures it): one the hook refuses at its `sendAt` fails with `reason` FORBIDDEN
 * and the hook's sentence as `detail`, the same sentence a `sendMessage` it refuses gets in its
 * error frame; it is stored with the failed schedule, so a repeated `scheduleMessage` answers it and
 * `cancelScheduled`'s CONFLICT names it. A sentence with control characters or over 500 characters
 * reaches the author cleaned, in the frame and in `detail` alike; a refusal that is not the hook's
 * (a block) has no `detail`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectUser,
  connectUsers,
  expectRefused,
  history,
  makeDirect,
  makeGroup,
  type UserSocket,
} from '../support/chat.ts';
import { CLEANED_REASON } from '../support/hooks/unclean-deny-hook.ts';
import {
  aboutScheduled,
  inMs,
  listScheduled,
  makeDue,
  pendingCount,
  type Scheduled,
  schedule,
  storedItem,
} from '../support/scheduled.ts';
import { useTestStack } from '../support/stack.ts';

const FILTER = 'hooks/word-filter.ts';
const stack = useTestStack({ env: { PRE_SEND_HOOK: FILTER, WORD_FILTER_DENY: 'forbidden' } });
const WORD_REFUSED = 'This message contains a word that is not allowed here.';

afterEach(() => {
  process.env.PRE_SEND_HOOK = FILTER;
});

/** Schedules `text` an hour ahead, makes it due and sweeps: its `scheduled.failed`. */
async function failAtSendAt(author: UserSocket, chatId: string, text: string, clientMessageId?: string) {
  const scheduled = await schedule(
    author,
    chatId,
    text,
    inMs(3600_000),
    clientMessageId ? { clientMessageId } : {},
  );
  expect(scheduled.detail).toBeNull();
  const sendAt = await makeDue(stack, author.userId, scheduled.scheduledId);
  await stack.scheduler.sweepNow({ full: true });
  const failed = await author.event('scheduled.failed', aboutScheduled(scheduled.scheduledId), 15_000);
  await stack.scheduler.idle();
  return { scheduled, sendAt, failed: failed.scheduled as Scheduled };
}

describe('a scheduled message the pre-send hook refuses at its sendAt', () => {
  it("fails with FORBIDDEN and the hook's sentence as detail, kept for the repeat and the CONFLICT", async () => {
    const ann = await connectUser(stack);
    const chat = await makeGroup(ann, [], 'Scheduled and filtered');
    const text = 'a forbidden plan';
    const { scheduled, sendAt, failed } = await failAtSendAt(ann, chat.chatId, text, 'plan-1');
    expect(failed).toEqual({
      ...scheduled,
      sendAt,
      status: 'failed',
      reason: 'FORBIDDEN',
      detail: WORD_REFUSED,
    });
    // The sentence a send of the same text is refused with.
    const refused = await expectRefused(
      stack,
      ann,
      'sendMessage',
      { chatId: chat.chatId, text },
      'FORBIDDEN',
    );
    expect(refused.message).toBe(failed.detail);

    expect(await storedItem(stack, ann.userId, scheduled.scheduledId)).toMatchObject({
      sk: `SCHEDDONE#${scheduled.scheduledId}`,
      status: 'failed',
      reason: 'FORBIDDEN',
      detail: WORD_REFUSED,
    });
    expect(await listScheduled(ann)).toEqual([]);
    expect(await pendingCount(stack, ann.userId)).toBe(0);
    // A repeat of the schedule answers what is stored of it (no text: it is finished).
    const again = await ann.ok('scheduleMessage', {
      chatId: chat.chatId,
      text,
      sendAt: inMs(3600_000),
      clientMessageId: 'plan-1',
    });
    expect(again.scheduled).toEqual({ ...failed, text: '' });
    const cancel = await ann.request('cancelScheduled', { scheduledId: scheduled.scheduledId });
    expect(cancel).toMatchObject({ type: 'error', code: 'CONFLICT' });
    expect(cancel.message).toBe(
      `Scheduled message "${scheduled.scheduledId}" can no longer be cancelled: it is failed (FORBIDDEN: ${WORD_REFUSED}).`,
    );
    expect((await history(ann, chat.chatId)).messages).toEqual([]);
  });

  it('shows a sentence with control characters or over 500 characters cleaned, as the send refused by it', async () => {
    const ann = await connectUser(stack);
    const chat = await makeGroup(ann, [], 'Unclean refusals');
    process.env.PRE_SEND_HOOK = 'test/support/hooks/unclean-deny-hook.ts';
    const { failed } = await failAtSendAt(ann, chat.chatId, 'anything at all');
    expect(failed).toMatchObject({ status: 'failed', reason: 'FORBIDDEN', detail: CLEANED_REASON });
    const refused = await expectRefused(
      stack,
      ann,
      'sendMessage',
      { chatId: chat.chatId, text: 'anything at all' },
      'FORBIDDEN',
    );
    expect(refused.message).toBe(CLEANED_REASON);
  });

  it('has no detail when the refusal is not the hook’s (a block)', async () => {
    const [alice, bob] = (await connectUsers(stack, 2)) as [UserSocket, UserSocket];
    const chat = await makeDirect(bob, alice.userId);
    const scheduled = await schedule(bob, chat.chatId, 'a fine text', inMs(3600_000));
    await alice.ok('blockUser', { userId: bob.userId });
    await makeDue(stack, bob.userId, scheduled.scheduledId);
    await stack.scheduler.sweepNow({ full: true });
    const failed = await bob.event('scheduled.failed', aboutScheduled(scheduled.scheduledId), 15_000);
    expect(failed.scheduled).toMatchObject({ reason: 'FORBIDDEN', detail: null });
    await stack.scheduler.idle();
    const cancel = await bob.request('cancelScheduled', { scheduledId: scheduled.scheduledId });
    expect(cancel.message).toBe(
      `Scheduled message "${scheduled.scheduledId}" can no longer be cancelled: it is failed (FORBIDDEN).`,
    );
  });
});

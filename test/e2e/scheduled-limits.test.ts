/**
 * scheduleMessage's rules: sendAt in the future and at most 30 days ahead, the same checks as
 * sendMessage (membership, text, attachments, replyTo), 100 pending per user, and clientMessageId
 * de-duplication. Every refusal names the field, stores nothing (the author's partition and the
 * chat's are unchanged) and leaves the socket usable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../lambdas/contract/limits.ts';
import {
  anotherSocket,
  connectUser,
  connectUsers,
  eventsOf,
  expectRefused,
  makeDirect,
  makeGroup,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { inMs, listScheduled, pendingCount, schedule, storedScheduled } from '../support/scheduled.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const DAY_MS = 24 * 3600 * 1000;

let stack: TestStack;
let alice: UserSocket;
let bob: UserSocket;
let carol: UserSocket;
let chatId: string;
let otherChatId: string;
beforeAll(async () => {
  stack = await startTestStack();
  [alice, bob, carol] = (await connectUsers(stack, 3, 'limits')) as [UserSocket, UserSocket, UserSocket];
  chatId = (await makeGroup(alice, [bob.userId], 'limits')).chatId;
  otherChatId = (await makeDirect(bob, carol.userId)).chatId;
});
afterAll(async () => {
  await Promise.all([alice, bob, carol].map((s) => s?.close()));
  await stack?.stop();
});

/** A refused scheduleMessage: the exact error frame, nothing written anywhere it could write. */
async function refused(fields: Record<string, unknown>, code: string, message?: RegExp): Promise<void> {
  const userBefore = await stack.items(`USER#${alice.userId}`);
  await expectRefused(stack, alice, 'scheduleMessage', fields, code, {
    chatId: typeof fields.chatId === 'string' ? fields.chatId : undefined,
    ...(message ? { message } : {}),
  });
  expect(await stack.items(`USER#${alice.userId}`)).toEqual(userBefore);
}

const valid = () => ({ chatId, text: 'later', sendAt: inMs(3600_000) });

describe('scheduleMessage refuses', () => {
  it.each([
    ['a sendAt in the past', () => ({ ...valid(), sendAt: inMs(-60_000) }), /"sendAt" must be in the future/],
    ['a sendAt of now', () => ({ ...valid(), sendAt: inMs(-1) }), /"sendAt" must be in the future/],
    [
      'a sendAt more than 30 days ahead',
      () => ({ ...valid(), sendAt: inMs(LIMITS.scheduleMaxDaysAhead * DAY_MS + 60_000) }),
      /"sendAt" must be at most 30 days ahead/,
    ],
    [
      'a sendAt that is not a time',
      () => ({ ...valid(), sendAt: 'tomorrow' }),
      /"sendAt" must be an ISO 8601 time/,
    ],
    ['a date without a time', () => ({ ...valid(), sendAt: '2031-01-01' }), /"sendAt"/],
    ['a sendAt that is a number', () => ({ ...valid(), sendAt: Date.now() + 60_000 }), /"sendAt"/],
    ['no sendAt', () => ({ chatId, text: 'later' }), /"sendAt" is required/],
    ['no text', () => ({ chatId, sendAt: inMs(60_000) }), /"text"/],
    ['blank text', () => ({ ...valid(), text: '   ' }), /"text" must not be empty/],
    [
      'text over 4000 characters',
      () => ({ ...valid(), text: 'x'.repeat(4001) }),
      /"text" must be at most 4000/,
    ],
    [
      'text with a control character',
      () => ({ ...valid(), text: 'a\u0007b' }),
      /"text" must not contain control/,
    ],
    [
      'an attachment that is not an upload of the caller',
      () => ({ ...valid(), attachments: [{ uploadId: 'u1' }] }),
      /"attachments\[0\]\.uploadId" is not an upload you requested/,
    ],
    ['a replyTo of another chat', () => ({ ...valid(), replyTo: 'm1_AAAAAAAAAAAA' }), /"replyTo"/],
    ['a bad clientMessageId', () => ({ ...valid(), clientMessageId: 'a\u0001b' }), /"clientMessageId"/],
  ])('%s: BAD_REQUEST naming the field', async (_name, fields, message) => {
    await refused(fields(), 'BAD_REQUEST', message);
  });

  it('a chat the caller is not a member of: NOT_FOUND', async () => {
    await refused({ ...valid(), chatId: otherChatId }, 'NOT_FOUND');
    await refused({ ...valid(), chatId: 'no-such-chat' }, 'NOT_FOUND');
  });

  it('a replyTo naming a message of another chat: BAD_REQUEST', async () => {
    const elsewhere = await sendText(bob, otherChatId, 'not in alice’s chat');
    await refused({ ...valid(), replyTo: elsewhere.messageId }, 'BAD_REQUEST', /"replyTo"/);
  });
});

describe('scheduleMessage accepts', () => {
  it('a sendAt with an offset (stored and answered in UTC), and one just under 30 days ahead', async () => {
    const at = new Date(Date.now() + 2 * 3600_000);
    const offset = `${new Date(at.getTime() + 2 * 3600_000).toISOString().slice(0, 19)}+02:00`;
    const withOffset = await schedule(alice, chatId, 'offset', offset);
    expect(withOffset.sendAt).toBe(new Date(Date.parse(offset)).toISOString());
    const far = await schedule(alice, chatId, 'far', inMs(LIMITS.scheduleMaxDaysAhead * DAY_MS - 60_000));
    for (const s of [withOffset, far]) await alice.ok('cancelScheduled', { scheduledId: s.scheduledId });
  });

  it('the same clientMessageId twice as one schedule (one item, one count, one event)', async () => {
    const author = await connectUser(stack);
    const other = await anotherSocket(stack, author);
    const chat = await makeGroup(author, [bob.userId]);
    const fields = { chatId: chat.chatId, text: 'once', sendAt: inMs(3600_000), clientMessageId: 'cm-1' };
    const first = await author.ok('scheduleMessage', fields);
    const second = await author.ok('scheduleMessage', {
      ...fields,
      text: 'changed my mind',
      sendAt: inMs(7200_000),
    });
    expect(second.scheduled).toEqual(first.scheduled);
    // The same clientMessageId in another chat is another schedule.
    const chat2 = await makeGroup(author, [bob.userId]);
    const elsewhere = await schedule(author, chat2.chatId, 'x', inMs(3600_000), { clientMessageId: 'cm-1' });
    expect(elsewhere.scheduledId).not.toBe((first.scheduled as { scheduledId: string }).scheduledId);
    await settle(stack, author, other);
    expect(eventsOf(other, 'scheduled.created')).toHaveLength(2);
    expect(await storedScheduled(stack, author.userId)).toHaveLength(2);
    expect(await pendingCount(stack, author.userId)).toBe(2);
  });
});

describe(`at most ${LIMITS.scheduledMaxPending} pending per user`, () => {
  it('refuses the next one with BAD_REQUEST, stores nothing, and accepts again once one is cancelled', async () => {
    const author = await connectUser(stack);
    const chat = await makeGroup(author, [bob.userId]);
    const made = [];
    for (let i = 0; i < LIMITS.scheduledMaxPending; i++) {
      made.push(
        await schedule(author, chat.chatId, `#${i}`, inMs(3600_000 + i * 1000), { clientMessageId: `c${i}` }),
      );
    }
    expect(await pendingCount(stack, author.userId)).toBe(LIMITS.scheduledMaxPending);
    const before = await stack.items(`USER#${author.userId}`);
    const over = { chatId: chat.chatId, text: 'one too many', sendAt: inMs(3600_000) };
    await expectRefused(stack, author, 'scheduleMessage', over, 'BAD_REQUEST', { message: /100 scheduled/ });
    expect(await stack.items(`USER#${author.userId}`)).toEqual(before);
    // A repeat of one already made is its duplicate, not a new one: answered, not refused.
    const repeat = await author.ok('scheduleMessage', {
      chatId: chat.chatId,
      text: '#7',
      sendAt: made[7]?.sendAt,
      clientMessageId: 'c7',
    });
    expect(repeat.scheduled).toEqual(made[7]);

    await author.ok('cancelScheduled', { scheduledId: made[0]?.scheduledId });
    expect(await pendingCount(stack, author.userId)).toBe(LIMITS.scheduledMaxPending - 1);
    await schedule(author, chat.chatId, 'fits now', inMs(3600_000));
    expect(await pendingCount(stack, author.userId)).toBe(LIMITS.scheduledMaxPending);
    expect(await listScheduled(author)).toHaveLength(LIMITS.scheduledMaxPending);
    await expectRefused(stack, author, 'scheduleMessage', over, 'BAD_REQUEST');
  }, 60_000);
});

describe('cancelScheduled and listScheduled refuse', () => {
  it('an unknown or someone else’s scheduledId: NOT_FOUND, nothing written', async () => {
    const mine = await schedule(alice, chatId, 'mine', inMs(3600_000));
    const before = await stack.items(`USER#${alice.userId}`);
    await expectRefused(stack, bob, 'cancelScheduled', { scheduledId: mine.scheduledId }, 'NOT_FOUND');
    await expectRefused(stack, alice, 'cancelScheduled', { scheduledId: 's_unknown' }, 'NOT_FOUND');
    await expectRefused(stack, alice, 'cancelScheduled', {}, 'BAD_REQUEST', {
      message: /"scheduledId" is required/,
    });
    await expectRefused(stack, alice, 'listScheduled', { chatId: 42 }, 'BAD_REQUEST', {
      message: /"chatId"/,
    });
    expect(await stack.items(`USER#${alice.userId}`)).toEqual(before);
    expect(await listScheduled(bob)).toEqual([]);
  });
});

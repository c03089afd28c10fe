/**
 * Malformed and hostile frames for the scheduled-message actions (scheduleMessage, listScheduled,
 * cancelScheduled), as in hostile-frames.test.ts: each gets the right error frame naming what to
 * fix, nothing is written anywhere (the whole table is compared before and after), nobody gets an
 * event, the due queue receives nothing, and the socket stays usable.
 */
import { describe, expect, it } from 'vitest';
import { type Message, makeDirect, makeGroup, sendText } from '../support/chat.ts';
import { inMs, type Scheduled, schedule } from '../support/scheduled.ts';
import { useTrio } from '../support/trio.ts';
import { expectRefusedCleanly, type HostileCase, tableSnapshot } from './hostile/harness.ts';

interface World {
  /** alice ↔ bob. */
  ab: string;
  /** bob ↔ carol (alice is not a member). */
  bc: string;
  /** bob's group with alice and carol. */
  g: string;
  bobMsgInBc: Message;
  /** A pending scheduled message of bob's in the group. */
  bobs: Scheduled;
  /** One of alice's that she cancelled. */
  cancelled: Scheduled;
}
const t = useTrio<World>('hostile-s', async ({ stack, alice, bob, carol }) => {
  const ab = (await makeDirect(alice, bob.userId)).chatId;
  const bc = (await makeDirect(bob, carol.userId)).chatId;
  const g = (await makeGroup(bob, [alice.userId, carol.userId], 'g')).chatId;
  const cancelled = await schedule(alice, ab, 'cancelled', inMs(3 * 3600_000));
  await alice.ok('cancelScheduled', { scheduledId: cancelled.scheduledId });
  const w = {
    ab,
    bc,
    g,
    bobMsgInBc: await sendText(bob, bc, 'private'),
    bobs: await schedule(bob, g, 'bob’s, later', inMs(3 * 3600_000)),
    cancelled,
  };
  await stack.scheduler.idle();
  return w;
});

type Case = HostileCase<World>;

const sched = (fields: (w: World) => Record<string, unknown>) => (x: World) => ({
  action: 'scheduleMessage',
  chatId: x.ab,
  text: 'hi',
  sendAt: inMs(3600_000),
  ...fields(x),
});
const cancel = (scheduledId: unknown) => () => ({ action: 'cancelScheduled', scheduledId });
const list = (chatId: unknown) => () => ({ action: 'listScheduled', chatId });
const BAD = 'BAD_REQUEST';

const CASES: Case[] = [
  // ── scheduleMessage: sendAt ───────────────────────────────────────────────────────────────
  {
    name: 'sendAt missing',
    frame: sched(() => ({ sendAt: undefined })),
    code: BAD,
    says: /"sendAt" is required/,
  },
  { name: 'sendAt null', frame: sched(() => ({ sendAt: null })), code: BAD, says: /"sendAt"/ },
  {
    name: 'sendAt a number',
    frame: sched(() => ({ sendAt: 1_900_000_000_000 })),
    code: BAD,
    says: /"sendAt"/,
  },
  { name: 'sendAt an object', frame: sched(() => ({ sendAt: { $gt: '' } })), code: BAD, says: /"sendAt"/ },
  { name: 'sendAt empty', frame: sched(() => ({ sendAt: '' })), code: BAD, says: /"sendAt"/ },
  { name: 'sendAt "now"', frame: sched(() => ({ sendAt: 'now' })), code: BAD, says: /"sendAt"/ },
  {
    name: 'sendAt impossible date',
    frame: sched(() => ({ sendAt: '2030-13-45T99:99:99Z' })),
    code: BAD,
    says: /"sendAt"/,
  },
  {
    name: 'sendAt February 30 (not moved on to March 2)',
    frame: sched(() => ({
      sendAt: `${new Date(Date.now() + 86_400_000).getUTCFullYear() + 1}-02-30T00:00:00Z`,
    })),
    code: BAD,
    says: /"sendAt" must be a date that exists/,
  },
  {
    name: 'sendAt epoch',
    frame: sched(() => ({ sendAt: '1970-01-01T00:00:00Z' })),
    code: BAD,
    says: /future/,
  },
  {
    name: 'sendAt year 9999',
    frame: sched(() => ({ sendAt: '9999-12-31T23:59:59Z' })),
    code: BAD,
    says: /30 days/,
  },
  {
    name: 'sendAt 60 KB',
    frame: sched(() => ({ sendAt: `2030-01-01T00:00:00Z${' '.repeat(60_000)}` })),
    code: BAD,
  },
  {
    name: 'sendAt SQL',
    frame: sched(() => ({ sendAt: "2030-01-01' OR '1'='1" })),
    code: BAD,
    says: /"sendAt"/,
  },
  // ── scheduleMessage: the sendMessage fields ───────────────────────────────────────────────
  {
    name: 'chatId missing',
    frame: sched(() => ({ chatId: undefined })),
    code: BAD,
    says: /"chatId" is required/,
  },
  { name: 'chatId with #', frame: sched(() => ({ chatId: 'CHAT#x' })), code: BAD, says: /"chatId"/ },
  { name: 'chatId an array', frame: sched(() => ({ chatId: ['a'] })), code: BAD, says: /"chatId"/ },
  { name: "others' chat", frame: sched((x) => ({ chatId: x.bc })), code: 'NOT_FOUND' },
  { name: 'unknown chat', frame: sched(() => ({ chatId: 'c_unknown' })), code: 'NOT_FOUND' },
  { name: 'text an array', frame: sched(() => ({ text: ['hi'] })), code: BAD, says: /"text"/ },
  { name: 'text 4001 chars', frame: sched(() => ({ text: 'x'.repeat(4001) })), code: BAD, says: /"text"/ },
  { name: 'text lone surrogate', frame: sched(() => ({ text: 'a\ud800b' })), code: BAD, says: /"text"/ },
  { name: 'text with NUL', frame: sched(() => ({ text: 'a\u0000b' })), code: BAD, says: /"text"/ },
  {
    name: 'attachments not array',
    frame: sched(() => ({ attachments: 'x' })),
    code: BAD,
    says: /"attachments"/,
  },
  { name: 'attachments empty', frame: sched(() => ({ attachments: [] })), code: BAD, says: /"attachments"/ },
  {
    name: 'attachments 11',
    frame: sched(() => ({ attachments: Array.from({ length: 11 }, (_, i) => ({ uploadId: `u${i}` })) })),
    code: BAD,
    says: /"attachments"/,
  },
  {
    name: 'attachments bad uploadId',
    frame: sched(() => ({ attachments: [{ uploadId: '' }] })),
    code: BAD,
    says: /"attachments\[0\]\.uploadId"/,
  },
  { name: 'replyTo a number', frame: sched(() => ({ replyTo: 7 })), code: BAD, says: /"replyTo"/ },
  { name: "replyTo others' message", frame: sched((x) => ({ replyTo: x.bobMsgInBc.messageId })), code: BAD },
  { name: 'clientMessageId 65 chars', frame: sched(() => ({ clientMessageId: 'c'.repeat(65) })), code: BAD },
  {
    name: '__proto__ field',
    frame: (x) =>
      JSON.parse(
        `{"action":"scheduleMessage","chatId":"${x.bc}","text":"hi","sendAt":"${inMs(60_000)}","__proto__":{"chatId":"${x.ab}"}}`,
      ),
    code: 'NOT_FOUND',
  },
  // ── cancelScheduled ───────────────────────────────────────────────────────────────────────
  {
    name: 'cancel without scheduledId',
    frame: cancel(undefined),
    code: BAD,
    says: /"scheduledId" is required/,
  },
  { name: 'cancel numeric scheduledId', frame: cancel(42), code: BAD, says: /"scheduledId"/ },
  { name: 'cancel scheduledId with #', frame: cancel('s#1'), code: BAD, says: /"scheduledId"/ },
  { name: 'cancel scheduledId 65 chars', frame: cancel('s'.repeat(65)), code: BAD, says: /"scheduledId"/ },
  { name: 'cancel unknown scheduledId', frame: cancel('s_unknown'), code: 'NOT_FOUND' },
  { name: 'cancel constructor', frame: cancel('constructor'), code: 'NOT_FOUND' },
  { name: "cancel bob's scheduled message", frame: (x) => cancel(x.bobs.scheduledId)(), code: 'NOT_FOUND' },
  { name: 'cancel a cancelled one', frame: (x) => cancel(x.cancelled.scheduledId)(), code: 'CONFLICT' },
  // ── listScheduled ─────────────────────────────────────────────────────────────────────────
  { name: 'list numeric chatId', frame: list(7), code: BAD, says: /"chatId"/ },
  { name: 'list chatId array', frame: list(['x']), code: BAD, says: /"chatId"/ },
  { name: 'list chatId with control char', frame: list('a\u0001'), code: BAD, says: /"chatId"/ },
];

describe('hostile frames: scheduled messages', () => {
  it('has a case for every field of the three actions', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(35);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const queued = t.stack.scheduler.queue.stats.sent;
    await expectRefusedCleanly(
      {
        stack: t.stack,
        attacker: t.alice,
        everyone: [t.alice, t.bob, t.carol],
        state: () => tableSnapshot(t.stack, t.doc),
        idle: () => t.stack.scheduler.idle(),
      },
      c,
      t.w,
    );
    expect(t.stack.scheduler.queue.stats.sent).toBe(queued);
  });
});

/**
 * Malformed and hostile frames for the actions of issue 14 (react, reportMessage, listReports), as in
 * hostile-frames.test.ts: each gets the right error frame naming what to fix, nothing is written
 * anywhere (the whole table is compared before and after), nobody gets an event, and the socket stays
 * usable. Alice is no administrator: listReports is FORBIDDEN whatever its fields.
 */
import { describe, expect, it } from 'vitest';
import { type Message, makeDirect, sendText } from '../support/chat.ts';
import { useTrio } from '../support/trio.ts';
import { expectRefusedCleanly, type HostileCase, tableSnapshot } from './hostile/harness.ts';

interface World {
  /** alice ↔ bob, with one message of bob's and one deleted message of alice's. */
  ab: string;
  /** bob ↔ carol (alice is not a member). */
  bc: string;
  msg: Message;
  deleted: Message;
  bobMsgInBc: Message;
}

const t = useTrio<World>('hostile-m', async ({ alice, bob, carol }) => {
  const ab = (await makeDirect(alice, bob.userId)).chatId;
  const bc = (await makeDirect(bob, carol.userId)).chatId;
  const msg = await sendText(bob, ab, 'react to me');
  const deleted = await sendText(alice, ab, 'gone');
  await alice.ok('deleteMessage', { chatId: ab, messageId: deleted.messageId });
  return { ab, bc, msg, deleted, bobMsgInBc: await sendText(bob, bc, 'private') };
});

type Case = HostileCase<World>;

const react = (fields: (w: World) => Record<string, unknown>) => (x: World) => ({
  action: 'react',
  chatId: x.ab,
  messageId: x.msg.messageId,
  emoji: '👍',
  ...fields(x),
});
const report = (fields: (w: World) => Record<string, unknown>) => (x: World) => ({
  action: 'reportMessage',
  chatId: x.ab,
  messageId: x.msg.messageId,
  reason: 'spam',
  ...fields(x),
});
const reports = (fields: Record<string, unknown>) => () => ({ action: 'listReports', ...fields });
const BAD = 'BAD_REQUEST';

const CASES: Case[] = [
  // ── react ────────────────────────────────────────────────────────────────────────────────
  {
    name: 'react: emoji missing',
    frame: react(() => ({ emoji: undefined })),
    code: BAD,
    says: /"emoji" is required/,
  },
  { name: 'react: emoji empty', frame: react(() => ({ emoji: '' })), code: BAD, says: /"emoji"/ },
  { name: 'react: emoji a number', frame: react(() => ({ emoji: 1 })), code: BAD, says: /"emoji"/ },
  {
    name: 'react: emoji an object',
    frame: react(() => ({ emoji: { $ne: '' } })),
    code: BAD,
    says: /"emoji"/,
  },
  {
    name: 'react: emoji 33 chars',
    frame: react(() => ({ emoji: '😀'.repeat(33) })),
    code: BAD,
    says: /"emoji"/,
  },
  { name: 'react: emoji with a space', frame: react(() => ({ emoji: '👍 👍' })), code: BAD, says: /"emoji"/ },
  { name: 'react: emoji with NUL', frame: react(() => ({ emoji: '👍\u0000' })), code: BAD, says: /"emoji"/ },
  // Format characters (\p{Cf}) but ZWJ and tag characters, and every bidirectional control.
  {
    name: 'react: emoji a right-to-left override',
    frame: react(() => ({ emoji: '\u202Egnp.exe' })),
    code: BAD,
    says: /"emoji"/,
  },
  { name: 'react: emoji with LRI', frame: react(() => ({ emoji: '👍\u2066' })), code: BAD, says: /"emoji"/ },
  { name: 'react: emoji with PDI', frame: react(() => ({ emoji: '\u2069👍' })), code: BAD, says: /"emoji"/ },
  { name: 'react: emoji with LRE', frame: react(() => ({ emoji: '\u202A👍' })), code: BAD, says: /"emoji"/ },
  { name: 'react: emoji with RLM', frame: react(() => ({ emoji: '👍\u200F' })), code: BAD, says: /"emoji"/ },
  {
    name: 'react: emoji with a zero-width space',
    frame: react(() => ({ emoji: '👍\u200B' })),
    code: BAD,
    says: /"emoji"/,
  },
  {
    name: 'react: emoji with a BOM',
    frame: react(() => ({ emoji: '\uFEFF👍' })),
    code: BAD,
    says: /"emoji"/,
  },
  {
    name: 'react: emoji with a language tag',
    frame: react(() => ({ emoji: '👍\u{E0001}' })),
    code: BAD,
    says: /"emoji"/,
  },
  {
    name: 'react: emoji lone surrogate',
    frame: react(() => ({ emoji: '\ud83d' })),
    code: BAD,
    says: /"emoji"/,
  },
  {
    name: 'react: emoji 60 KB',
    frame: react(() => ({ emoji: 'x'.repeat(60_000) })),
    code: BAD,
    says: /"emoji"/,
  },
  // Clean but not one emoji: words, links, markup, lone marks, two emoji, private use, U+FDFD.
  ...(
    [
      ['a word', 'idiot'],
      ['a link', 'scam.example/x'],
      ['markup', '<img/src=x>'],
      ['a digit', '1'],
      ['"#"', '#'],
      ['32 combining accents', '\u0301'.repeat(32)],
      ['two emoji', '👍👍'],
      ['a ZWJ alone', '\u200D'],
      ['a private-use character', '\uE000'],
      ['32 × U+FDFD', '\uFDFD'.repeat(32)],
    ] as const
  ).map(
    ([what, emoji]): Case => ({
      name: `react: emoji ${what}`,
      frame: react(() => ({ emoji })),
      code: BAD,
      says: /^"emoji" must be exactly one emoji/,
    }),
  ),
  { name: 'react: remove a string', frame: react(() => ({ remove: 'yes' })), code: BAD, says: /"remove"/ },
  { name: 'react: chatId missing', frame: react(() => ({ chatId: undefined })), code: BAD, says: /"chatId"/ },
  { name: 'react: chatId with #', frame: react(() => ({ chatId: 'CHAT#x' })), code: BAD, says: /"chatId"/ },
  {
    name: 'react: messageId missing',
    frame: react(() => ({ messageId: undefined })),
    code: BAD,
    says: /"messageId"/,
  },
  {
    name: 'react: messageId an array',
    frame: react(() => ({ messageId: ['m1'] })),
    code: BAD,
    says: /"messageId"/,
  },
  {
    name: "react: others' chat",
    frame: react((x) => ({ chatId: x.bc, messageId: x.bobMsgInBc.messageId })),
    code: 'NOT_FOUND',
  },
  {
    name: "react: others' message in own chat",
    frame: react((x) => ({ messageId: x.bobMsgInBc.messageId })),
    code: 'NOT_FOUND',
  },
  { name: 'react: unknown message', frame: react(() => ({ messageId: 'm99_x' })), code: 'NOT_FOUND' },
  {
    name: 'react: deleted message',
    frame: react((x) => ({ messageId: x.deleted.messageId })),
    code: 'NOT_FOUND',
  },
  {
    name: 'react: __proto__ field',
    frame: (x) =>
      JSON.parse(
        `{"action":"react","chatId":"${x.bc}","messageId":"${x.bobMsgInBc.messageId}","emoji":"👍","__proto__":{"chatId":"${x.ab}"}}`,
      ),
    code: 'NOT_FOUND',
  },
  // ── reportMessage ────────────────────────────────────────────────────────────────────────
  {
    name: 'report: reason missing',
    frame: report(() => ({ reason: undefined })),
    code: BAD,
    says: /"reason" is required/,
  },
  { name: 'report: reason empty', frame: report(() => ({ reason: '' })), code: BAD, says: /"reason"/ },
  {
    name: 'report: reason 501 chars',
    frame: report(() => ({ reason: 'x'.repeat(501) })),
    code: BAD,
    says: /"reason"/,
  },
  {
    name: 'report: reason an array',
    frame: report(() => ({ reason: ['spam'] })),
    code: BAD,
    says: /"reason"/,
  },
  {
    name: 'report: reason with NUL',
    frame: report(() => ({ reason: 'a\u0000b' })),
    code: BAD,
    says: /"reason"/,
  },
  {
    name: 'report: messageId 65 chars',
    frame: report(() => ({ messageId: 'm'.repeat(65) })),
    code: BAD,
    says: /"messageId"/,
  },
  {
    name: "report: others' chat",
    frame: report((x) => ({ chatId: x.bc, messageId: x.bobMsgInBc.messageId })),
    code: 'NOT_FOUND',
  },
  { name: 'report: unknown message', frame: report(() => ({ messageId: 'm99_x' })), code: 'NOT_FOUND' },
  // ── listReports (alice is no administrator) ─────────────────────────────────────────────
  {
    name: 'listReports: not an administrator',
    frame: reports({}),
    code: 'FORBIDDEN',
    says: /administrators/,
  },
  { name: 'listReports: bad limit, not an administrator', frame: reports({ limit: 0 }), code: 'FORBIDDEN' },
  {
    name: 'listReports: forged cursor',
    frame: reports({ cursor: 'eyJwayI6IkNIQVQjeCJ9' }),
    code: 'FORBIDDEN',
  },
  {
    name: 'listReports: admin field in the frame',
    frame: reports({ admin: true, roles: ['admin'] }),
    code: 'FORBIDDEN',
  },
];

describe('hostile frames: reactions, reports', () => {
  it('has a case for every field of the three actions', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await expectRefusedCleanly(
      {
        stack: t.stack,
        attacker: t.alice,
        everyone: [t.alice, t.bob, t.carol],
        state: () => tableSnapshot(t.stack, t.doc),
      },
      c,
      t.w,
    );
  });
});

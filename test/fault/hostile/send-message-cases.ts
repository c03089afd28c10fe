/** Hostile frames: sendMessage with hostile chatIds, texts, clientMessageIds and replyTos. */
import { type Case, EMOJI, nest, SKIN, send } from './world.ts';

export const SEND_MESSAGE_CASES: Case[] = [
  // ── sendMessage: chatId ────────────────────────────────────────────────────────────────────────────
  { name: 'sendMessage without chatId', frame: () => send({ text: 'hi' }), code: 'BAD_REQUEST' },
  { name: 'numeric chatId', frame: () => send({ chatId: 12345, text: 'hi' }), code: 'BAD_REQUEST' },
  { name: 'empty chatId', frame: () => send({ chatId: '', text: 'hi' }), code: 'BAD_REQUEST' },
  {
    name: 'chatId of 65 chars',
    frame: () => send({ chatId: 'c'.repeat(65), text: 'hi' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'chatId with # (key injection)',
    frame: (x) => send({ chatId: `${x.bc}#META`, text: 'hi' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'chatId with NUL',
    frame: (x) => send({ chatId: `${x.ab}\u0000`, text: 'hi' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'chatId as nested object',
    frame: () => send({ chatId: JSON.parse(nest(500, '{"a":', '}')), text: 'hi' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'chatId as 10000 nested arrays',
    frame: () =>
      `{"action":"sendMessage","requestId":"rq-deep","chatId":${nest(10_000, '[', ']')},"text":"hi"}`,
    code: 'BAD_REQUEST',
    action: 'sendMessage',
  },
  { name: 'chatId __proto__', frame: () => send({ chatId: '__proto__', text: 'hi' }), code: 'NOT_FOUND' },
  { name: 'chatId constructor', frame: () => send({ chatId: 'constructor', text: 'hi' }), code: 'NOT_FOUND' },
  {
    name: 'chatId of a chat that does not exist',
    frame: () => send({ chatId: 'c_doesnotexist000000000', text: 'hi' }),
    code: 'NOT_FOUND',
  },
  {
    name: "chatId of other users' chat",
    frame: (x) => send({ chatId: x.bc, text: 'let me in' }),
    code: 'NOT_FOUND',
  },
  {
    name: 'own chatId behind a zero-width space',
    frame: (x) => send({ chatId: `\u200b${x.ab}`, text: 'hi' }),
    code: 'NOT_FOUND',
  },
  {
    name: 'own chatId with an RTL override',
    frame: (x) => send({ chatId: `${x.ab}\u202e`, text: 'hi' }),
    code: 'NOT_FOUND',
  },
  // ── sendMessage: text ──────────────────────────────────────────────────────────────────────────────
  { name: 'no text', frame: (x) => send({ chatId: x.ab }), code: 'BAD_REQUEST' },
  { name: 'empty text', frame: (x) => send({ chatId: x.ab, text: '' }), code: 'BAD_REQUEST' },
  {
    name: 'whitespace-only text',
    frame: (x) => send({ chatId: x.ab, text: ' \n\t\u00a0\u3000 ' }),
    code: 'BAD_REQUEST',
  },
  { name: 'numeric text', frame: (x) => send({ chatId: x.ab, text: 42 }), code: 'BAD_REQUEST' },
  { name: 'boolean text', frame: (x) => send({ chatId: x.ab, text: true }), code: 'BAD_REQUEST' },
  { name: 'array text', frame: (x) => send({ chatId: x.ab, text: ['hi'] }), code: 'BAD_REQUEST' },
  {
    name: 'object text with toString',
    frame: (x) => send({ chatId: x.ab, text: { toString: 'hi' } }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'text as 10000 nested arrays',
    frame: (x) =>
      `{"action":"sendMessage","requestId":"rq-deep2","chatId":"${x.ab}","text":${nest(10_000, '[', ']', '"hi"')}}`,
    code: 'BAD_REQUEST',
    action: 'sendMessage',
  },
  {
    name: 'text of 4001 characters',
    frame: (x) => send({ chatId: x.ab, text: 'a'.repeat(4001) }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'text of 4001 emoji (code points)',
    frame: (x) => send({ chatId: x.ab, text: EMOJI.repeat(4001) }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'text of 2001 skin-tone emoji (4002 code points)',
    frame: (x) => send({ chatId: x.ab, text: SKIN.repeat(2001) }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'text of 4000 chars behind an RTL override',
    frame: (x) => send({ chatId: x.ab, text: `\u202e${'b'.repeat(4000)}` }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'huge text (60 KB)',
    frame: (x) => send({ chatId: x.ab, text: 'z'.repeat(60_000) }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'lone high surrogate',
    frame: (x) => `{"action":"sendMessage","requestId":"rq-sur1","chatId":"${x.ab}","text":"\\ud800"}`,
    code: 'BAD_REQUEST',
    action: 'sendMessage',
  },
  {
    name: 'lone low surrogate amid text',
    frame: (x) => `{"action":"sendMessage","requestId":"rq-sur2","chatId":"${x.ab}","text":"ok \\udc00 ok"}`,
    code: 'BAD_REQUEST',
    action: 'sendMessage',
  },
  {
    name: 'reversed surrogate pair',
    frame: (x) => `{"action":"sendMessage","requestId":"rq-sur3","chatId":"${x.ab}","text":"\\ude00\\ud83d"}`,
    code: 'BAD_REQUEST',
    action: 'sendMessage',
  },
  // ── sendMessage: clientMessageId, replyTo ──────────────────────────────────────────────────────────
  {
    name: 'clientMessageId of 65 chars',
    frame: (x) => send({ chatId: x.ab, text: 'hi', clientMessageId: 'k'.repeat(65) }),
    code: 'BAD_REQUEST',
  },
  {
    // `#` is fine in a clientMessageId (test/e2e/contract-fields.test.ts); the reserved prefix is not.
    name: 'clientMessageId with # and the reserved prefix',
    frame: (x) => send({ chatId: x.ab, text: 'hi', clientMessageId: 'sched_a#b' }),
    code: 'BAD_REQUEST',
    says: /"clientMessageId" must not start with "sched_"/,
  },
  {
    name: 'clientMessageId with NUL',
    frame: (x) => send({ chatId: x.ab, text: 'hi', clientMessageId: 'a\u0000b' }),
    code: 'BAD_REQUEST',
  },
  {
    // A noncharacter SQS refuses in a queued job's body (docs/protocol.md, Limits): never in an id.
    name: 'clientMessageId with U+FFFF',
    frame: (x) => send({ chatId: x.ab, text: 'hi', clientMessageId: 'a\uFFFFb' }),
    code: 'BAD_REQUEST',
    says: /"clientMessageId" contains characters that are not allowed/,
  },
  {
    name: 'numeric clientMessageId',
    frame: (x) => send({ chatId: x.ab, text: 'hi', clientMessageId: 7 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'replyTo a message of another chat',
    frame: (x) => send({ chatId: x.ab, text: 'hi', replyTo: x.bobMsgInBc.messageId }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'replyTo an invented messageId',
    frame: (x) => send({ chatId: x.ab, text: 'hi', replyTo: 'm1_AAAAAAAAAAAA' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'replyTo an object',
    frame: (x) => send({ chatId: x.ab, text: 'hi', replyTo: { messageId: x.aliceMsgInAb.messageId } }),
    code: 'BAD_REQUEST',
  },
];

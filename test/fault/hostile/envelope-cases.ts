/** Hostile frames: Frames that are not frames, bad actions and bad envelopes (requestId, size, prototype keys). */
import { type Case, nest, send } from './world.ts';

export const ENVELOPE_CASES: Case[] = [
  // ── Not a frame ────────────────────────────────────────────────────────────────────────────────────
  { name: 'plain text', frame: () => 'hello there', code: 'BAD_REQUEST' },
  { name: 'empty frame', frame: () => '', code: 'BAD_REQUEST' },
  { name: 'truncated JSON', frame: () => '{"action":"sendMessage","chatId":', code: 'BAD_REQUEST' },
  { name: 'JSON array', frame: () => '["sendMessage"]', code: 'BAD_REQUEST' },
  { name: 'JSON null', frame: () => 'null', code: 'BAD_REQUEST' },
  { name: 'JSON number', frame: () => '42', code: 'BAD_REQUEST' },
  { name: 'JSON string', frame: () => '"sendMessage"', code: 'BAD_REQUEST' },
  { name: 'NUL bytes', frame: () => '\u0000\u0000\u0000', code: 'BAD_REQUEST' },
  { name: 'deeply nested array frame (10000)', frame: () => nest(10_000, '[', ']'), code: 'BAD_REQUEST' },
  // ── The action ─────────────────────────────────────────────────────────────────────────────────────
  { name: 'no action', frame: () => ({ chatId: 'x' }), code: 'BAD_REQUEST', action: null },
  { name: 'numeric action', frame: () => ({ action: 42 }), code: 'BAD_REQUEST', action: null },
  { name: 'null action', frame: () => ({ action: null }), code: 'BAD_REQUEST', action: null },
  { name: 'array action', frame: () => ({ action: ['sendMessage'] }), code: 'BAD_REQUEST', action: null },
  { name: 'object action', frame: () => ({ action: { $ne: null } }), code: 'BAD_REQUEST', action: null },
  { name: 'action __proto__', frame: () => ({ action: '__proto__' }), code: 'UNKNOWN_ACTION' },
  { name: 'action constructor', frame: () => ({ action: 'constructor' }), code: 'UNKNOWN_ACTION' },
  { name: 'action prototype', frame: () => ({ action: 'prototype' }), code: 'UNKNOWN_ACTION' },
  { name: 'action toString', frame: () => ({ action: 'toString' }), code: 'UNKNOWN_ACTION' },
  { name: 'action hasOwnProperty', frame: () => ({ action: 'hasOwnProperty' }), code: 'UNKNOWN_ACTION' },
  { name: 'action $connect', frame: () => ({ action: '$connect' }), code: 'UNKNOWN_ACTION', action: null },
  {
    name: 'action $disconnect',
    frame: () => ({ action: '$disconnect' }),
    code: 'UNKNOWN_ACTION',
    action: null,
  },
  {
    name: 'action in other case',
    frame: (x) => ({ action: 'SENDMESSAGE', chatId: x.ab, text: 'hi' }),
    code: 'UNKNOWN_ACTION',
  },
  {
    name: 'action with NUL',
    frame: (x) => ({ action: 'sendMessage\u0000', chatId: x.ab, text: 'hi' }),
    code: 'UNKNOWN_ACTION',
  },
  {
    name: 'action with zero-width space',
    frame: (x) => ({ action: 'send\u200bMessage', chatId: x.ab, text: 'hi' }),
    code: 'UNKNOWN_ACTION',
  },
  {
    name: 'huge action (10000 chars)',
    frame: () => ({ action: 'x'.repeat(10_000) }),
    code: 'UNKNOWN_ACTION',
  },
  // ── Envelope ───────────────────────────────────────────────────────────────────────────────────────
  {
    name: 'request over 64 KB (in frames of 32 KB)',
    frame: (x) => send({ chatId: x.ab, text: 'hi', pad: 'x'.repeat(70 * 1024) }),
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'requestId of 65 chars',
    frame: (x) => ({ ...send({ chatId: x.ab, text: 'hi' }), requestId: 'r'.repeat(65) }),
    code: 'BAD_REQUEST',
    says: /"requestId"/,
  },
  {
    name: 'plain text over 64 KB (in frames of 32 KB)',
    frame: () => `hello ${'x'.repeat(70 * 1024)}`,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'numeric requestId',
    frame: (x) => ({ ...send({ chatId: x.ab, text: 'hi' }), requestId: 7 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'fields under __proto__ (prototype pollution)',
    frame: (x) =>
      `{"action":"sendMessage","requestId":"rq-proto","__proto__":{"chatId":"${x.ab}","text":"polluted"}}`,
    code: 'BAD_REQUEST',
    action: 'sendMessage',
  },
  {
    name: 'fields under constructor.prototype',
    frame: (x) => send({ constructor: { prototype: { chatId: x.ab } }, text: 'polluted' }),
    code: 'BAD_REQUEST',
  },
];

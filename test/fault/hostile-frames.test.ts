/**
 * Malformed and hostile frames: each gets the right error frame (the code is asserted), nothing is
 * written (every partition the attacker could touch is compared before and after, and the
 * attacker's chat list too) and the socket stays usable (a ping after each).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectUsers,
  type Message,
  makeDirect,
  makeGroup,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let doc: DynamoDBDocumentClient;
let alice: UserSocket;
let bob: UserSocket;
let carol: UserSocket;

/** What the cases refer to: alice's own chats and messages, and others' she must not touch. */
interface World {
  /** alice ↔ bob (alice is a member). */
  ab: string;
  /** bob ↔ carol (alice is not a member). */
  bc: string;
  /** group owned by bob, alice and carol members. */
  g: string;
  aliceMsgInAb: Message;
  bobMsgInAb: Message;
  bobMsgInBc: Message;
  bobMsgInG: Message;
}
let w: World;

beforeAll(async () => {
  stack = await startTestStack();
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  [alice, bob, carol] = (await connectUsers(stack, 3, 'hostile')) as [UserSocket, UserSocket, UserSocket];
  const ab = (await makeDirect(alice, bob.userId)).chatId;
  const bc = (await makeDirect(bob, carol.userId)).chatId;
  const g = (await makeGroup(bob, [alice.userId, carol.userId], 'bob’s group')).chatId;
  w = {
    ab,
    bc,
    g,
    aliceMsgInAb: await sendText(alice, ab, 'hello bob'),
    bobMsgInAb: await sendText(bob, ab, 'hello alice'),
    bobMsgInBc: await sendText(bob, bc, 'private to carol'),
    bobMsgInG: await sendText(bob, g, 'hello group'),
  };
  await settle(stack, alice, bob, carol);
});
afterAll(async () => {
  await Promise.all([alice, bob, carol].map((s) => s?.close()));
  doc?.destroy();
  await stack?.stop();
});

const nest = (depth: number, open: string, close: string, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
const EMOJI = '😀'; // one code point, two UTF-16 units
const SKIN = '👍🏽'; // two code points

type FrameSpec = string | Record<string, unknown>;

interface Case {
  readonly name: string;
  /** A raw string is sent as is; an object gets a requestId and is JSON-encoded. */
  readonly frame: (w: World) => FrameSpec;
  readonly code: string;
  /** The action the error frame must name (default: the frame's action, null for raw strings). */
  readonly action?: string | null;
}

const send = (fields: Record<string, unknown>) => ({ action: 'sendMessage', ...fields });

const CASES: Case[] = [
  // ── Not a frame ────────────────────────────────────────────────────────────────────────────
  { name: 'plain text', frame: () => 'hello there', code: 'BAD_REQUEST' },
  { name: 'empty frame', frame: () => '', code: 'BAD_REQUEST' },
  { name: 'truncated JSON', frame: () => '{"action":"sendMessage","chatId":', code: 'BAD_REQUEST' },
  { name: 'JSON array', frame: () => '["sendMessage"]', code: 'BAD_REQUEST' },
  { name: 'JSON null', frame: () => 'null', code: 'BAD_REQUEST' },
  { name: 'JSON number', frame: () => '42', code: 'BAD_REQUEST' },
  { name: 'JSON string', frame: () => '"sendMessage"', code: 'BAD_REQUEST' },
  { name: 'NUL bytes', frame: () => '\u0000\u0000\u0000', code: 'BAD_REQUEST' },
  { name: 'deeply nested array frame (10000)', frame: () => nest(10_000, '[', ']'), code: 'BAD_REQUEST' },
  // ── The action ─────────────────────────────────────────────────────────────────────────────
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
  // ── Envelope ───────────────────────────────────────────────────────────────────────────────
  {
    name: 'frame over 64 KB',
    frame: (x) => send({ chatId: x.ab, text: 'hi', pad: 'x'.repeat(70 * 1024) }),
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'requestId of 65 chars',
    frame: (x) => ({ ...send({ chatId: x.ab, text: 'hi' }), requestId: 'r'.repeat(65) }),
    code: 'BAD_REQUEST',
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
  // ── sendMessage: chatId ────────────────────────────────────────────────────────────────────
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
  // ── sendMessage: text ──────────────────────────────────────────────────────────────────────
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
  // ── sendMessage: clientMessageId, replyTo ──────────────────────────────────────────────────
  {
    name: 'clientMessageId of 65 chars',
    frame: (x) => send({ chatId: x.ab, text: 'hi', clientMessageId: 'k'.repeat(65) }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'clientMessageId with #',
    frame: (x) => send({ chatId: x.ab, text: 'hi', clientMessageId: 'a#b' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'clientMessageId with NUL',
    frame: (x) => send({ chatId: x.ab, text: 'hi', clientMessageId: 'a\u0000b' }),
    code: 'BAD_REQUEST',
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
  // ── Other actions: fields ──────────────────────────────────────────────────────────────────
  {
    name: 'createChat with an unknown kind',
    frame: (x) => ({ action: 'createChat', kind: 'channel', userId: x.ab }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat direct with oneself',
    frame: () => ({ action: 'createChat', kind: 'direct', userId: alice.userId }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat direct with an id containing #',
    frame: () => ({ action: 'createChat', kind: 'direct', userId: 'USER#x' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat group with memberIds as a string',
    frame: () => ({ action: 'createChat', kind: 'group', name: 'g', memberIds: 'bob' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat group with a numeric member',
    frame: () => ({ action: 'createChat', kind: 'group', name: 'g', memberIds: [1] }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat group of 1001',
    frame: () => ({
      action: 'createChat',
      kind: 'group',
      name: 'big',
      memberIds: Array.from({ length: 1000 }, (_, i) => `m${i}`),
    }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat group name of 101 emoji',
    frame: () => ({ action: 'createChat', kind: 'group', name: EMOJI.repeat(101), memberIds: [] }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'history with before and after',
    frame: (x) => ({ action: 'history', chatId: x.ab, before: 5, after: 1 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'history limit 0',
    frame: (x) => ({ action: 'history', chatId: x.ab, limit: 0 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'history limit 101',
    frame: (x) => ({ action: 'history', chatId: x.ab, limit: 101 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'history limit as a string',
    frame: (x) => ({ action: 'history', chatId: x.ab, limit: '10' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'history before 1.5',
    frame: (x) => ({ action: 'history', chatId: x.ab, before: 1.5 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'history before -1',
    frame: (x) => ({ action: 'history', chatId: x.ab, before: -1 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'typing with isTyping "yes"',
    frame: (x) => ({ action: 'typing', chatId: x.ab, isTyping: 'yes' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'invite with no ids',
    frame: (x) => ({ action: 'invite', chatId: x.ab, userIds: [] }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'invite with 51 ids',
    frame: (x) => ({
      action: 'invite',
      chatId: x.ab,
      userIds: Array.from({ length: 51 }, (_, i) => `i${i}`),
    }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'getPresence with no ids',
    frame: () => ({ action: 'getPresence', userIds: [] }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'getPresence with 101 ids',
    frame: () => ({ action: 'getPresence', userIds: Array.from({ length: 101 }, (_, i) => `p${i}`) }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'getPresence with a string',
    frame: () => ({ action: 'getPresence', userIds: 'bob' }),
    code: 'BAD_REQUEST',
  },
  // ── Others' chats and messages ─────────────────────────────────────────────────────────────
  { name: "getChat of others' chat", frame: (x) => ({ action: 'getChat', chatId: x.bc }), code: 'NOT_FOUND' },
  { name: "history of others' chat", frame: (x) => ({ action: 'history', chatId: x.bc }), code: 'NOT_FOUND' },
  { name: "typing in others' chat", frame: (x) => ({ action: 'typing', chatId: x.bc }), code: 'NOT_FOUND' },
  {
    name: "readMessage in others' chat",
    frame: (x) => ({ action: 'readMessage', chatId: x.bc, messageId: x.bobMsgInBc.messageId }),
    code: 'NOT_FOUND',
  },
  {
    name: 'readMessage of a message of another chat',
    frame: (x) => ({ action: 'readMessage', chatId: x.ab, messageId: x.bobMsgInBc.messageId }),
    code: 'NOT_FOUND',
  },
  {
    name: "editMessage of bob's message",
    frame: (x) => ({
      action: 'editMessage',
      chatId: x.ab,
      messageId: x.bobMsgInAb.messageId,
      text: 'mine now',
    }),
    code: 'FORBIDDEN',
  },
  {
    name: "editMessage in others' chat",
    frame: (x) => ({ action: 'editMessage', chatId: x.bc, messageId: x.bobMsgInBc.messageId, text: 'x' }),
    code: 'NOT_FOUND',
  },
  {
    name: 'editMessage naming a message of another chat',
    frame: (x) => ({ action: 'editMessage', chatId: x.ab, messageId: x.bobMsgInBc.messageId, text: 'x' }),
    code: 'NOT_FOUND',
  },
  {
    name: "deleteMessage of bob's group message",
    frame: (x) => ({ action: 'deleteMessage', chatId: x.g, messageId: x.bobMsgInG.messageId }),
    code: 'FORBIDDEN',
  },
  {
    name: "deleteMessage in others' chat",
    frame: (x) => ({ action: 'deleteMessage', chatId: x.bc, messageId: x.bobMsgInBc.messageId }),
    code: 'NOT_FOUND',
  },
  {
    name: "invite into bob's group (not the owner)",
    frame: (x) => ({ action: 'invite', chatId: x.g, userIds: ['mallory'] }),
    code: 'FORBIDDEN',
  },
  {
    name: "invite into others' chat",
    frame: (x) => ({ action: 'invite', chatId: x.bc, userIds: [alice.userId] }),
    code: 'NOT_FOUND',
  },
  {
    name: "removeMember of carol from bob's group",
    frame: (x) => ({ action: 'removeMember', chatId: x.g, userId: carol.userId }),
    code: 'FORBIDDEN',
  },
  {
    name: 'removeMember (leave) of a direct chat',
    frame: (x) => ({ action: 'removeMember', chatId: x.ab, userId: alice.userId }),
    code: 'FORBIDDEN',
  },
  {
    name: "removeMember in others' chat",
    frame: (x) => ({ action: 'removeMember', chatId: x.bc, userId: carol.userId }),
    code: 'NOT_FOUND',
  },
  {
    name: "deleteChat of bob's group",
    frame: (x) => ({ action: 'deleteChat', chatId: x.g }),
    code: 'FORBIDDEN',
  },
  {
    name: "deleteChat of others' chat",
    frame: (x) => ({ action: 'deleteChat', chatId: x.bc }),
    code: 'NOT_FOUND',
  },
];

/**
 * Everything alice's frames could have changed: the whole table (it belongs to this file, so it is
 * small), read consistently in one Scan — a write anywhere, even to a partition nobody knew of, shows.
 */
async function snapshot(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ExclusiveStartKey }),
    );
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort((a, b) => (`${a.pk}|${a.sk}` < `${b.pk}|${b.sk}` ? -1 : 1));
}

let counter = 0;

async function exchange(
  socket: UserSocket,
  spec: FrameSpec,
): Promise<{ reply: Frame; requestId: string | null }> {
  if (typeof spec === 'string') {
    const match = /"requestId":"([^"]+)"/.exec(spec);
    const requestId = match?.[1] ?? null;
    const from = socket.frames.length;
    socket.sendRaw(spec);
    const reply = await socket.waitFor(
      (f) => socket.frames.indexOf(f) >= from && (f.type === 'error' || f.type === 'ack'),
      10_000,
      'reply to a raw frame',
    );
    return { reply, requestId };
  }
  const requestId = 'requestId' in spec ? null : `hostile-${++counter}`;
  const frame = requestId ? { ...spec, requestId } : spec;
  const from = socket.frames.length;
  socket.send(frame);
  const reply = await socket.waitFor(
    (f) =>
      socket.frames.indexOf(f) >= from &&
      (f.type === 'error' || f.type === 'ack') &&
      (requestId === null || f.requestId === requestId),
    10_000,
    'reply',
  );
  return { reply, requestId };
}

describe('malformed and hostile frames', () => {
  it('has at least 50 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshot();
    const marks = [alice, bob, carol].map((s) => s.frames.length);
    const spec = c.frame(w);
    const { reply, requestId } = await exchange(alice, spec);
    expect(reply).toMatchObject({ type: 'error', code: c.code });
    expect(typeof reply.message).toBe('string');
    // No internals leak into the message.
    expect(String(reply.message)).not.toMatch(/at .*\.ts:\d+|Exception|stack/i);
    if (requestId !== null) expect(reply.requestId).toBe(requestId);
    if (c.action !== undefined) expect(reply.action).toBe(c.action);
    else if (typeof spec === 'object' && typeof spec.action === 'string')
      expect(reply.action).toBe(spec.action);
    await settle(stack, alice, bob, carol);
    const after = await snapshot();
    expect(after.length).toBeGreaterThan(10);
    expect(after).toEqual(before);
    // Nobody got an event out of it.
    [alice, bob, carol].forEach((s, i) => {
      const events = s.frames
        .slice(marks[i])
        .filter((f) => !['ack', 'error', 'pong'].includes(String(f.type)));
      expect(events).toEqual([]);
    });
    // settle() has just pinged every socket: alice's socket answered after the hostile frame.
    expect(alice.frames.at(-1)).toMatchObject({ type: 'pong' });
    expect(alice.isOpen).toBe(true);
  });

  it('left the world intact: the real messages are still there, unchanged', async () => {
    const ab = await alice.ok('history', { chatId: w.ab });
    expect(ab.messages).toEqual([w.aliceMsgInAb, w.bobMsgInAb]);
    const bc = await bob.ok('history', { chatId: w.bc });
    expect(bc.messages).toEqual([w.bobMsgInBc]);
    const g = await carol.ok('getChat', { chatId: w.g });
    expect((g.chat as { ownerId: string }).ownerId).toBe(bob.userId);
    expect(((g.chat as { members: unknown[] }).members ?? []).length).toBe(3);
  });
});

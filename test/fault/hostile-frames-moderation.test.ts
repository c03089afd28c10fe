/**
 * Malformed and hostile frames for the actions of issue 14 (react, reportMessage, listReports), as in
 * hostile-frames.test.ts: each gets the right error frame naming what to fix, nothing is written
 * anywhere (the whole table is compared before and after), nobody gets an event, and the socket stays
 * usable. Alice is no administrator: listReports is FORBIDDEN whatever its fields.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectUsers,
  type Message,
  makeDirect,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshot } from './hostile/harness.ts';

let stack: TestStack;
let doc: DynamoDBDocumentClient;
let alice: UserSocket;
let bob: UserSocket;
let carol: UserSocket;

interface World {
  /** alice ↔ bob, with one message of bob's and one deleted message of alice's. */
  ab: string;
  /** bob ↔ carol (alice is not a member). */
  bc: string;
  msg: Message;
  deleted: Message;
  bobMsgInBc: Message;
}
let w: World;

beforeAll(async () => {
  stack = await startTestStack();
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  [alice, bob, carol] = (await connectUsers(stack, 3, 'hostile-m')) as [UserSocket, UserSocket, UserSocket];
  const ab = (await makeDirect(alice, bob.userId)).chatId;
  const bc = (await makeDirect(bob, carol.userId)).chatId;
  const msg = await sendText(bob, ab, 'react to me');
  const deleted = await sendText(alice, ab, 'gone');
  await alice.ok('deleteMessage', { chatId: ab, messageId: deleted.messageId });
  w = { ab, bc, msg, deleted, bobMsgInBc: await sendText(bob, bc, 'private') };
  await settle(stack, alice, bob, carol);
});
afterAll(async () => {
  await Promise.all([alice, bob, carol].map((s) => s?.close()));
  doc?.destroy();
  await stack?.stop();
});

interface Case {
  readonly name: string;
  readonly frame: (w: World) => Record<string, unknown>;
  readonly code: string;
  readonly says?: RegExp;
}

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

/** The whole table (the shared harness's snapshot: test/fault/hostile/harness.ts). */
async function snapshot(): Promise<Record<string, unknown>[]> {
  return tableSnapshot(stack, doc);
}

describe('hostile frames: reactions, reports', () => {
  it('has a case for every field of the three actions', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshot();
    const marks = [alice, bob, carol].map((s) => s.frames.length);
    const { action, ...fields } = c.frame(w);
    const reply = await alice.request(String(action), fields);
    expect(reply).toMatchObject({ type: 'error', code: c.code, action });
    expect(String(reply.message)).not.toMatch(/at .*\.ts:\d+|Exception|stack/i);
    if (c.says) expect(String(reply.message)).toMatch(c.says);
    await settle(stack, alice, bob, carol);
    expect(await snapshot()).toEqual(before);
    [alice, bob, carol].forEach((s, i) => {
      const events = s.frames
        .slice(marks[i])
        .filter((f) => !['ack', 'error', 'pong'].includes(String(f.type)));
      expect(events).toEqual([]);
    });
    expect(alice.isOpen).toBe(true);
  });
});

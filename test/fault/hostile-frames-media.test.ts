/**
 * Malformed and hostile frames of the media actions (requestUpload, getAttachmentUrl, and
 * sendMessage's attachments): each gets the right error frame, nothing is written — neither to the
 * table (the whole table compared before and after) nor to the media bucket (every object and its
 * tags compared) — nobody gets an event, and the socket stays usable.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { type Message, makeDirect } from '../support/chat.ts';
import { FILES, s3Of, uploadFile } from '../support/media.ts';
import { inMs } from '../support/scheduled.ts';
import { useTrio } from '../support/trio.ts';
import { bucketSnapshot, expectRefusedCleanly, type HostileCase, tableSnapshot } from './hostile/harness.ts';

interface World {
  /** alice ↔ bob */
  ab: string;
  /** bob ↔ carol (alice is not a member) */
  bc: string;
  /** alice's uploaded, unsent image in ab */
  aliceUpload: string;
  /** bob's uploaded, unsent image in ab */
  bobUpload: string;
  /** bob's message with an image in bc */
  bcMessage: Message;
}

let s3: S3Client;

const t = useTrio<World>('hostile-media', async ({ stack, alice, bob, carol }) => {
  s3 = s3Of(stack);
  const ab = (await makeDirect(alice, bob.userId)).chatId;
  const bc = (await makeDirect(bob, carol.userId)).chatId;
  const bcUpload = await uploadFile(bob, bc, FILES.png(), 'image/png');
  return {
    ab,
    bc,
    aliceUpload: await uploadFile(alice, ab, FILES.png(), 'image/png'),
    bobUpload: await uploadFile(bob, ab, FILES.png(), 'image/png'),
    bcMessage: (await bob.ok('sendMessage', { chatId: bc, text: '', attachments: [{ uploadId: bcUpload }] }))
      .message as Message,
  };
});
afterAll(() => s3?.destroy());

type Case = HostileCase<World>;
/** A world to look at the cases' frames with before the real one exists. */
const PLACEHOLDER: World = {
  ab: 'c_ab',
  bc: 'c_bc',
  aliceUpload: 'u_alice',
  bobUpload: 'u_bob',
  bcMessage: { attachments: [] } as unknown as Message,
};

const upload = (fields: Record<string, unknown>) => ({
  action: 'requestUpload',
  contentType: 'image/png',
  size: 100,
  ...fields,
});
const url = (fields: Record<string, unknown>) => ({ action: 'getAttachmentUrl', ...fields });
const send = (fields: Record<string, unknown>) => ({ action: 'sendMessage', text: '', ...fields });

const CASES: Case[] = [
  // ── requestUpload ──────────────────────────────────────────────────────────────────────────
  {
    name: 'requestUpload without chatId',
    frame: () => upload({}),
    code: 'BAD_REQUEST',
    says: /"chatId" is required/,
  },
  {
    name: 'requestUpload with chatId #META',
    frame: (x) => upload({ chatId: `${x.ab}#META` }),
    code: 'BAD_REQUEST',
    says: /"chatId"/,
  },
  { name: "requestUpload in others' chat", frame: (x) => upload({ chatId: x.bc }), code: 'NOT_FOUND' },
  {
    name: 'requestUpload without contentType',
    frame: (x) => ({ action: 'requestUpload', chatId: x.ab, size: 9 }),
    code: 'BAD_REQUEST',
    says: /"contentType"/,
  },
  {
    name: 'numeric contentType',
    frame: (x) => upload({ chatId: x.ab, contentType: 7 }),
    code: 'BAD_REQUEST',
    says: /"contentType"/,
  },
  {
    name: 'contentType array',
    frame: (x) => upload({ chatId: x.ab, contentType: ['image/png'] }),
    code: 'BAD_REQUEST',
    says: /"contentType"/,
  },
  {
    name: 'contentType with NUL',
    frame: (x) => upload({ chatId: x.ab, contentType: 'image/png\u0000' }),
    code: 'BAD_REQUEST',
    says: /"contentType"/,
  },
  {
    name: 'contentType with CRLF (header injection)',
    frame: (x) => upload({ chatId: x.ab, contentType: 'image/png\r\nx-amz-tagging: chat-media=attached' }),
    code: 'BAD_REQUEST',
    says: /"contentType"/,
  },
  {
    name: 'contentType of 300 characters',
    frame: (x) => upload({ chatId: x.ab, contentType: `image/png;${'a'.repeat(290)}` }),
    code: 'BAD_REQUEST',
    says: /"contentType" must be at most 255/,
  },
  {
    name: 'contentType text/html',
    frame: (x) => upload({ chatId: x.ab, contentType: 'text/html' }),
    code: 'BAD_REQUEST',
    says: /"contentType" is not an allowed type/,
  },
  {
    name: 'contentType image/svg+xml',
    frame: (x) => upload({ chatId: x.ab, contentType: 'image/svg+xml' }),
    code: 'BAD_REQUEST',
    says: /"contentType"/,
  },
  {
    name: 'requestUpload without size',
    frame: (x) => ({ action: 'requestUpload', chatId: x.ab, contentType: 'image/png' }),
    code: 'BAD_REQUEST',
    says: /"size" is required/,
  },
  {
    name: 'size as a string',
    frame: (x) => upload({ chatId: x.ab, size: '100' }),
    code: 'BAD_REQUEST',
    says: /"size" must be an integer/,
  },
  {
    name: 'negative size',
    frame: (x) => upload({ chatId: x.ab, size: -1 }),
    code: 'BAD_REQUEST',
    says: /"size"/,
  },
  { name: 'size 0', frame: (x) => upload({ chatId: x.ab, size: 0 }), code: 'BAD_REQUEST', says: /"size"/ },
  {
    name: 'size 1e400 (Infinity)',
    action: 'requestUpload',
    frame: (x) =>
      `{"action":"requestUpload","requestId":"RID","chatId":"${x.ab}","contentType":"image/png","size":1e400}`,
    code: 'BAD_REQUEST',
    says: /"size"/,
  },
  {
    name: 'size over every limit',
    frame: (x) => upload({ chatId: x.ab, contentType: 'application/pdf', size: 2 ** 53 }),
    code: 'BAD_REQUEST',
    says: /"size"/,
  },
  {
    name: 'image size of a video',
    frame: (x) => upload({ chatId: x.ab, size: 150 * 1024 * 1024 }),
    code: 'BAD_REQUEST',
    says: /"size" is over the limit/,
  },
  {
    name: 'numeric fileName',
    frame: (x) => upload({ chatId: x.ab, fileName: 5 }),
    code: 'BAD_REQUEST',
    says: /"fileName"/,
  },
  {
    name: 'blank fileName',
    frame: (x) => upload({ chatId: x.ab, fileName: '   ' }),
    code: 'BAD_REQUEST',
    says: /"fileName" must not be empty/,
  },
  {
    name: 'fileName with a newline',
    frame: (x) => upload({ chatId: x.ab, fileName: 'a\nb.png' }),
    code: 'BAD_REQUEST',
    says: /"fileName"/,
  },
  {
    name: 'fileName with a lone surrogate',
    action: 'requestUpload',
    frame: (x) =>
      `{"action":"requestUpload","requestId":"RID","chatId":"${x.ab}","contentType":"image/png","size":9,"fileName":"\\ud800.png"}`,
    code: 'BAD_REQUEST',
    says: /"fileName"/,
  },
  // ── getAttachmentUrl ───────────────────────────────────────────────────────────────────────
  {
    name: 'getAttachmentUrl without attachmentId',
    frame: (x) => url({ chatId: x.bc, messageId: x.bcMessage.messageId }),
    code: 'BAD_REQUEST',
    says: /"attachmentId" is required/,
  },
  {
    name: 'attachmentId with #',
    frame: (x) => url({ chatId: x.ab, messageId: 'm1_AAAAAAAAAAAA', attachmentId: 'up#x' }),
    code: 'BAD_REQUEST',
    says: /"attachmentId"/,
  },
  {
    name: 'messageId as an object',
    frame: (x) => url({ chatId: x.ab, messageId: { $gt: '' }, attachmentId: 'up_x' }),
    code: 'BAD_REQUEST',
    says: /"messageId"/,
  },
  {
    name: "getAttachmentUrl of others' chat",
    frame: (x) =>
      url({
        chatId: x.bc,
        messageId: x.bcMessage.messageId,
        attachmentId: x.bcMessage.attachments[0]?.attachmentId,
      }),
    code: 'NOT_FOUND',
  },
  {
    name: "others' attachment through an own chat",
    frame: (x) =>
      url({
        chatId: x.ab,
        messageId: x.bcMessage.messageId,
        attachmentId: x.bcMessage.attachments[0]?.attachmentId,
      }),
    code: 'NOT_FOUND',
  },
  {
    name: 'an upload that is no attachment yet',
    frame: (x) => url({ chatId: x.ab, messageId: 'm1_AAAAAAAAAAAA', attachmentId: x.aliceUpload }),
    code: 'NOT_FOUND',
  },
  // ── sendMessage: attachments ───────────────────────────────────────────────────────────────
  {
    name: 'attachments as a string',
    frame: (x) => send({ chatId: x.ab, attachments: x.aliceUpload }),
    code: 'BAD_REQUEST',
    says: /"attachments" must be an array/,
  },
  {
    name: 'attachments as an object',
    frame: (x) => send({ chatId: x.ab, attachments: { uploadId: x.aliceUpload } }),
    code: 'BAD_REQUEST',
    says: /"attachments"/,
  },
  {
    name: 'empty attachments and empty text',
    frame: (x) => send({ chatId: x.ab, attachments: [] }),
    code: 'BAD_REQUEST',
    says: /"attachments" must hold at least 1/,
  },
  {
    name: 'null attachments and empty text',
    frame: (x) => send({ chatId: x.ab, attachments: null }),
    code: 'BAD_REQUEST',
    says: /"text" is required/,
  },
  {
    name: '11 attachments',
    frame: (x) =>
      send({ chatId: x.ab, attachments: Array.from({ length: 11 }, () => ({ uploadId: x.aliceUpload })) }),
    code: 'BAD_REQUEST',
    says: /at most 10 attachments/,
  },
  {
    name: 'attachment as a bare id',
    frame: (x) => send({ chatId: x.ab, attachments: [x.aliceUpload] }),
    code: 'BAD_REQUEST',
    says: /"attachments\[0\]"/,
  },
  {
    name: 'attachment without uploadId',
    frame: (x) => send({ chatId: x.ab, attachments: [{ id: x.aliceUpload }] }),
    code: 'BAD_REQUEST',
    says: /"attachments\[0\]\.uploadId" is required/,
  },
  {
    name: 'numeric uploadId',
    frame: (x) => send({ chatId: x.ab, attachments: [{ uploadId: 1 }] }),
    code: 'BAD_REQUEST',
    says: /"attachments\[0\]\.uploadId"/,
  },
  {
    name: 'uploadId with # (key injection)',
    frame: (x) => send({ chatId: x.ab, attachments: [{ uploadId: `${x.aliceUpload}#X` }] }),
    code: 'BAD_REQUEST',
    says: /"attachments\[0\]\.uploadId"/,
  },
  {
    name: 'uploadId as a path',
    frame: (x) => send({ chatId: x.ab, attachments: [{ uploadId: `../${x.bc}/${x.aliceUpload}` }] }),
    code: 'BAD_REQUEST',
    says: /is not an upload you requested/,
  },
  {
    name: 'uploadId __proto__',
    frame: (x) => send({ chatId: x.ab, attachments: [{ uploadId: '__proto__' }] }),
    code: 'BAD_REQUEST',
    says: /is not an upload you requested/,
  },
  {
    name: 'uploadId under __proto__',
    action: 'sendMessage',
    frame: (x) =>
      `{"action":"sendMessage","requestId":"RID","chatId":"${x.ab}","text":"","attachments":[{"__proto__":{"uploadId":"${x.aliceUpload}"}}]}`,
    code: 'BAD_REQUEST',
    says: /"attachments\[0\]\.uploadId" is required/,
  },
  {
    name: "bob's upload sent by alice",
    frame: (x) => send({ chatId: x.ab, attachments: [{ uploadId: x.bobUpload }] }),
    code: 'BAD_REQUEST',
    says: /is not an upload you requested/,
  },
  {
    name: "an attachment of others' message",
    frame: (x) =>
      send({ chatId: x.ab, attachments: [{ uploadId: x.bcMessage.attachments[0]?.attachmentId }] }),
    code: 'BAD_REQUEST',
    says: /is not an upload you requested/,
  },
  {
    name: 'a good upload listed twice',
    frame: (x) =>
      send({ chatId: x.ab, attachments: [{ uploadId: x.aliceUpload }, { uploadId: x.aliceUpload }] }),
    code: 'BAD_REQUEST',
    says: /"attachments\[1\]\.uploadId" names an upload listed before/,
  },
  {
    name: 'a good upload in a chat that is not alice’s',
    frame: (x) => send({ chatId: x.bc, attachments: [{ uploadId: x.aliceUpload }] }),
    code: 'NOT_FOUND',
  },
];

/**
 * scheduleMessage checks its attachments as sendMessage does: each sendMessage case again as a
 * schedule an hour ahead (a refused one claims nothing: the bucket's tags are compared as well).
 */
const asSchedule = (c: Case): Case => ({
  ...c,
  name: `scheduleMessage: ${c.name}`,
  ...(c.action === undefined ? {} : { action: 'scheduleMessage' }),
  frame: (x) => {
    const spec = c.frame(x);
    const sendAt = inMs(3600_000);
    return typeof spec === 'string'
      ? spec.replace('"action":"sendMessage"', `"action":"scheduleMessage","sendAt":"${sendAt}"`)
      : { ...spec, action: 'scheduleMessage', sendAt };
  },
});
const SCHEDULE_CASES = CASES.filter((c) => {
  const spec = c.frame(PLACEHOLDER);
  return typeof spec === 'string' ? spec.includes('"action":"sendMessage"') : spec.action === 'sendMessage';
}).map(asSchedule);

describe('hostile media frames', () => {
  it('has at least 40 cases, each named once', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it('runs every sendMessage attachment case as a scheduleMessage too', () => {
    expect(SCHEDULE_CASES.length).toBeGreaterThanOrEqual(15);
  });

  it.each([...CASES, ...SCHEDULE_CASES].map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await expectRefusedCleanly(
      {
        stack: t.stack,
        attacker: t.alice,
        everyone: [t.alice, t.bob, t.carol],
        state: async () => ({
          table: await tableSnapshot(t.stack, t.doc),
          bucket: await bucketSnapshot(t.stack, s3),
        }),
        idle: () => t.stack.scheduler.idle(),
      },
      c,
      t.w,
    );
  });

  it('left the uploads usable by their owners', async () => {
    const sent = await t.alice.ok('sendMessage', {
      chatId: t.w.ab,
      text: '',
      attachments: [{ uploadId: t.w.aliceUpload }],
    });
    expect((sent.message as Message).attachments.map((a) => a.attachmentId)).toEqual([t.w.aliceUpload]);
    const url = await t.carol.ok('getAttachmentUrl', {
      chatId: t.w.bc,
      messageId: t.w.bcMessage.messageId,
      attachmentId: t.w.bcMessage.attachments[0]?.attachmentId,
    });
    expect((await fetch(String(url.url))).status).toBe(200);
  });
});

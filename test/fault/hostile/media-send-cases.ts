/** Hostile frames: sendMessage's attachments, and the same cases as schedules an hour ahead. */
import { inMs } from '../../support/scheduled.ts';
import { type Case, PLACEHOLDER } from './media-cases.ts';

const send = (fields: Record<string, unknown>) => ({ action: 'sendMessage', text: '', ...fields });

export const SEND_CASES: Case[] = [
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
export const SCHEDULE_CASES = SEND_CASES.filter((c) => {
  const spec = c.frame(PLACEHOLDER);
  return typeof spec === 'string' ? spec.includes('"action":"sendMessage"') : spec.action === 'sendMessage';
}).map(asSchedule);

/**
 * Hostile media frames: requestUpload and getAttachmentUrl, and the world they run in (sendMessage's
 * attachments: media-send-cases.ts).
 */
import type { Message } from '../../support/chat.ts';
import type { HostileCase } from './harness.ts';

export interface World {
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

export type Case = HostileCase<World>;
/** A world to look at the cases' frames with before the real one exists. */
export const PLACEHOLDER: World = {
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

export const UPLOAD_CASES: Case[] = [
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
];

/**
 * Every media refusal, end to end: the exact error frame naming the field, nothing written to the
 * chat's partition, no object re-tagged as attached, and the socket still usable. The local S3
 * stand-in does not check the signed length and type of a PUT (real S3 does), so these PUTs can
 * store what a hostile client likes; the server-side checks are what refuses it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Upload } from '../../lambdas/contract/objects.ts';
import {
  connectUsers,
  expectRefused,
  type Message,
  makeDirect,
  makeGroup,
  type UserSocket,
} from '../support/chat.ts';
import { FILES, putBytes, requestUpload, s3Of, tagsOf, uploadFile } from '../support/media.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let s3: S3Client;
let alice: UserSocket;
let bob: UserSocket;
let carol: UserSocket;
/** alice ↔ bob */
let ab: string;
/** alice, bob, carol */
let group: string;
/** bob ↔ carol (alice is not a member) */
let bc: string;

beforeAll(async () => {
  stack = await startTestStack();
  s3 = s3Of(stack);
  [alice, bob, carol] = (await connectUsers(stack, 3, 'refuse')) as [UserSocket, UserSocket, UserSocket];
  ab = (await makeDirect(alice, bob.userId)).chatId;
  bc = (await makeDirect(bob, carol.userId)).chatId;
  group = (await makeGroup(alice, [bob.userId, carol.userId], 'media refusals')).chatId;
});
afterAll(async () => {
  await Promise.all([alice, bob, carol].map((s) => s?.close()));
  s3?.destroy();
  await stack?.stop();
});

const attach = (...uploadIds: string[]) => uploadIds.map((uploadId) => ({ uploadId }));

/** A refused send: the error frame, nothing written, the socket fine, the objects not attached. */
async function refusedSend(
  socket: UserSocket,
  chatId: string,
  uploadIds: string[],
  message: RegExp,
  objectsIn = chatId,
) {
  await expectRefused(
    stack,
    socket,
    'sendMessage',
    { chatId, text: '', attachments: attach(...uploadIds) },
    'BAD_REQUEST',
    {
      message,
    },
  );
  for (const id of uploadIds) {
    const tags = await tagsOf(stack, s3, objectsIn, id).catch(() => []);
    expect(tags).not.toContain('chat-media=attached');
  }
}

describe('requestUpload refuses', () => {
  it.each([
    [
      'a type that is not allowed',
      { contentType: 'text/html', size: 10 },
      /"contentType" is not an allowed type/,
    ],
    ['an executable', { contentType: 'application/x-msdownload', size: 10 }, /"contentType"/],
    ['SVG (scriptable)', { contentType: 'image/svg+xml', size: 10 }, /"contentType"/],
    [
      'an image over 20 MB',
      { contentType: 'image/png', size: 20 * 1024 * 1024 + 1 },
      /"size" is over the limit/,
    ],
    ['a video over 200 MB', { contentType: 'video/mp4', size: 200 * 1024 * 1024 + 1 }, /"size"/],
    ['an empty file', { contentType: 'image/png', size: 0 }, /"size" must be between 1/],
    [
      'a fractional size',
      { contentType: 'image/png', size: 1.5 },
      /"size" must be a whole number, not 1\.5\./,
    ],
    [
      'a file name with a control character',
      { contentType: 'application/pdf', size: 9, fileName: 'a\u0007.pdf' },
      /"fileName"/,
    ],
    [
      'a file name with an RTL override',
      { contentType: 'application/pdf', size: 9, fileName: 'cod\u202efdp.exe' },
      /"fileName"/,
    ],
    [
      'a file name over 200 characters',
      { contentType: 'application/pdf', size: 9, fileName: `${'n'.repeat(201)}` },
      /"fileName"/,
    ],
  ])('%s (BAD_REQUEST naming the field)', async (_name, fields, message) => {
    await expectRefused(stack, alice, 'requestUpload', { chatId: ab, ...fields }, 'BAD_REQUEST', { message });
  });

  it('in a chat the caller is not a member of (NOT_FOUND, nothing stored)', async () => {
    await expectRefused(
      stack,
      alice,
      'requestUpload',
      { chatId: bc, contentType: 'image/png', size: 10 },
      'NOT_FOUND',
    );
    await expectRefused(
      stack,
      alice,
      'requestUpload',
      { chatId: 'c_nope', contentType: 'image/png', size: 10 },
      'NOT_FOUND',
    );
  });
});

describe('sendMessage with attachments refuses', () => {
  it('an upload another user requested', async () => {
    const id = await uploadFile(alice, group, FILES.png(), 'image/png');
    await refusedSend(
      bob,
      group,
      [id],
      /"attachments\[0\]\.uploadId" is not an upload you requested for this chat/,
    );
  });

  it('an upload requested for another chat', async () => {
    const id = await uploadFile(alice, group, FILES.png(), 'image/png');
    await refusedSend(alice, ab, [id], /"attachments\[0\]\.uploadId" is not an upload you requested/, group);
  });

  it('an upload id that does not exist', async () => {
    await refusedSend(alice, ab, ['up_doesnotexist'], /"attachments\[0\]\.uploadId" is not an upload/);
  });

  it('an upload already sent (without, and with another, clientMessageId)', async () => {
    const id = await uploadFile(alice, ab, FILES.png(), 'image/png');
    const first = await alice.ok('sendMessage', {
      chatId: ab,
      text: '',
      attachments: attach(id),
      clientMessageId: 'k1',
    });
    expect((first.message as Message).attachments).toHaveLength(1);
    for (const extra of [{}, { clientMessageId: 'k2' }]) {
      await expectRefused(
        stack,
        alice,
        'sendMessage',
        { chatId: ab, text: 'again', attachments: attach(id), ...extra },
        'BAD_REQUEST',
        {
          message: /was already sent in another message; request a new upload/,
        },
      );
    }
  });

  it('the same upload twice in one message', async () => {
    const id = await uploadFile(alice, ab, FILES.png(), 'image/png');
    await refusedSend(alice, ab, [id, id], /"attachments\[1\]\.uploadId" names an upload listed before it/);
  });

  it('an upload whose bytes were never PUT', async () => {
    // The stand-in answers the function's GET 403 AccessDenied, as S3 does without s3:ListBucket.
    const upload = await requestUpload(alice, ab, 'image/png', 2048);
    await refusedSend(alice, ab, [upload.uploadId], /has no file yet: PUT the bytes to the upload URL first/);
  });

  it('bytes of another size than declared', async () => {
    const upload = await requestUpload(alice, ab, 'image/png', 2048);
    // A client ignoring the signed Content-Length (real S3 would refuse the PUT itself).
    const res = await fetch(upload.url, {
      method: 'PUT',
      headers: { 'content-type': 'image/png', 'if-none-match': '*' },
      body: FILES.png(1000),
    });
    expect(res.status).toBe(200);
    await refusedSend(alice, ab, [upload.uploadId], /the stored file is 1000 bytes, not the 2048 declared/);
  });

  it('bytes stored with another type than declared', async () => {
    const upload = await requestUpload(alice, ab, 'image/png', 512);
    await putWith(upload, FILES.png(512), 'text/html');
    await refusedSend(
      alice,
      ab,
      [upload.uploadId],
      /the stored file's type is "text\/html", not the "image\/png" declared/,
    );
  });

  it.each([
    ['an HTML page declared as a PNG', 'image/png', FILES.html(600)],
    ['an executable declared as a JPEG', 'image/jpeg', FILES.exe(600)],
    ['a JPEG declared as a PNG', 'image/png', FILES.jpeg(600)],
    ['a PNG declared as a GIF', 'image/gif', FILES.png(600)],
    ['random bytes declared as WebP', 'image/webp', FILES.any(600)],
    ['a generic HEIF without an HEVC brand declared as HEIC', 'image/heic', heifWithout()],
  ])('%s (the first bytes tell)', async (_name, type, bytes) => {
    const upload = await requestUpload(alice, ab, type, bytes.length);
    expect((await putBytes(upload, bytes)).status).toBe(200);
    await refusedSend(alice, ab, [upload.uploadId], /the file's content is not image\/\w+\./);
  });

  it('a message whose second upload is bad, leaving the good first one usable', async () => {
    const good = await uploadFile(alice, ab, FILES.png(), 'image/png');
    const bad = await requestUpload(alice, ab, 'image/png', 100);
    await refusedSend(alice, ab, [good, bad.uploadId], /"attachments\[1\]\.uploadId" has no file yet/);
    const sent = await alice.ok('sendMessage', { chatId: ab, text: 'ok', attachments: attach(good) });
    expect((sent.message as Message).attachments.map((a) => a.attachmentId)).toEqual([good]);
  });

  it('attachments from a non-member (NOT_FOUND: the chat does not exist for them)', async () => {
    const id = await uploadFile(bob, bc, FILES.png(), 'image/png');
    await expectRefused(
      stack,
      alice,
      'sendMessage',
      { chatId: bc, text: '', attachments: attach(id) },
      'NOT_FOUND',
    );
  });
});

describe('getAttachmentUrl refuses', () => {
  let message: Message;
  beforeAll(async () => {
    const id = await uploadFile(bob, bc, FILES.png(), 'image/png');
    message = (await bob.ok('sendMessage', { chatId: bc, text: 'for carol', attachments: attach(id) }))
      .message as Message;
  });
  const ref = () => ({
    chatId: bc,
    messageId: message.messageId,
    attachmentId: message.attachments[0]?.attachmentId,
  });

  it('a non-member, for a real attachment (NOT_FOUND)', async () => {
    await expectRefused(stack, alice, 'getAttachmentUrl', ref(), 'NOT_FOUND');
  });

  it('the same ids through a chat the caller is in (NOT_FOUND)', async () => {
    await expectRefused(stack, alice, 'getAttachmentUrl', { ...ref(), chatId: ab }, 'NOT_FOUND');
  });

  it('an unknown attachment or message of a chat the caller is in (NOT_FOUND)', async () => {
    await expectRefused(
      stack,
      carol,
      'getAttachmentUrl',
      { ...ref(), attachmentId: 'up_other' },
      'NOT_FOUND',
    );
    await expectRefused(
      stack,
      carol,
      'getAttachmentUrl',
      { ...ref(), messageId: 'm1_AAAAAAAAAAAA' },
      'NOT_FOUND',
    );
  });

  it('but a member gets it', async () => {
    const ack = await carol.ok('getAttachmentUrl', ref());
    expect((await fetch(String(ack.url))).status).toBe(200);
  });
});

/** A PUT with a Content-Type of the client's choosing (the local store does not check the signature). */
async function putWith(upload: Upload, bytes: Uint8Array, contentType: string): Promise<void> {
  const res = await fetch(upload.url, {
    method: 'PUT',
    headers: { ...upload.headers, 'content-type': contentType },
    body: bytes,
  });
  expect(res.status).toBe(200);
}

/** An ISO BMFF file with a generic HEIF brand and no HEVC brand (AVIF-like). */
function heifWithout(): Buffer {
  return Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from('ftypmif1'),
    Buffer.alloc(4),
    Buffer.from('mif1avif'),
    Buffer.alloc(400),
  ]);
}

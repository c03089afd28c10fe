/**
 * An upload URL creates its object once (`If-None-Match: *`, signed into the URL): it stays valid for
 * its 15 minutes, but once the bytes are stored no PUT through it replaces them, neither the bytes
 * a send has checked (an image swapped for an HTML page after the first-bytes check) nor their tag
 * (on AWS a PUT resets it to pending, and the lifecycle rule would remove an attached file). Once
 * its message is deleted, the emptied key may be PUT again through the URL, but no send can carry
 * those bytes (the upload is `deleted`), which the PUT tagged pending (the lifecycle rule removes them);
 * a retry of the send that stored the message is answered that message, deleted, as a duplicate.
 * Over real sockets, DynamoDB Local and the local S3 stand-in, which enforces the condition as S3 does.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectUsers, type Message, makeDirect, type UserSocket } from '../support/chat.ts';
import { download, FILES, putBytes, requestUpload, s3Of, tagsOf } from '../support/media.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let s3: S3Client;
let alice: UserSocket;
let bob: UserSocket;
let chatId: string;

beforeAll(async () => {
  stack = await startTestStack();
  s3 = s3Of(stack);
  [alice, bob] = (await connectUsers(stack, 2, 'once')) as [UserSocket, UserSocket];
  chatId = (await makeDirect(alice, bob.userId)).chatId;
});
afterAll(async () => {
  await Promise.all([alice, bob].map((s) => s?.close()));
  s3?.destroy();
  await stack?.stop();
});

const send = async (uploadId: string) =>
  (await alice.ok('sendMessage', { chatId, text: '', attachments: [{ uploadId }] })).message as Message;

describe('an upload URL', () => {
  it('signs If-None-Match: * and names it among the headers the PUT must carry', async () => {
    const upload = await requestUpload(alice, chatId, 'image/png', 512);
    expect(upload.headers).toMatchObject({ 'if-none-match': '*' });
    expect(new URL(upload.url).searchParams.get('X-Amz-SignedHeaders')).toBe(
      'content-length;content-type;host;if-none-match;x-amz-tagging',
    );
  });

  it('cannot replace the bytes of a sent attachment, nor reset its tag (412)', async () => {
    const png = FILES.png(512);
    const upload = await requestUpload(alice, chatId, 'image/png', png.length);
    expect((await putBytes(upload, png)).status).toBe(200);
    const message = await send(upload.uploadId);
    // The same URL, still valid, with exactly its headers: an HTML page of the same size.
    const again = await putBytes(upload, FILES.html(png.length));
    expect(again.status, await again.text()).toBe(412);
    const got = await download(message.attachments[0]?.url ?? '');
    expect(got.bytes.equals(png)).toBe(true);
    expect(await tagsOf(stack, s3, chatId, upload.uploadId)).toEqual(['chat-media=attached']);
  });

  it('refuses a PUT that leaves the signed If-None-Match out (403), the bytes untouched', async () => {
    const png = FILES.png(512);
    const upload = await requestUpload(alice, chatId, 'image/png', png.length);
    expect((await putBytes(upload, png)).status).toBe(200);
    const message = await send(upload.uploadId);
    const { 'if-none-match': _, ...rest } = upload.headers;
    const bare = await fetch(upload.url, { method: 'PUT', headers: rest, body: FILES.html(png.length) });
    expect(bare.status, await bare.text()).toBe(403);
    expect((await download(message.attachments[0]?.url ?? '')).bytes.equals(png)).toBe(true);
  });

  it('answers a repeated PUT before the send 412 too; the first bytes are sent', async () => {
    const png = FILES.png(512);
    const upload = await requestUpload(alice, chatId, 'image/png', png.length);
    expect((await putBytes(upload, png)).status).toBe(200);
    expect((await putBytes(upload, FILES.png(512))).status).toBe(412);
    const message = await send(upload.uploadId);
    expect((await download(message.attachments[0]?.url ?? '')).bytes.equals(png)).toBe(true);
  });

  it('after its message is deleted: the URL may PUT again, but no send carries it (its retry is the deleted message)', async () => {
    const png = FILES.png(512);
    const upload = await requestUpload(alice, chatId, 'image/png', png.length);
    expect((await putBytes(upload, png)).status).toBe(200);
    const frame = {
      chatId,
      text: '',
      clientMessageId: 'once-del',
      attachments: [{ uploadId: upload.uploadId }],
    };
    const first = (await alice.ok('sendMessage', frame)).message as Message;
    await alice.ok('deleteMessage', { chatId, messageId: first.messageId });
    const record = async () =>
      (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${upload.uploadId}`);
    expect(await record()).toMatchObject({ status: 'deleted', ttl: expect.any(Number) });
    // The URL still works on the emptied key (S3 cannot be told otherwise without a PUT of its own).
    expect((await putBytes(upload, FILES.png(512))).status).toBe(200);
    // Its retry (the ack lost) is answered as any duplicate: the message as it is now, deleted,
    // carrying nothing; nothing is claimed (the upload stays `deleted`, below) or stored.
    const retry = await alice.request('sendMessage', frame);
    expect(retry).toMatchObject({
      type: 'ack',
      duplicate: true,
      message: { messageId: first.messageId, deleted: true, text: '', attachments: [] },
    });
    const other = await alice.request('sendMessage', { ...frame, clientMessageId: 'once-del-2' });
    expect(JSON.stringify(other)).toContain('was deleted with its message');
    // The PUT tagged it pending (the tag is signed into the URL; the stand-in does not apply it,
    // local/s3.ts), and no send tagged it attached: the unit tests (media.test.ts) show that.
    expect(await record()).toMatchObject({ status: 'deleted' });
  });
});

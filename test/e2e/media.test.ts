/**
 * Media end to end, over real sockets, the local S3 stand-in and DynamoDB Local: requestUpload, the
 * PUT with plain fetch, sendMessage with attachments, presigned GET URLs in the ack, the event,
 * history, listChats and getAttachmentUrl, the bytes identical after the round trip. Deletion is in
 * media-deletion.test.ts, refusals in media-refusals.test.ts.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as contract from '../../lambdas/contract/objects.ts';
import {
  connectUsers,
  expectContractShape,
  expectMessageShape,
  history,
  ISO_TIME,
  type Message,
  makeDirect,
  summaryOf,
  type UserSocket,
} from '../support/chat.ts';
import {
  download,
  FILES,
  requestUpload,
  s3Of,
  sendWith,
  storedKeys,
  tagsOf,
  uploadFile,
} from '../support/media.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let s3: S3Client;
let alice: UserSocket;
let bob: UserSocket;
let carol: UserSocket;
let chatId: string;

beforeAll(async () => {
  stack = await startTestStack();
  s3 = s3Of(stack);
  [alice, bob, carol] = (await connectUsers(stack, 3, 'media')) as [UserSocket, UserSocket, UserSocket];
  chatId = (await makeDirect(alice, bob.userId)).chatId;
});
afterAll(async () => {
  await Promise.all([alice, bob, carol].map((s) => s?.close()));
  s3?.destroy();
  await stack?.stop();
});

describe('requestUpload', () => {
  it('answers a presigned PUT bound to the type, the length and the pending tag, create-only, for 15 minutes', async () => {
    const before = Date.now();
    const upload = await requestUpload(alice, chatId, 'image/png', 2048, 'cat.png');
    expectContractShape(contract.Upload, upload);
    expect(upload.uploadId).toMatch(/^up_[\w-]{24}$/);
    expect(upload.method).toBe('PUT');
    expect(upload.maxBytes).toBe(2048);
    expect(upload.headers).toEqual({
      'content-type': 'image/png',
      'content-length': '2048',
      'x-amz-tagging': 'chat-media=pending',
      'if-none-match': '*',
    });
    const url = new URL(upload.url);
    expect(`${url.origin}`).toBe(stack.s3Endpoint);
    expect(url.pathname).toBe(`/${stack.mediaBucket}/chats/${chatId}/${upload.uploadId}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe(
      'content-length;content-type;host;if-none-match;x-amz-tagging',
    );
    expect(upload.expiresAt).toMatch(ISO_TIME);
    const expires = Date.parse(upload.expiresAt) - before;
    expect(expires).toBeGreaterThan(899_000);
    expect(expires).toBeLessThan(960_000);
    const [record] = (await stack.items(`CHAT#${chatId}`)).filter(
      (i) => i.sk === `UPLOAD#${upload.uploadId}`,
    );
    expect(record).toMatchObject({
      userId: alice.userId,
      kind: 'image',
      contentType: 'image/png',
      size: 2048,
      fileName: 'cat.png',
      status: 'pending',
    });
    expect(Number(record?.ttl)).toBeGreaterThan(Date.now() / 1000 + 2 * 86_400);
  });

  it('stores the bare, lower-case type of a type with parameters', async () => {
    const upload = await requestUpload(alice, chatId, 'Text/Plain; charset=utf-8', 10);
    expect(upload.headers['content-type']).toBe('text/plain');
  });
});

describe('an image, from upload to download', () => {
  let bytes: Buffer;
  let message: Message;

  it('is sent with a presigned GET URL in the ack and in everyone’s message.created', async () => {
    bytes = FILES.png(4096);
    const uploadId = await uploadFile(alice, chatId, bytes, 'image/png', 'holiday.png');
    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toContain(`chats/${chatId}/${uploadId}`);
    message = await sendWith(alice, chatId, [uploadId]);
    expectMessageShape(message);
    expect(message.text).toBe('');
    expect(message.attachments).toEqual([
      {
        attachmentId: uploadId,
        kind: 'image',
        contentType: 'image/png',
        size: 4096,
        fileName: 'holiday.png',
        url: expect.stringContaining(`/${stack.mediaBucket}/chats/${chatId}/${uploadId}?`),
        urlExpiresAt: expect.stringMatching(ISO_TIME),
      },
    ]);
    const [attachment] = message.attachments;
    expect(Date.parse(attachment?.urlExpiresAt ?? '') - Date.now()).toBeGreaterThan(3500_000);
    const event = await bob.event(
      'message.created',
      (f) => (f.message as Message).messageId === message.messageId,
    );
    expect(event.message).toEqual(message);
  });

  it('downloads byte for byte identical, with its type', async () => {
    const got = await download(message.attachments[0]?.url ?? '');
    expect(got.status).toBe(200);
    expect(got.type).toBe('image/png');
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  it('is in history with a fresh URL that works', async () => {
    const { messages } = await history(bob, chatId);
    const found = messages.find((m) => m.messageId === message.messageId);
    expect(found?.attachments.map((a) => ({ ...a, url: '', urlExpiresAt: '' }))).toEqual(
      message.attachments.map((a) => ({ ...a, url: '', urlExpiresAt: '' })),
    );
    const got = await download(found?.attachments[0]?.url ?? '');
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  it('is in sync (the change feed) with a URL that works', async () => {
    const ack = await bob.ok('sync', { chatId, sinceVer: message.ver - 1 });
    const found = (ack.messages as Message[]).find((m) => m.messageId === message.messageId);
    expect(found?.attachments.map((a) => a.attachmentId)).toEqual([message.attachments[0]?.attachmentId]);
    const got = await download(found?.attachments[0]?.url ?? '');
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  it('getAttachmentUrl renews the URL for a member', async () => {
    const ack = await bob.ok('getAttachmentUrl', {
      chatId,
      messageId: message.messageId,
      attachmentId: message.attachments[0]?.attachmentId,
    });
    expect(ack).toMatchObject({ url: expect.any(String), expiresAt: expect.stringMatching(ISO_TIME) });
    const got = await download(String(ack.url));
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  it('listChats previews it as "Photo", with the attachment and its URL', async () => {
    const summary = await summaryOf(bob, chatId);
    expect(summary?.lastMessage).toEqual({
      ...summary?.lastMessage,
      messageId: message.messageId,
      text: 'Photo',
    });
    expect(summary?.lastMessage?.attachments).toHaveLength(1);
    expect((await download(summary?.lastMessage?.attachments[0]?.url ?? '')).status).toBe(200);
  });

  it('marks the upload used (no TTL any more) and the object attached', async () => {
    const [record] = (await stack.items(`CHAT#${chatId}`)).filter(
      (i) => i.sk === `UPLOAD#${message.attachments[0]?.attachmentId}`,
    );
    expect(record).toMatchObject({ status: 'used' });
    expect(record?.ttl).toBeUndefined();
    expect(await tagsOf(stack, s3, chatId, message.attachments[0]?.attachmentId ?? '')).toEqual([
      'chat-media=attached',
    ]);
  });

  it('keeps its attachments (and their URLs) when the text is edited', async () => {
    const ack = await alice.ok('editMessage', { chatId, messageId: message.messageId, text: 'caption' });
    const edited = ack.message as Message;
    expect(edited.attachments.map((a) => a.attachmentId)).toEqual([message.attachments[0]?.attachmentId]);
    expect((await download(edited.attachments[0]?.url ?? '')).bytes.equals(bytes)).toBe(true);
    const event = await bob.event(
      'message.updated',
      (f) => (f.message as Message).messageId === message.messageId,
    );
    expect((event.message as Message).attachments).toHaveLength(1);
  });

  it('keeps its attachments (with URLs that work) in the ack of a reaction and in message.reacted', async () => {
    const ack = await bob.ok('react', { chatId, messageId: message.messageId, emoji: '👍' });
    const reacted = ack.message as Message;
    expect(reacted.attachments).toHaveLength(1);
    expect((await download(reacted.attachments[0]?.url ?? '')).bytes.equals(bytes)).toBe(true);
    const event = await alice.event('message.reacted', (f) => f.messageId === message.messageId);
    expect(event.emoji).toBe('👍');
  });
});

describe('every kind', () => {
  it.each([
    ['image/jpeg', FILES.jpeg(), 'image', 'Photo'],
    ['image/gif', FILES.gif(), 'image', 'Photo'],
    ['image/webp', FILES.webp(), 'image', 'Photo'],
    ['image/heic', FILES.heic(), 'image', 'Photo'],
    ['audio/mpeg', FILES.any(3000), 'audio', 'Voice message'],
    ['video/mp4', FILES.any(5000), 'video', 'Video'],
    ['application/pdf', FILES.any(700), 'file', 'report.pdf'],
  ] as const)('%s goes round trip and previews right', async (type, bytes, kind, preview) => {
    const uploadId = await uploadFile(alice, chatId, bytes, type, 'report.pdf');
    const message = await sendWith(alice, chatId, [uploadId]);
    expect(message.attachments[0]).toMatchObject({ kind, contentType: type, size: bytes.length });
    expect((await download(message.attachments[0]?.url ?? '')).bytes.equals(bytes)).toBe(true);
    expect((await summaryOf(alice, chatId))?.lastMessage?.text).toBe(preview);
  });

  it('sends several attachments with a text, in the order given', async () => {
    const ids = [
      await uploadFile(alice, chatId, FILES.png(), 'image/png'),
      await uploadFile(alice, chatId, FILES.jpeg(), 'image/jpeg'),
      await uploadFile(alice, chatId, FILES.any(99), 'text/plain', 'notes.txt'),
    ];
    const message = await sendWith(alice, chatId, ids, 'three things');
    expect(message.attachments.map((a) => a.attachmentId)).toEqual(ids);
    expect(message.text).toBe('three things');
    expect((await summaryOf(alice, chatId))?.lastMessage?.text).toBe('three things');
  });
});

describe('a retry of the same send (same clientMessageId)', () => {
  it('answers the original message as a duplicate', async () => {
    const uploadId = await uploadFile(alice, chatId, FILES.png(), 'image/png');
    const first = await sendWith(alice, chatId, [uploadId], '', { clientMessageId: 'media-retry-1' });
    const again = await alice.ok('sendMessage', {
      chatId,
      text: '',
      clientMessageId: 'media-retry-1',
      attachments: [{ uploadId }],
    });
    expect(again.duplicate).toBe(true);
    expect((again.message as Message).messageId).toBe(first.messageId);
  });
});

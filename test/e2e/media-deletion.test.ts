/**
 * Media deletion end to end, over real sockets, the local S3 stand-in and DynamoDB Local: a deleted
 * message's bytes and a deleted chat's media go, and an upload never sent stays pending and reachable
 * by nobody. The round trip is in media.test.ts, refusals in media-refusals.test.ts.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { connectUsers, history, makeDirect, makeGroup, settle, type UserSocket } from '../support/chat.ts';
import {
  download,
  FILES,
  putBytes,
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
  // The retention job waits the finish job's delay (60 s as deployed); `idle({ timers: true })`.
  stack = await startTestStack({ env: { [RETENTION_FINISH_DELAY_ENV]: '1' } });
  s3 = s3Of(stack);
  [alice, bob, carol] = (await connectUsers(stack, 3, 'media')) as [UserSocket, UserSocket, UserSocket];
  chatId = (await makeDirect(alice, bob.userId)).chatId;
});
afterAll(async () => {
  await Promise.all([alice, bob, carol].map((s) => s?.close()));
  s3?.destroy();
  await stack?.stop();
});

describe('deleting', () => {
  it('a message removes its bytes at once: its URLs stop working and getAttachmentUrl is NOT_FOUND', async () => {
    const uploadId = await uploadFile(alice, chatId, FILES.png(), 'image/png');
    const message = await sendWith(alice, chatId, [uploadId]);
    const url = message.attachments[0]?.url ?? '';
    expect((await download(url)).status).toBe(200);
    await alice.ok('deleteMessage', { chatId, messageId: message.messageId });
    // 403, not 404: the URL has the signing function's permissions, which do not include listing.
    expect((await download(url)).status).toBe(403);
    expect(await storedKeys(stack, s3, `chats/${chatId}/${uploadId}`)).toEqual([]);
    const reply = await bob.request('getAttachmentUrl', {
      chatId,
      messageId: message.messageId,
      attachmentId: uploadId,
    });
    expect(reply).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    const { messages } = await history(bob, chatId);
    expect(messages.find((m) => m.messageId === message.messageId)).toMatchObject({
      deleted: true,
      attachments: [],
    });
    const stored = (await stack.items(`CHAT#${chatId}`)).find((i) => i.messageId === message.messageId);
    // The deletion's change empties the list: the record names no bytes any more.
    expect(stored?.attachments ?? []).toEqual([]);
  });

  it('a chat removes all its media, attached or not', async () => {
    const group = (await makeGroup(alice, [bob.userId, carol.userId], 'to delete')).chatId;
    const sent = await uploadFile(bob, group, FILES.png(), 'image/png');
    const message = await sendWith(bob, group, [sent]);
    const pending = await uploadFile(carol, group, FILES.any(64), 'application/pdf');
    const elsewhere = await uploadFile(alice, chatId, FILES.any(32), 'application/pdf');
    expect(await storedKeys(stack, s3, `chats/${group}/`)).toEqual(
      [`chats/${group}/${sent}`, `chats/${group}/${pending}`].sort(),
    );
    await alice.ok('deleteChat', { chatId: group });
    // The chat's retention job deletes them (test/security/deleted-chat-media.test.ts).
    await stack.idle({ timers: true });
    expect(await storedKeys(stack, s3, `chats/${group}/`)).toEqual([]);
    expect((await download(message.attachments[0]?.url ?? '')).status).toBe(403);
    // The other chat's media is untouched.
    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toContain(`chats/${chatId}/${elsewhere}`);
    await settle(stack, alice, bob, carol);
  });
});

describe('an upload that is never sent', () => {
  it('stays pending (the lifecycle rule removes it within a day on AWS) and is reachable by nobody', async () => {
    const upload = await requestUpload(alice, chatId, 'image/png', 2048);
    expect((await putBytes(upload, FILES.png(2048))).status).toBe(200);
    const [record] = (await stack.items(`CHAT#${chatId}`)).filter(
      (i) => i.sk === `UPLOAD#${upload.uploadId}`,
    );
    expect(record?.status).toBe('pending');
    expect(await tagsOf(stack, s3, chatId, upload.uploadId)).not.toContain('chat-media=attached');
    const { messages } = await history(alice, chatId);
    expect(messages.flatMap((m) => m.attachments).some((a) => a.attachmentId === upload.uploadId)).toBe(
      false,
    );
  });
});

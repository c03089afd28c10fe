/**
 * Scheduled messages with attachments, end to end (real sockets, DynamoDB Local, the local S3
 * stand-in, the local due queue and sweep): the uploads are checked and claimed at schedule time,
 * the message goes out with them as a send would, a claimed upload cannot be used by another
 * schedule or send, cancelling gives the uploads back, and one whose bytes vanished before `sendAt`
 * makes the message fail (`ATTACHMENT_UNAVAILABLE`) instead of going out without it.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attachment } from '../../lambdas/contract/objects.ts';
import { sendClientMessageId } from '../../lambdas/domain/scheduled.ts';
import {
  connectUser,
  eventsOf,
  expectMessageShape,
  expectRefused,
  history,
  type Message,
  makeGroup,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { download, FILES, s3Of, tagsOf, uploadFile } from '../support/media.ts';
import {
  aboutScheduled,
  inMs,
  listScheduled,
  pendingCount,
  type Scheduled,
  schedule,
  storedItem,
  withText,
} from '../support/scheduled.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let s3: S3Client;
beforeAll(() => {
  s3 = s3Of(stack);
});
afterAll(() => s3?.destroy());

const FAR = 3 * 3600_000;

/** An upload's record as stored (`UPLOAD#<id>` in the chat's partition). */
async function uploadRecord(chatId: string, uploadId: string): Promise<Record<string, unknown> | undefined> {
  return (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
}

/** alice and bob in a group, and a PNG alice uploaded there. */
async function world(): Promise<{
  alice: UserSocket;
  bob: UserSocket;
  chatId: string;
  png: Buffer;
  uploadId: string;
}> {
  const alice = await connectUser(stack);
  const bob = await connectUser(stack);
  const { chatId } = await makeGroup(alice, [bob.userId]);
  const png = FILES.png(3000);
  const uploadId = await uploadFile(alice, chatId, png, 'image/png', 'cake.png');
  return { alice, bob, chatId, png, uploadId };
}

function expectAttachment(a: Attachment | undefined, uploadId: string, size: number): void {
  expect(a).toMatchObject({
    attachmentId: uploadId,
    kind: 'image',
    contentType: 'image/png',
    size,
    fileName: 'cake.png',
    url: expect.stringMatching(/^http:\/\//),
  });
}

describe('a scheduled message with an attachment', () => {
  it('is claimed when scheduled and goes out with it at sendAt, as a send would carry it', async () => {
    const { alice, bob, chatId, png, uploadId } = await world();
    const text = 'happy birthday';
    const scheduled = await schedule(alice, chatId, text, inMs(3000), { attachments: [{ uploadId }] });
    expect(scheduled.attachments).toHaveLength(1);
    expectAttachment(scheduled.attachments[0], uploadId, png.length);
    // Claimed now: the record is used by the scheduled send (no TTL), the bytes are kept.
    expect(await uploadRecord(chatId, uploadId)).toMatchObject({
      status: 'used',
      usedBy: `cmid:${sendClientMessageId(scheduled.scheduledId, scheduled.sendAt)}`,
    });
    expect((await uploadRecord(chatId, uploadId))?.ttl).toBeUndefined();
    expect(await tagsOf(stack, s3, chatId, uploadId)).toEqual(['chat-media=attached']);
    const [listed] = await listScheduled(alice, chatId);
    expectAttachment(listed?.attachments[0], uploadId, png.length);
    expect((await download(String(listed?.attachments[0]?.url))).bytes.equals(png)).toBe(true);

    const created = await bob.event('message.created', withText(text), 15_000);
    const message = created.message as Message;
    expectMessageShape(message);
    expect(message).toMatchObject({ senderId: alice.userId, text });
    expect(message.attachments).toHaveLength(1);
    expectAttachment(message.attachments[0], uploadId, png.length);
    const got = await download(String(message.attachments[0]?.url));
    expect(got.status).toBe(200);
    expect(got.bytes.equals(png)).toBe(true);
    const sent = await alice.event('scheduled.sent', aboutScheduled(scheduled.scheduledId), 15_000);
    expect(sent.scheduled).toMatchObject({ status: 'sent', messageId: message.messageId });
    expect((sent.scheduled as Scheduled).attachments.map((a) => a.attachmentId)).toEqual([uploadId]);

    // As history shows it; the upload stays the message's (still used, still attached).
    const [stored] = (await history(bob, chatId)).messages;
    expect(stored?.attachments.map((a) => a.attachmentId)).toEqual([uploadId]);
    expect(await uploadRecord(chatId, uploadId)).toMatchObject({ status: 'used' });
    expect(await tagsOf(stack, s3, chatId, uploadId)).toEqual(['chat-media=attached']);
    await stack.scheduler.idle();
    await settle(stack, alice, bob);
    expect(eventsOf(bob, 'message.created', withText(text))).toHaveLength(1);
  });

  it('holds its upload: another schedule or a send with it is refused and writes nothing', async () => {
    const { alice, bob, chatId, uploadId } = await world();
    const first = await schedule(alice, chatId, 'later', inMs(FAR), { attachments: [{ uploadId }] });
    const attachments = [{ uploadId }];
    await expectRefused(
      stack,
      alice,
      'scheduleMessage',
      { chatId, text: 'again', sendAt: inMs(FAR), attachments },
      'BAD_REQUEST',
      { message: /"attachments\[0\]\.uploadId" was already sent in another message/ },
    );
    await expectRefused(stack, alice, 'sendMessage', { chatId, text: 'now', attachments }, 'BAD_REQUEST', {
      message: /"attachments\[0\]\.uploadId" was already sent in another message/,
    });
    expect((await listScheduled(alice)).map((s) => s.scheduledId)).toEqual([first.scheduledId]);
    expect(await pendingCount(stack, alice.userId)).toBe(1);
    // A retry of the same schedule (same clientMessageId) is the same schedule, not a refusal.
    const cmid = 'retry-1';
    const upload2 = await uploadFile(alice, chatId, FILES.png(), 'image/png', 'cake.png');
    const once = await schedule(alice, chatId, 'x', inMs(FAR), {
      attachments: [{ uploadId: upload2 }],
      clientMessageId: cmid,
    });
    const twice = await schedule(alice, chatId, 'x', inMs(FAR), {
      attachments: [{ uploadId: upload2 }],
      clientMessageId: cmid,
    });
    expect(twice.scheduledId).toBe(once.scheduledId);
    expect(await uploadRecord(chatId, upload2)).toMatchObject({ status: 'used' });
    expect(await pendingCount(stack, alice.userId)).toBe(2);
    await settle(stack, alice, bob);
    expect(bob.events('message.created')).toEqual([]);
  });

  it('gives its uploads back when cancelled: pending and expiring again, and sendable', async () => {
    const { alice, bob, chatId, uploadId } = await world();
    const scheduled = await schedule(alice, chatId, 'maybe', inMs(FAR), { attachments: [{ uploadId }] });
    const ack = await alice.ok('cancelScheduled', { scheduledId: scheduled.scheduledId });
    expect((ack.scheduled as Scheduled).attachments.map((a) => a.attachmentId)).toEqual([uploadId]);
    const record = await uploadRecord(chatId, uploadId);
    expect(record).toMatchObject({ status: 'pending' });
    expect(record?.usedBy ?? null).toBeNull();
    expect(Number(record?.ttl)).toBeGreaterThan(Date.now() / 1000);
    expect(await tagsOf(stack, s3, chatId, uploadId)).toEqual(['chat-media=pending']);

    const sent = await alice.ok('sendMessage', { chatId, text: 'now instead', attachments: [{ uploadId }] });
    expect((sent.message as Message).attachments.map((a) => a.attachmentId)).toEqual([uploadId]);
    expect(await tagsOf(stack, s3, chatId, uploadId)).toEqual(['chat-media=attached']);
    await bob.event('message.created', withText('now instead'));
  });

  it('whose upload vanished before sendAt fails with ATTACHMENT_UNAVAILABLE and gives the rest back', async () => {
    const { alice, bob, chatId, uploadId } = await world();
    const kept = await uploadFile(alice, chatId, FILES.png(), 'image/png', 'cake.png');
    const text = 'with two pictures';
    const scheduled = await schedule(alice, chatId, text, inMs(3000), {
      attachments: [{ uploadId }, { uploadId: kept }],
    });
    await s3.send(new DeleteObjectCommand({ Bucket: stack.mediaBucket, Key: `chats/${chatId}/${uploadId}` }));

    const failed = await alice.event('scheduled.failed', aboutScheduled(scheduled.scheduledId), 15_000);
    expect(failed.scheduled).toMatchObject({
      scheduledId: scheduled.scheduledId,
      status: 'failed',
      reason: 'ATTACHMENT_UNAVAILABLE',
      messageId: null,
    });
    await stack.scheduler.idle();
    await settle(stack, alice, bob);
    expect(bob.events('message.created')).toEqual([]);
    expect(alice.events('scheduled.sent')).toEqual([]);
    expect((await history(bob, chatId)).messages).toEqual([]);
    expect(await storedItem(stack, alice.userId, scheduled.scheduledId)).toMatchObject({
      status: 'failed',
      reason: 'ATTACHMENT_UNAVAILABLE',
    });
    expect(await pendingCount(stack, alice.userId)).toBe(0);
    // The upload still there is given back.
    expect(await uploadRecord(chatId, kept)).toMatchObject({ status: 'pending' });
    expect(await tagsOf(stack, s3, chatId, kept)).toEqual(['chat-media=pending']);
  });
});

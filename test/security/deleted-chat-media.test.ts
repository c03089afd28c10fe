/**
 * A deleted chat's media (S3 objects) goes with its retention job, not with `deleteChat`'s request:
 * the request makes no S3 call (the functions' bucket records who sent each request,
 * test/support/media-calls.ts); the retention worker (lib/workers.ts `RETENTION_WORKER`, run by the
 * SQS stand-in) deletes the objects its pages' `UPLOAD#` items name, attached or not, before those
 * items get their TTL, page after page and job after job (4 keys a page, 2 pages a job here).
 * Meanwhile nothing new about the chat is readable (NOT_FOUND); a download URL issued before the
 * deletion works until the job ran. A failed delete leaves the upload records without TTL and the
 * page is done again. Real engines: DynamoDB Local, the local S3 stand-in and the SQS stand-in.
 * The inline fallback (the queue refusing the job) is in deleted-chat-media-inline.test.ts.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, expectRefused, groupOfTwo, type UserSocket } from '../support/chat.ts';
import { eventually } from '../support/client.ts';
import { download, FILES, requestUpload, s3Of, storedKeys, uploadFile } from '../support/media.ts';
import { type S3Call, useMediaCalls } from '../support/media-calls.ts';
import { useTestStack } from '../support/stack.ts';

const PAGE = 4;
const PAGES = 2;
const stack = useTestStack({
  env: {
    RETENTION_PAGE_SIZE: String(PAGE),
    RETENTION_MAX_PAGES: String(PAGES),
    // The retention job waits the finish job's delay (60 s as deployed); `idle({ timers: true })`.
    [RETENTION_FINISH_DELAY_ENV]: '1',
  },
});
const media = useMediaCalls(stack);
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;
const WORKER = RETENTION_WORKER.name;

let s3: S3Client;
beforeAll(() => {
  s3 = s3Of(stack);
});
afterAll(() => s3?.destroy());

/** HeadObject's status on the stand-in, asked as the bucket's owner (200 or 404). */
async function headStatus(key: string): Promise<number> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: stack.mediaBucket, Key: key }));
    return 200;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  }
}

/** The chat's items that do not expire at the deletion (between `before` and `after`, epoch s). */
async function unexpiring(chatId: string, before: number, after: number): Promise<string[]> {
  const left = await stack.items(`CHAT#${chatId}`);
  return left
    .filter((i) => typeof i.ttl !== 'number' || i.ttl < before || i.ttl > after)
    .map((i) => String(i.sk));
}

const uploadSks = async (chatId: string) =>
  (await stack.items(`CHAT#${chatId}`)).filter((i) => String(i.sk).startsWith('UPLOAD#'));

/** The upload records' TTLs by sort key (a pending upload's record expires on its own, much later). */
const uploadTtls = async (chatId: string) =>
  Object.fromEntries((await uploadSks(chatId)).map((i) => [String(i.sk), i.ttl]));

/**
 * The keys some DeleteObjects named, each once. (The stand-in may answer 500 to a delete that
 * emptied a folder, s3rver racing itself to remove it: the bucket's retry then names them again.)
 */
const deletedBy = (calls: readonly S3Call[]) => [...new Set(calls.flatMap((c) => c.keys))].sort();

async function sendWith(socket: UserSocket, chatId: string, uploadIds: string[]) {
  const ack = await socket.ok('sendMessage', {
    chatId,
    text: 'with media',
    attachments: uploadIds.map((uploadId) => ({ uploadId })),
  });
  return ack.message as { messageId: string; attachments: { attachmentId: string; url: string }[] };
}

describe("a deleted chat's media", { timeout: 120_000 }, () => {
  it('is deleted by the retention job, not by the request; nothing of the chat is readable meanwhile', async () => {
    const {
      owner,
      member,
      chat: { chatId },
    } = await groupOfTwo(stack, 'Pictures');
    const attached = await uploadFile(owner, chatId, FILES.png(), 'image/png');
    const message = await sendWith(owner, chatId, [attached]);
    const pending = await uploadFile(member, chatId, FILES.any(64), 'application/pdf');
    // Requested, never uploaded: a record without an object (deleting it is fine).
    const empty = (await requestUpload(member, chatId, 'image/png', 100)).uploadId;
    const keys = [attached, pending].map((id) => `chats/${chatId}/${id}`).sort();
    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual(keys);
    const url = message.attachments[0]?.url ?? '';
    await stack.idle();
    const ttls = await uploadTtls(chatId);
    expect(Object.keys(ttls)).toHaveLength(3);

    const sent = queue().stats.sent;
    queue().pause();
    const before = Math.floor(Date.now() / 1000);
    try {
      await owner.ok('deleteChat', { chatId });
      await stack.gateway.idle();
      // The request queued the job (and its finish job) and made no S3 call: the bytes are all
      // still there.
      expect(queue().stats.sent).toBe(sent + 2);
      expect(media.calls.filter((c) => c.fn === 'deleteChat')).toEqual([]);
      expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual(keys);
      expect(await uploadTtls(chatId)).toEqual(ttls);
      // Nothing new of the chat is readable, nor can anything be added to it…
      const ids = { chatId, messageId: message.messageId, attachmentId: attached };
      await expectRefused(stack, owner, 'getAttachmentUrl', ids, 'NOT_FOUND');
      await expectRefused(stack, member, 'history', { chatId }, 'NOT_FOUND');
      await expectRefused(stack, member, 'sync', { chatId, sinceVer: 0 }, 'NOT_FOUND');
      await expectRefused(
        stack,
        member,
        'requestUpload',
        { chatId, contentType: 'image/png', size: 10 },
        'NOT_FOUND',
      );
      // …but a download URL issued before works until the job ran (docs/performance.md).
      expect((await download(url)).status).toBe(200);
    } finally {
      queue().resume();
    }
    await stack.idle({ timers: true });
    const after = Math.ceil(Date.now() / 1000);

    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual([]);
    for (const key of keys) expect(await headStatus(key), key).toBe(404);
    // A URL the functions signed has their permissions: no s3:ListBucket, so 403 for a missing key.
    expect((await download(url)).status).toBe(403);
    expect(await unexpiring(chatId, before, after)).toEqual([]);
    expect(await uploadSks(chatId)).toHaveLength(3);
    // The worker deleted every object its upload records name, the never-uploaded one included.
    expect(deletedBy(media.deletesBy(WORKER))).toEqual([...keys, `chats/${chatId}/${empty}`].sort());
    expect(media.calls.filter((c) => c.fn === 'deleteChat')).toEqual([]);
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, member);
  });

  it('goes page by page, over several jobs, for a chat with many uploads', async () => {
    const {
      owner,
      member,
      chat: { chatId },
    } = await groupOfTwo(stack, 'Many uploads');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await uploadFile(owner, chatId, FILES.png(), 'image/png'));
    for (let i = 0; i < 6; i++) ids.push(await uploadFile(member, chatId, FILES.any(64), 'application/pdf'));
    await sendWith(owner, chatId, ids.slice(0, 3));
    await sendWith(member, chatId, ids.slice(7, 9));
    const keys = ids.map((id) => `chats/${chatId}/${id}`).sort();
    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual(keys);
    await stack.idle();

    const { invocations } = queue().stats;
    const before = Math.floor(Date.now() / 1000);
    await owner.ok('deleteChat', { chatId });
    await stack.idle({ timers: true });
    const after = Math.ceil(Date.now() / 1000);

    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual([]);
    expect(await unexpiring(chatId, before, after)).toEqual([]);
    // 13 upload records, 4 keys a page: at least 4 pages with uploads, each one DeleteObjects of
    // that page's uploads only; every object deleted.
    const deletes = media.deletesBy(WORKER);
    expect(deletes.length).toBeGreaterThanOrEqual(Math.ceil(ids.length / PAGE));
    for (const d of deletes) expect(d.keys.length).toBeLessThanOrEqual(PAGE);
    expect(deletedBy(deletes)).toEqual(keys);
    // One job per 8 keys at least: the continuation jobs deleted media too.
    const items = (await stack.items(`CHAT#${chatId}`)).length;
    expect(items).toBeGreaterThan(PAGE * PAGES);
    expect(queue().stats.invocations - invocations).toBeGreaterThanOrEqual(Math.ceil(items / (PAGE * PAGES)));
    expect(media.calls.filter((c) => c.fn === 'deleteChat')).toEqual([]);
    expect(queue().stats.failedRecords).toBe(0);
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, member);
  });

  it('stays with its records when S3 fails: they keep their TTL, the page is done again until it succeeds', async () => {
    const {
      owner,
      member,
      chat: { chatId },
    } = await groupOfTwo(stack, 'S3 trouble');
    const ids = [
      await uploadFile(owner, chatId, FILES.png(), 'image/png'),
      await uploadFile(member, chatId, FILES.any(64), 'application/pdf'),
    ];
    const keys = ids.map((id) => `chats/${chatId}/${id}`).sort();
    await stack.idle();
    const ttls = await uploadTtls(chatId);
    expect(Object.keys(ttls)).toHaveLength(2);

    media.failDeletes = true;
    const before = Math.floor(Date.now() / 1000);
    await owner.ok('deleteChat', { chatId });
    // One delivery tries DeleteObjects 3 times (the bucket's retries): more means the page was
    // done again (the job delivered again, or continued from that page).
    await eventually(() => media.deletesBy(WORKER).length > 3, 30_000);
    expect(media.deletesBy(WORKER).every((c) => !c.sent)).toBe(true);
    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual(keys);
    // The records that name the objects are as they were: not given the deletion's TTL.
    expect(await uploadTtls(chatId)).toEqual(ttls);

    media.failDeletes = false;
    await stack.idle({ timers: true });
    const after = Math.ceil(Date.now() / 1000);
    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual([]);
    expect(await unexpiring(chatId, before, after)).toEqual([]);
    expect(deletedBy(media.deletesBy(WORKER).filter((c) => c.sent))).toEqual(keys);
    expect(queue().deadLetters).toEqual([]);
    await closeAll(stack, owner, member);
  });
});

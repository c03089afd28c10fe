/**
 * When the retention queue refuses a deleted chat's job, `deleteChat` does the job's work itself,
 * through the same pages: it deletes the chat's media objects (those its `UPLOAD#` records name,
 * attached or not) and gives every item of the partition its TTL before it answers. Here the
 * functions' retention queue URL points at a closed port, so every send fails. Also what proves
 * `deleteChat`'s `s3:DeleteObject` grant (scripts/check-iam.ts): the request deletes media only
 * on this path. Real engines: DynamoDB Local and the local S3 stand-in.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETENTION_QUEUE_URL_ENV, RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, groupOfTwo } from '../support/chat.ts';
import { FILES, requestUpload, s3Of, storedKeys, uploadFile } from '../support/media.ts';
import { useMediaCalls } from '../support/media-calls.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack({
  env: {
    // The retention queue's name on port 1 of loopback, where nothing listens: SendMessage fails
    // (after the client's retries), and the IAM check sees the queue deleteChat may send to.
    [RETENTION_QUEUE_URL_ENV]: `http://127.0.0.1:1/000000000000/${RETENTION_WORKER.name}`,
  },
});
const media = useMediaCalls(stack);
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;

let s3: S3Client;
beforeAll(() => {
  s3 = s3Of(stack);
});
afterAll(() => s3?.destroy());

describe('a deleted chat when the retention queue refuses the job', { timeout: 120_000 }, () => {
  it("deletes the chat's media and expires its items in the request", async () => {
    const {
      owner,
      member,
      chat: { chatId },
    } = await groupOfTwo(stack, 'No queue');
    const attached = await uploadFile(owner, chatId, FILES.png(), 'image/png');
    await owner.ok('sendMessage', { chatId, text: 'look', attachments: [{ uploadId: attached }] });
    const pending = await uploadFile(member, chatId, FILES.any(64), 'application/pdf');
    const empty = (await requestUpload(member, chatId, 'image/png', 100)).uploadId;
    const keys = [attached, pending].map((id) => `chats/${chatId}/${id}`).sort();
    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual(keys);
    await stack.idle();

    const before = Math.floor(Date.now() / 1000);
    await owner.ok('deleteChat', { chatId });
    const after = Math.ceil(Date.now() / 1000);
    // Done when the request answered: no job ran, the objects are gone, every item expires.
    expect(queue().stats.sent).toBe(0);
    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual([]);
    const left = await stack.items(`CHAT#${chatId}`);
    expect(left.filter((i) => String(i.sk).startsWith('UPLOAD#'))).toHaveLength(3);
    const unexpiring = left.filter((i) => typeof i.ttl !== 'number' || i.ttl < before || i.ttl > after);
    expect(unexpiring.map((i) => i.sk)).toEqual([]);
    // The request deleted them (the keys its pages' upload records name), the never-uploaded one too.
    const deletes = media.deletesBy('deleteChat');
    expect([...new Set(deletes.flatMap((d) => d.keys))].sort()).toEqual(
      [...keys, `chats/${chatId}/${empty}`].sort(),
    );
    expect(media.deletesBy(RETENTION_WORKER.name)).toEqual([]);
    await closeAll(stack, owner, member);
  });

  it("does the same when the chat's last member leaves (also what proves removeMember's grant)", async () => {
    const {
      owner,
      member,
      chat: { chatId },
    } = await groupOfTwo(stack, 'Last out, no queue');
    const attached = await uploadFile(member, chatId, FILES.png(), 'image/png');
    await member.ok('sendMessage', { chatId, text: 'bye', attachments: [{ uploadId: attached }] });
    await owner.ok('removeMember', { chatId, userId: owner.userId });
    await stack.idle();
    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual([`chats/${chatId}/${attached}`]);

    const before = Math.floor(Date.now() / 1000);
    await member.ok('removeMember', { chatId, userId: member.userId });
    const after = Math.ceil(Date.now() / 1000);
    expect(queue().stats.sent).toBe(0);
    expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual([]);
    const left = await stack.items(`CHAT#${chatId}`);
    expect(left.filter((i) => String(i.sk).startsWith('MSG#'))).toHaveLength(1);
    const unexpiring = left.filter((i) => typeof i.ttl !== 'number' || i.ttl < before || i.ttl > after);
    expect(unexpiring.map((i) => i.sk)).toEqual([]);
    expect(media.deletesBy('removeMember').flatMap((d) => d.keys)).toEqual([`chats/${chatId}/${attached}`]);
    await closeAll(stack, owner, member);
  });
});

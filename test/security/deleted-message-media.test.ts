/**
 * A `deleteMessage` whose DeleteObjects fails (S3 answering 500, after the bucket's retries) answers
 * INTERNAL and leaves the message as it was; its upload records are marked `deleted` but get no TTL
 * until their objects are gone, so they keep naming them: to the author's retry, which deletes the
 * bytes and then gives the records their TTL (3 days on), and, should nobody retry, to the chat's
 * retention job when the chat is deleted. Before, the records got their TTL at once: 3 days after a
 * failed delete that nobody retried, the record was gone and the object stayed in S3 for good (the
 * retention deletes only the objects upload records name; the lifecycle rule only pending ones).
 *
 * Real engines: DynamoDB Local (which runs no TTL: its expiry is done here by deleting what expires
 * within the 3 days), the local S3 stand-in and the SQS stand-in.
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { UPLOAD_TTL_SECONDS } from '../../lambdas/data/items.ts';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { RETENTION_WORKER } from '../../lib/workers.ts';
import { closeAll, groupOfTwo, history } from '../support/chat.ts';
import { FILES, sendWith, storedKeys, uploadFile, useS3 } from '../support/media.ts';
import { useMediaCalls } from '../support/media-calls.ts';
import { useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack({ env: { [RETENTION_FINISH_DELAY_ENV]: '1' } });
const media = useMediaCalls(stack);
const s3 = useS3(stack);
const table = useTableStore(stack);

/** A group whose owner sent one image, and a deleteMessage of it that S3 failed. */
async function failedDeletion() {
  const { owner, member, chat } = await groupOfTwo(stack, 'Media', 'own');
  const { chatId } = chat;
  const uploadId = await uploadFile(owner, chatId, FILES.png(2000), 'image/png', 'a.png');
  const message = await sendWith(owner, chatId, [uploadId], 'pic');
  media.failDeletes = true;
  const reply = await owner.request('deleteMessage', { chatId, messageId: message.messageId });
  media.failDeletes = false;
  expect(reply).toMatchObject({ type: 'error', code: 'INTERNAL' });
  const record = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
  // Never claimable again, and no TTL while its object may be there.
  expect(record).toMatchObject({ status: 'deleted' });
  expect(record?.ttl).toBeUndefined();
  expect(await storedKeys(stack, s3(), `chats/${chatId}/`)).toEqual([`chats/${chatId}/${uploadId}`]);
  const shown = (await history(member, chatId)).messages.find((m) => m.messageId === message.messageId);
  expect(shown).toMatchObject({ deleted: false, attachments: [{ attachmentId: uploadId }] });
  return { owner, member, chatId, uploadId, message };
}

/** What DynamoDB's TTL removes from the partition within `seconds` from now (Local runs no TTL). */
async function expireWithin(chatId: string, seconds: number): Promise<string[]> {
  const until = Math.floor(Date.now() / 1000) + seconds;
  const expiring = (await stack.items(`CHAT#${chatId}`)).filter(
    (i) => typeof i.ttl === 'number' && i.ttl <= until,
  );
  for (const { pk, sk } of expiring) {
    await table.doc.send(new DeleteCommand({ TableName: stack.tableName, Key: { pk, sk } }));
  }
  return expiring.map((i) => String(i.sk));
}

describe('a deleteMessage whose DeleteObjects fails', () => {
  it('keeps the upload record without TTL; the retry deletes the object, then gives the record its TTL', async () => {
    const { owner, member, chatId, uploadId, message } = await failedDeletion();
    const before = Math.floor(Date.now() / 1000);
    await owner.ok('deleteMessage', { chatId, messageId: message.messageId });
    const after = Math.ceil(Date.now() / 1000);
    expect(await storedKeys(stack, s3(), `chats/${chatId}/`)).toEqual([]);
    const record = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
    expect(record).toMatchObject({ status: 'deleted' });
    expect(Number(record?.ttl)).toBeGreaterThanOrEqual(before + UPLOAD_TTL_SECONDS);
    expect(Number(record?.ttl)).toBeLessThanOrEqual(after + UPLOAD_TTL_SECONDS);
    await closeAll(stack, owner, member);
  });

  it('leaves the object to the chat’s retention when nobody retries, however long after', async () => {
    const { owner, member, chatId, uploadId } = await failedDeletion();
    // Three days and an hour later: the record is still there (it has no TTL).
    expect(await expireWithin(chatId, UPLOAD_TTL_SECONDS + 3600)).toEqual([]);
    await owner.ok('deleteChat', { chatId });
    await stack.idle({ timers: true });
    expect(await storedKeys(stack, s3(), `chats/${chatId}/`)).toEqual([]);
    expect(media.deletesBy(RETENTION_WORKER.name).flatMap((c) => c.keys)).toContain(
      `chats/${chatId}/${uploadId}`,
    );
    await closeAll(stack, owner, member);
  });
});

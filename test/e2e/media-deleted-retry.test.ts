/**
 * A retry of a send whose message was deleted since (its ack lost: the outbox sends it again, the
 * same `clientMessageId`) is answered that message as it is now, `deleted: true`, as any duplicate,
 * whatever became of its uploads meanwhile. Before, only an upload read `deleted` by this very send
 * led to the stored message: once the upload's record had expired (TTL, 3 days after the deletion),
 * or when the retry read it `used` just before the deletion marked it and probed its bytes after
 * they were deleted, the retry was refused (BAD_REQUEST "is not an upload you requested for this
 * chat", "has no file yet"), which the outbox takes as final: the contract's dedupe rule broken.
 *
 * Over real sockets, DynamoDB Local and the local S3 stand-in. DynamoDB Local runs no TTL: the
 * expiry is a delete of the record; the read before the deletion is the record as it was then.
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UploadRepository } from '../../lambdas/data/uploads.ts';
import { connectUser, type Message, makeDirect, type UserSocket } from '../support/chat.ts';
import { FILES, storedKeys, uploadFile, useS3 } from '../support/media.ts';
import { useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);
const s3 = useS3(stack);
afterEach(() => {
  vi.restoreAllMocks();
});

/** Alice's send of one image with `clientMessageId`, stored, then deleted: the frame and the message. */
async function sentThenDeleted(
  clientMessageId: string,
  beforeDeletion?: (chatId: string, uploadId: string) => Promise<void>,
) {
  const alice = await connectUser(stack);
  const bob = await connectUser(stack);
  const { chatId } = await makeDirect(alice, bob.userId);
  const uploadId = await uploadFile(alice, chatId, FILES.png(800), 'image/png', 'a.png');
  const frame = { chatId, text: '', clientMessageId, attachments: [{ uploadId }] };
  const message = (await alice.ok('sendMessage', frame)).message as Message;
  await beforeDeletion?.(chatId, uploadId);
  await alice.ok('deleteMessage', { chatId, messageId: message.messageId });
  expect(await storedKeys(stack, s3(), `chats/${chatId}/${uploadId}`)).toEqual([]);
  return { alice, chatId, uploadId, frame, message };
}

/** The retry is answered the deleted message as a duplicate, and stores nothing. */
async function expectDeletedDuplicate(
  alice: UserSocket,
  frame: Record<string, unknown>,
  message: Message,
  chatId: string,
) {
  const retry = await alice.request('sendMessage', frame);
  expect(retry).toMatchObject({
    type: 'ack',
    duplicate: true,
    message: { messageId: message.messageId, deleted: true, attachments: [] },
  });
  const messages = (await stack.items(`CHAT#${chatId}`)).filter((i) => String(i.sk).startsWith('MSG#'));
  expect(messages.map((m) => m.messageId)).toEqual([message.messageId]);
}

describe('a retry of a send whose message was deleted', () => {
  it('is that message, deleted, once the upload record has expired (3 days after the deletion)', async () => {
    const { alice, chatId, uploadId, frame, message } = await sentThenDeleted('ttl-1');
    const key = { pk: `CHAT#${chatId}`, sk: `UPLOAD#${uploadId}` };
    expect((await stack.items(key.pk)).find((i) => i.sk === key.sk)).toMatchObject({ status: 'deleted' });
    await table.doc.send(new DeleteCommand({ TableName: stack.tableName, Key: key }));
    await expectDeletedDuplicate(alice, frame, message, chatId);
    // The clientMessageId's claim made on the refusal's path found the message: nothing new is held.
    expect((await stack.items(key.pk)).find((i) => i.sk === key.sk)).toBeUndefined();
  });

  it('is that message, deleted, when it read the upload used before the deletion and its bytes are gone', async () => {
    let asRead: Map<string, unknown> | undefined;
    const { alice, chatId, uploadId, frame, message } = await sentThenDeleted('gone-1', async (chat, id) => {
      asRead = await table.store.uploads.getMany(chat, [id]);
    });
    expect(asRead?.get(uploadId)).toMatchObject({ status: 'used', usedBy: 'cmid:gone-1' });
    // Its read came just before the deletion marked the upload; its probe after the bytes went.
    vi.spyOn(UploadRepository.prototype, 'getMany').mockResolvedValueOnce(asRead as never);
    await expectDeletedDuplicate(alice, frame, message, chatId);
  });
});

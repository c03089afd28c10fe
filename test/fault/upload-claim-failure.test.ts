/**
 * A send tags its uploads' objects attached before the claim transaction (so that a claimed upload is
 * never left pending for the lifecycle rule). When that transaction fails, the tags go back to
 * pending: an object tagged attached that no message carries would be kept forever. The failure is
 * injected into the handlers' DynamoDB client (they run in this process): the send's claim, every
 * attempt; the real S3 stand-in and DynamoDB Local do the rest.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectUsers, type Message, makeDirect, type UserSocket } from '../support/chat.ts';
import { interceptHandlerClient } from '../support/handler-client.ts';
import { FILES, s3Of, tagsOf, uploadFile } from '../support/media.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let s3: S3Client;
let handlers: ReturnType<typeof interceptHandlerClient> | undefined;
/** Claim transactions of this send (its clientMessageId) fail, every attempt, while it is set. */
let failing: string | undefined;

beforeAll(async () => {
  stack = await startTestStack();
  s3 = s3Of(stack);
  handlers = interceptHandlerClient(stack.dynamoEndpoint, (command, input) => {
    if (failing && command === 'TransactWriteItemsCommand' && input.includes(`"cmid:${failing}"`)) {
      throw Object.assign(new Error('injected: service unavailable'), { name: 'InternalServerError' });
    }
  });
});
afterAll(async () => {
  handlers?.restore();
  s3?.destroy();
  await stack?.stop();
});

const uploadRecord = async (chatId: string, uploadId: string) =>
  (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);

describe('a send whose claim of its uploads fails', () => {
  let alice: UserSocket;
  let chatId: string;

  beforeAll(async () => {
    const [a, bob] = (await connectUsers(stack, 2, 'claimfail')) as [UserSocket, UserSocket];
    alice = a;
    chatId = (await makeDirect(alice, bob.userId)).chatId;
  });
  afterAll(() => alice?.close());

  it('puts the pending tag back (the lifecycle rule removes them), the uploads still usable', async () => {
    const ids = [
      await uploadFile(alice, chatId, FILES.png(), 'image/png'),
      await uploadFile(alice, chatId, FILES.any(64), 'application/pdf'),
    ];
    const send = {
      chatId,
      text: '',
      clientMessageId: 'claim-fails',
      attachments: ids.map((uploadId) => ({ uploadId })),
    };

    failing = send.clientMessageId;
    const refused = await alice.request('sendMessage', send).finally(() => {
      failing = undefined;
    });
    expect(refused).toMatchObject({ type: 'error', action: 'sendMessage' });
    for (const id of ids) {
      expect(await tagsOf(stack, s3, chatId, id)).toEqual(['chat-media=pending']);
      expect(await uploadRecord(chatId, id)).toMatchObject({ status: 'pending', usedBy: null });
      expect(Number((await uploadRecord(chatId, id))?.ttl)).toBeGreaterThan(Date.now() / 1000);
    }

    // The retry of that send carries them, attached.
    const sent = (await alice.ok('sendMessage', send)).message as Message;
    expect(sent.attachments.map((a) => a.attachmentId)).toEqual(ids);
    for (const id of ids) expect(await tagsOf(stack, s3, chatId, id)).toEqual(['chat-media=attached']);
  });
});

/**
 * A send tags its uploads' objects attached before the claim transaction (so that a claimed upload is
 * never left pending for the lifecycle rule). When that transaction fails, the tags go back to
 * pending: an object tagged attached that no message carries would be kept forever. The failure is
 * injected into the handlers' DynamoDB client (they run in this process): the send's claim, every
 * attempt; the real S3 stand-in and DynamoDB Local do the rest. The same client holds commands to
 * interleave the failed send's untagging with another send of the same upload, deterministically.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectUsers, type Message, makeDirect, type UserSocket } from '../support/chat.ts';
import { type BeforeCommand, interceptHandlerClient } from '../support/handler-client.ts';
import { FILES, s3Of, tagsOf, uploadFile } from '../support/media.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let s3: S3Client;
let handlers: ReturnType<typeof interceptHandlerClient> | undefined;
/** Claim transactions of this send (its clientMessageId) fail, every attempt, while it is set. */
let failing: string | undefined;
/** Runs before every command of the handlers while it is set (after `failing`). */
let intercept: BeforeCommand | undefined;
const injected = () =>
  Object.assign(new Error('injected: service unavailable'), { name: 'InternalServerError' });

beforeAll(async () => {
  stack = await startTestStack();
  s3 = s3Of(stack);
  handlers = interceptHandlerClient(stack.dynamoEndpoint, async (command, input) => {
    if (failing && command === 'TransactWriteItemsCommand' && input.includes(`"cmid:${failing}"`)) {
      throw injected();
    }
    await intercept?.(command, input);
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

  it('a send that tagged an upload before a failed send put the pending tag back tags it again before claiming it', async () => {
    const [shared, other] = [
      await uploadFile(alice, chatId, FILES.png(), 'image/png'),
      await uploadFile(alice, chatId, FILES.any(64), 'application/pdf'),
    ];
    const failed = {
      chatId,
      text: '',
      clientMessageId: 'race-a',
      attachments: [{ uploadId: shared }, { uploadId: other }],
    };
    const winner = { chatId, text: '', clientMessageId: 'race-b', attachments: [{ uploadId: shared }] };
    // A's claim waits for B's (B has read both pending and tagged `shared` attached), then fails:
    // A puts the pending tag back and gives the records back. B's claim waits for A's answer.
    const bAtClaim = gate();
    const aAnswered = gate();
    intercept = async (command, input) => {
      if (command !== 'TransactWriteItemsCommand') return;
      if (input.includes('"cmid:race-a"')) {
        await bAtClaim.promise;
        throw injected();
      }
      if (input.includes('"cmid:race-b"') && !bAtClaim.done) {
        bAtClaim.open();
        await aAnswered.promise;
      }
    };
    try {
      const a = alice.request('sendMessage', failed);
      const b = alice.request('sendMessage', winner);
      expect(await a).toMatchObject({ type: 'error', action: 'sendMessage' });
      aAnswered.open();
      const sent = ((await b) as { message: Message }).message;
      expect(sent.attachments.map((x) => x.attachmentId)).toEqual([shared]);
    } finally {
      intercept = undefined;
      bAtClaim.open();
      aAnswered.open();
    }
    // The upload a message carries is tagged attached (the lifecycle rule keeps it), and used.
    expect(await tagsOf(stack, s3, chatId, shared)).toEqual(['chat-media=attached']);
    expect(await uploadRecord(chatId, shared)).toMatchObject({ status: 'used', usedBy: 'cmid:race-b' });
    expect(await tagsOf(stack, s3, chatId, other)).toEqual(['chat-media=pending']);
    expect(await uploadRecord(chatId, other)).toMatchObject({ status: 'pending', usedBy: null });
  });

  it('a retry of the send that reads its upload while the pending tag is being put back waits, then sends it', async () => {
    const id = await uploadFile(alice, chatId, FILES.png(), 'image/png');
    const send = { chatId, text: '', clientMessageId: 'held-retry', attachments: [{ uploadId: id }] };
    // The first attempt's claim fails; its untagging gives the record back only once the retry has
    // read it held (twice: it read again after a wait) or was answered.
    const holding = gate();
    const retrySeen = gate();
    let reads = 0;
    let failedOnce = false;
    intercept = async (command, input) => {
      if (command === 'TransactWriteItemsCommand' && input.includes('"cmid:held-retry"') && !failedOnce) {
        failedOnce = true;
        throw injected();
      }
      if (command === 'UpdateItemCommand' && input.includes('"untag:') && !holding.done) {
        holding.open();
        await retrySeen.promise;
      }
      if (command === 'BatchGetItemCommand' && input.includes(`UPLOAD#${id}`) && holding.done) {
        reads += 1;
        if (reads >= 2) retrySeen.open();
      }
    };
    try {
      const first = alice.request('sendMessage', send);
      await holding.promise;
      const retry = alice.request('sendMessage', send);
      void retry.finally(() => retrySeen.open());
      expect(await first).toMatchObject({ type: 'error', action: 'sendMessage' });
      const answer = await retry;
      expect(answer).toMatchObject({ type: 'ack', action: 'sendMessage', duplicate: false });
      expect((answer as { message: Message }).message.attachments.map((x) => x.attachmentId)).toEqual([id]);
    } finally {
      intercept = undefined;
      holding.open();
      retrySeen.open();
    }
    expect(await tagsOf(stack, s3, chatId, id)).toEqual(['chat-media=attached']);
    expect(await uploadRecord(chatId, id)).toMatchObject({ status: 'used', usedBy: 'cmid:held-retry' });
  });
});

/** A promise opened from outside (at most once; `done` once opened). */
function gate() {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  const g = {
    promise,
    done: false,
    open: () => {
      g.done = true;
      open();
    },
  };
  return g;
}

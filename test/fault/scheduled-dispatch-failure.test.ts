/**
 * A dispatch whose send stored the message and then failed (the fan-out's socket lookups: beside the
 * put and again in the posts) keeps its claim: the scheduled message stays `sending`, so its author
 * cannot cancel it (nor give back the uploads a visible message carries) while it may be out; once
 * the lease has run out, the next attempt finds the message and records it as sent, once. The real
 * dispatcher handler runs with the fan-out failing (`setScheduledDeps`), then the stack's own.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendClientMessageId } from '../../lambdas/domain/scheduled.ts';
import { scheduledDeps, setScheduledDeps } from '../../lambdas/domain/scheduled-deps.ts';
import type { FanOut } from '../../lambdas/fanout/fanout.ts';
import { handler as dispatch } from '../../lambdas/handlers/scheduledDispatch.ts';
import { connectUser, eventsOf, history, type Message, makeGroup, settle } from '../support/chat.ts';
import { FILES, s3Of, tagsOf, uploadFile } from '../support/media.ts';
import {
  aboutScheduled,
  inMs,
  makeDue,
  patchItem,
  pendingCount,
  type Scheduled,
  STUCK_MS,
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
afterAll(() => {
  setScheduledDeps(undefined);
  s3?.destroy();
});

/** The dispatcher's deps with a fan-out that cannot look sockets up (its posts of `message.created` fail). */
function lookupsFailing() {
  const real = scheduledDeps();
  const failed = () => Promise.reject(new Error('socket lookup failed'));
  const fanOut = new Proxy(real.fanOut, {
    get(target, prop) {
      if (prop === 'socketsOf') return failed;
      if (prop === 'toUsers') {
        return (...args: Parameters<FanOut['toUsers']>) =>
          args[1].type === 'message.created' ? failed() : target.toUsers(...args);
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...real, fanOut };
}

describe('a dispatch that stored its message and then failed', () => {
  it('keeps the message uncancellable (its upload stays the message’s), and the next attempt records it as sent once', async () => {
    const alice = await connectUser(stack);
    const bob = await connectUser(stack);
    const { chatId } = await makeGroup(alice, [bob.userId]);
    const uploadId = await uploadFile(alice, chatId, FILES.png(2000), 'image/png', 'cake.png');
    const text = 'stored, then failed';
    const scheduled = await schedule(alice, chatId, text, inMs(3600_000), { attachments: [{ uploadId }] });
    const { scheduledId } = scheduled;
    const sendAt = await makeDue(stack, alice.userId, scheduledId);
    const body = JSON.stringify({ userId: alice.userId, scheduledId, sendAt });
    const record = { messageId: 'q1', receiptHandle: 'q1', body } as SQSEvent['Records'][number];

    setScheduledDeps(lookupsFailing());
    let result: SQSBatchResponse;
    try {
      result = (await dispatch({ Records: [record] }, { awsRequestId: 'failing' })) as SQSBatchResponse;
    } finally {
      setScheduledDeps(undefined);
    }
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'q1' }] });
    const [message] = (await history(bob, chatId)).messages;
    expect(message).toMatchObject({
      text,
      clientMessageId: sendClientMessageId(scheduledId, scheduled.sendAt),
    });

    // The message is out: its schedule is not cancellable, and its upload is not given back.
    expect(await storedItem(stack, alice.userId, scheduledId)).toMatchObject({ status: 'sending' });
    const cancel = await alice.request('cancelScheduled', { scheduledId });
    expect(cancel).toMatchObject({ type: 'error', code: 'CONFLICT' });
    const upload = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
    expect(upload).toMatchObject({
      status: 'used',
      usedBy: `cmid:${sendClientMessageId(scheduledId, scheduled.sendAt)}`,
    });
    expect(await tagsOf(stack, s3, chatId, uploadId)).toEqual(['chat-media=attached']);

    // Its lease runs out; the sweep's retry finds the message and records it, without a second one.
    await makeDue(stack, alice.userId, scheduledId, STUCK_MS);
    await patchItem(stack, alice.userId, scheduledId, {
      sendingAt: new Date(Date.now() - 600_000).toISOString(),
    });
    expect(await stack.scheduler.sweepNow()).toMatchObject({ retried: 1 });
    const sent = await alice.event('scheduled.sent', aboutScheduled(scheduledId), 15_000);
    expect((sent.scheduled as Scheduled).messageId).toBe(message?.messageId);
    await stack.scheduler.idle();
    await settle(stack, alice, bob);
    expect((await history(bob, chatId)).messages.map((m) => m.messageId)).toEqual([message?.messageId]);
    // The failed attempt posted nothing; the one that found the message posted it.
    const posted = eventsOf(bob, 'message.created', withText(text));
    expect(posted.map((f) => (f.message as Message).messageId)).toEqual([message?.messageId]);
    expect(eventsOf(alice, 'scheduled.sent', aboutScheduled(scheduledId))).toHaveLength(1);
    expect(await storedItem(stack, alice.userId, scheduledId)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await pendingCount(stack, alice.userId)).toBe(0);
  });
});

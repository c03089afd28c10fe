/**
 * A dispatch attempt that takes a scheduled message over while the attempt before it is still storing
 * it (that attempt's lease ran out while it ran: a stalled invocation). The later attempt looked for
 * the earlier one's message with one read of the client-id index, found nothing yet and, being the
 * last attempt allowed, failed the message (`INTERNAL`, `scheduled.failed` to the author, its upload
 * given back) while the earlier attempt's message went out a moment later, carrying that upload. It
 * now claims the clientMessageId as a send does, which waits for the holder: the message is recorded
 * as sent, once, and its upload stays the message's.
 *
 * On DynamoDB Local and the local S3 stand-in, both attempts in-process (`dispatchScheduled`); the
 * earlier attempt's put is held until the later attempt looks at the claim it holds.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClaimRepository } from '../../lambdas/data/claims.ts';
import { MessageRepository } from '../../lambdas/data/messages.ts';
import { scheduledDeps } from '../../lambdas/domain/scheduled-deps.ts';
import { dispatchScheduled, MAX_DISPATCH_ATTEMPTS } from '../../lambdas/domain/scheduled-dispatch.ts';
import { connectUser, eventsOf, history, makeGroup, settle } from '../support/chat.ts';
import { FILES, tagsOf, uploadFile, useS3 } from '../support/media.ts';
import {
  aboutScheduled,
  inMs,
  makeDue,
  patchItem,
  schedule,
  storedItem,
  withText,
} from '../support/scheduled.ts';
import { useTestStack } from '../support/stack.ts';

// No periodic sweep (only the one at start-up): the two attempts are the only dispatchers here.
const stack = useTestStack({ sweepIntervalMs: 3600_000 });
const s3 = useS3(stack);
afterEach(() => {
  vi.restoreAllMocks();
});

/** A promise and the function that settles it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire = () => {};
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

describe('a dispatch attempt that takes over from one still storing the message', () => {
  it('waits for it and records the message as sent, once, even as the last attempt: its upload stays the message’s', async () => {
    const alice = await connectUser(stack);
    const bob = await connectUser(stack);
    const { chatId } = await makeGroup(alice, [bob.userId]);
    const uploadId = await uploadFile(alice, chatId, FILES.png(2000), 'image/png', 'cake.png');
    const text = 'still being stored';
    const { scheduledId } = await schedule(alice, chatId, text, inMs(3600_000), {
      attachments: [{ uploadId }],
    });
    const sendAt = await makeDue(stack, alice.userId, scheduledId);
    const ref = { userId: alice.userId, scheduledId, sendAt };

    // The earlier attempt's put waits: it holds the clientMessageId claim, nothing is stored yet.
    const storing = signal();
    const gate = signal();
    const put = MessageRepository.prototype.put;
    vi.spyOn(MessageRepository.prototype, 'put').mockImplementation(async function (
      this: MessageRepository,
      ...args
    ) {
      storing.fire();
      await gate.promise;
      return put.apply(this, args);
    });
    const earlier = dispatchScheduled(scheduledDeps(), ref);
    await storing.promise;

    // Its lease runs out while it is stalled, and it was the last attempt but one.
    await patchItem(stack, alice.userId, scheduledId, {
      sendingAt: new Date(Date.now() - 120_000).toISOString(),
      attempts: MAX_DISPATCH_ATTEMPTS,
    });
    // The earlier attempt goes on once the later one looks at the claim it holds (it waits for it).
    const get = ClaimRepository.prototype.get;
    vi.spyOn(ClaimRepository.prototype, 'get').mockImplementation(function (this: ClaimRepository, ...args) {
      gate.fire();
      return get.apply(this, args);
    });
    let later: string;
    try {
      later = await dispatchScheduled(scheduledDeps(), ref);
    } finally {
      gate.fire();
    }
    expect(await earlier).toBe('skipped'); // its completion is refused: the later attempt recorded it
    expect(later).toBe('sent');

    const messages = (await history(bob, chatId)).messages.filter((m) => m.text === text);
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message?.attachments.map((a) => a.attachmentId)).toEqual([uploadId]);
    expect(await storedItem(stack, alice.userId, scheduledId)).toMatchObject({
      status: 'sent',
      messageId: message?.messageId,
      attempts: MAX_DISPATCH_ATTEMPTS + 1,
    });
    await settle(stack, alice, bob);
    expect(eventsOf(alice, 'scheduled.failed', aboutScheduled(scheduledId))).toEqual([]);
    expect(eventsOf(alice, 'scheduled.sent', aboutScheduled(scheduledId))).toHaveLength(1);
    // Posted by the attempt that stored it, and again by the one that found it (at least once:
    // clients drop a messageId they hold), the same message.
    const posted = eventsOf(bob, 'message.created', withText(text));
    expect(new Set(posted.map((f) => (f.message as { messageId: string }).messageId))).toEqual(
      new Set([message?.messageId]),
    );
    // The upload is still the message's: used, tagged attached.
    const record = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
    expect(record).toMatchObject({ status: 'used' });
    expect(await tagsOf(stack, s3(), chatId, uploadId)).toEqual(['chat-media=attached']);
  });
});

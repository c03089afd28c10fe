/**
 * Exactly once under faults: dispatchers racing on the same due message, duplicate queue messages,
 * a dispatcher that died after claiming (before or after the message went out), a live claim that
 * must not be taken over, give-up after repeated failures, early and unreadable queue messages.
 * The real dispatcher handler is invoked directly (as a second Lambda container would be) beside
 * the local queue and sweep.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { deps } from '../../lambdas/domain/deps.ts';
import { sendClientMessageId } from '../../lambdas/domain/scheduled.ts';
import { sendMessage } from '../../lambdas/domain/send.ts';
import { handler as dispatch } from '../../lambdas/handlers/scheduledDispatch.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import {
  anotherSocket,
  connectUsers,
  eventsOf,
  history,
  type Message,
  makeGroup,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import {
  aboutScheduled,
  chatCounters,
  inMs,
  makeDue,
  patchItem,
  pendingCount,
  type Scheduled,
  STUCK_MS,
  schedule,
  storedItem,
} from '../support/scheduled.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const TEN_MINUTES_AGO = () => new Date(Date.now() - 600_000).toISOString();

/** An SQS event carrying the due-queue message of a scheduled item. */
function queueEvent(userId: string, s: Pick<Scheduled, 'scheduledId' | 'sendAt'>, body?: string): SQSEvent {
  const messageId = `test-${Math.random().toString(36).slice(2)}`;
  return {
    Records: [
      {
        messageId,
        receiptHandle: messageId,
        body: body ?? JSON.stringify({ userId, scheduledId: s.scheduledId, sendAt: s.sendAt }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'test',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

const invoke = (event: SQSEvent) => dispatch(event, { awsRequestId: 'test' }) as Promise<SQSBatchResponse>;

/** A group of alice (author) and bob with a message scheduled an hour ahead (so only the test moves it). */
async function world(text: string) {
  const [alice, bob] = (await connectUsers(stack, 2, 'disp')) as [UserSocket, UserSocket];
  const chat = await makeGroup(bob, [alice.userId]);
  const scheduled = await schedule(alice, chat.chatId, text, inMs(3600_000));
  return { alice, bob, chat, scheduled };
}

async function drain(...sockets: UserSocket[]): Promise<void> {
  await stack.scheduler.idle();
  await settle(stack, ...sockets);
}

describe('the dispatcher, exactly once', () => {
  it('sends one message when five dispatchers and a sweep race on the same due item', async () => {
    const { alice, bob, chat, scheduled } = await world('raced');
    const before = await chatCounters(stack, chat.chatId);
    const sendAt = await makeDue(stack, alice.userId, scheduled.scheduledId);
    const event = queueEvent(alice.userId, { ...scheduled, sendAt });
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => invoke(event)),
      stack.scheduler.sweepNow({ full: true }),
    ]);
    for (const r of results.slice(0, 5)) expect(r).toEqual({ batchItemFailures: [] });
    await drain(alice, bob);
    const withText = (f: Frame) => (f.message as Message | undefined)?.text === 'raced';
    expect(eventsOf(bob, 'message.created', withText)).toHaveLength(1);
    expect(eventsOf(alice, 'message.created', withText)).toHaveLength(1);
    expect(eventsOf(alice, 'scheduled.sent', aboutScheduled(scheduled.scheduledId))).toHaveLength(1);
    const { messages } = await history(bob, chat.chatId);
    expect(messages.map((m) => m.text)).toEqual(['raced']);
    // Through the write path once: one seq and one version taken, no void left by a second allocation.
    const after = await chatCounters(stack, chat.chatId);
    expect(after).toEqual({ seq: before.seq + 1, ver: before.ver + 1 });
    expect(messages[0]).toMatchObject({ seq: after.seq, ver: after.ver });
    expect(eventsOf(bob, 'message.created', withText)[0]?.message).toMatchObject({ ver: after.ver });
    expect(await storedItem(stack, alice.userId, scheduled.scheduledId)).toMatchObject({
      status: 'sent',
      attempts: 1,
    });
    expect(await pendingCount(stack, alice.userId)).toBe(0);
    // Once sent, any later copy of its queue message changes nothing.
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    await drain(alice, bob);
    expect(eventsOf(bob, 'message.created', withText)).toHaveLength(1);
  });

  it('takes over from a dispatcher that died after claiming, once its lease ran out (the sweep retries it as stuck)', async () => {
    const { alice, bob, chat, scheduled } = await world('taken over');
    await makeDue(stack, alice.userId, scheduled.scheduledId, STUCK_MS);
    await patchItem(stack, alice.userId, scheduled.scheduledId, {
      status: 'sending',
      sendingAt: TEN_MINUTES_AGO(),
      dispatchId: 'dead',
      attempts: 1,
    });
    expect(await listScheduledIds(alice)).toEqual([scheduled.scheduledId]);
    expect(await stack.scheduler.sweepNow()).toMatchObject({ retried: 1 });
    const sent = await alice.event('scheduled.sent', aboutScheduled(scheduled.scheduledId));
    await drain(alice, bob);
    const messages = (await history(bob, chat.chatId)).messages;
    expect(messages.map((m) => m.text)).toEqual(['taken over']);
    expect((sent.scheduled as Scheduled).messageId).toBe(messages[0]?.messageId);
    expect(await storedItem(stack, alice.userId, scheduled.scheduledId)).toMatchObject({
      status: 'sent',
      attempts: 2,
    });
    expect(await pendingCount(stack, alice.userId)).toBe(0);
  });

  it('does not store again when the dead dispatcher had already stored the message, and tells the members again (author removed since)', async () => {
    const { alice, bob, chat, scheduled } = await world('already out');
    // The first attempt's publish: the dispatcher's send, with the clientMessageId derived from the
    // scheduled id and its time (a prefix no client's send may take).
    const { message: first } = await sendMessage(
      deps(),
      { userId: alice.userId, name: alice.userId },
      {
        chatId: chat.chatId,
        text: 'already out',
        clientMessageId: sendClientMessageId(scheduled.scheduledId, scheduled.sendAt),
        connectionId: '',
      },
    );
    await bob.ok('removeMember', { chatId: chat.chatId, userId: alice.userId });
    await makeDue(stack, alice.userId, scheduled.scheduledId, STUCK_MS);
    await patchItem(stack, alice.userId, scheduled.scheduledId, {
      status: 'sending',
      sendingAt: TEN_MINUTES_AGO(),
      dispatchId: 'dead',
      attempts: 1,
    });
    await stack.scheduler.sweepNow();
    const sent = await alice.event('scheduled.sent', aboutScheduled(scheduled.scheduledId));
    expect(sent.scheduled).toMatchObject({ status: 'sent', messageId: first.messageId, reason: null });
    await drain(alice, bob);
    expect((await history(bob, chat.chatId)).messages).toEqual([first]);
    // Once from the send, once more from the attempt that found it: the dead one may have died
    // before its posts (at least once; clients drop a messageId they hold). Alice, no member now,
    // got only the send's (a dispatcher's send leaves none of the author's sockets out).
    const ofFirst = (f: Frame) => (f.message as Message).messageId === first.messageId;
    expect(eventsOf(bob, 'message.created', ofFirst)).toHaveLength(2);
    expect(eventsOf(bob, 'message.created')).toHaveLength(2);
    expect(eventsOf(alice, 'message.created', ofFirst)).toHaveLength(1);
  });

  it('leaves a live claim alone (no second send while its holder may still be working)', async () => {
    const { alice, bob, chat, scheduled } = await world('held');
    const sendAt = await makeDue(stack, alice.userId, scheduled.scheduledId, STUCK_MS);
    await patchItem(stack, alice.userId, scheduled.scheduledId, {
      status: 'sending',
      sendingAt: new Date().toISOString(),
      dispatchId: 'alive',
      attempts: 1,
    });
    expect(await invoke(queueEvent(alice.userId, { ...scheduled, sendAt }))).toEqual({
      batchItemFailures: [],
    });
    expect(await stack.scheduler.sweepNow()).toMatchObject({ retried: 1 });
    await drain(alice, bob);
    expect((await history(bob, chat.chatId)).messages).toEqual([]);
    expect(await storedItem(stack, alice.userId, scheduled.scheduledId)).toMatchObject({
      status: 'sending',
      dispatchId: 'alive',
    });
    // Retried once, then postponed: the next sweep does not enqueue it again.
    expect(await stack.scheduler.sweepNow()).toMatchObject({ retried: 0 });
    // Still pending for its author, and no longer cancellable.
    expect(await listScheduledIds(alice)).toEqual([scheduled.scheduledId]);
    const cancel = await alice.request('cancelScheduled', { scheduledId: scheduled.scheduledId });
    expect(cancel).toMatchObject({ type: 'error', code: 'CONFLICT' });
  });

  it('gives up after five attempts with reason INTERNAL when none of them got it out', async () => {
    const { alice, bob, scheduled } = await world('hopeless');
    await makeDue(stack, alice.userId, scheduled.scheduledId, STUCK_MS);
    await patchItem(stack, alice.userId, scheduled.scheduledId, {
      status: 'sending',
      sendingAt: TEN_MINUTES_AGO(),
      dispatchId: 'dead',
      attempts: 5,
    });
    await stack.scheduler.sweepNow();
    const failed = await alice.event('scheduled.failed', aboutScheduled(scheduled.scheduledId));
    expect(failed.scheduled).toMatchObject({ status: 'failed', reason: 'INTERNAL', messageId: null });
    await drain(alice, bob);
    expect(bob.events('message.created')).toEqual([]);
    expect(await pendingCount(stack, alice.userId)).toBe(0);
  });

  it('puts a queue message that came early back on the queue, and drops one that is not ours', async () => {
    const { alice, bob, chat, scheduled } = await world('not yet');
    const sentBefore = stack.scheduler.queue.stats.sent;
    expect(await invoke(queueEvent(alice.userId, scheduled))).toEqual({ batchItemFailures: [] });
    expect(stack.scheduler.queue.stats.sent).toBe(sentBefore + 1);
    expect(await storedItem(stack, alice.userId, scheduled.scheduledId)).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
    expect(await invoke(queueEvent(alice.userId, scheduled, '{"hello":"world"}'))).toEqual({
      batchItemFailures: [],
    });
    expect(await invoke(queueEvent(alice.userId, scheduled, 'not json'))).toEqual({ batchItemFailures: [] });
    await drain(alice, bob);
    expect((await history(bob, chat.chatId)).messages).toEqual([]);
  });
});

describe('the dispatcher, within its time', () => {
  it('queues the posts it has no time left for (its own invocation’s deadline), and each socket gets its events once', async () => {
    const { alice, bob, chat, scheduled } = await world('short of time');
    const alice2 = await anotherSocket(stack, alice);
    const sendAt = await makeDue(stack, alice.userId, scheduled.scheduledId);
    const fanOut = stack.queues.get(FANOUT_WORKER.name) as LocalQueue;
    const queued = fanOut.stats.sent;
    // Less than one post's time (6 s) plus the 2 s a request keeps: no post may start here.
    const context = { awsRequestId: 'short', getRemainingTimeInMillis: () => 5_000 };
    const result = await dispatch(queueEvent(alice.userId, { ...scheduled, sendAt }), context);
    expect(result).toEqual({ batchItemFailures: [] });
    // Three sockets under the threshold of 200, queued only for want of time: the message (bob and
    // both of alice's), then scheduled.sent (alice's two).
    expect(fanOut.stats.sent).toBeGreaterThanOrEqual(queued + 2);
    await stack.idle();
    await drain(alice, alice2, bob);
    const withText = (f: Frame) => (f.message as Message | undefined)?.text === 'short of time';
    for (const socket of [alice, alice2, bob]) {
      expect(eventsOf(socket, 'message.created', withText), socket.userId).toHaveLength(1);
    }
    for (const socket of [alice, alice2]) {
      expect(eventsOf(socket, 'scheduled.sent', aboutScheduled(scheduled.scheduledId))).toHaveLength(1);
    }
    expect((await history(bob, chat.chatId)).messages.map((m) => m.text)).toEqual(['short of time']);
  });

  it('posts itself with time enough (nothing queued under the threshold)', async () => {
    const { alice, bob, scheduled } = await world('in time');
    const sendAt = await makeDue(stack, alice.userId, scheduled.scheduledId);
    const fanOut = stack.queues.get(FANOUT_WORKER.name) as LocalQueue;
    const queued = fanOut.stats.sent;
    const context = { awsRequestId: 'ample', getRemainingTimeInMillis: () => 20_000 };
    expect(await dispatch(queueEvent(alice.userId, { ...scheduled, sendAt }), context)).toEqual({
      batchItemFailures: [],
    });
    await drain(alice, bob);
    expect(fanOut.stats.sent).toBe(queued);
    const withText = (f: Frame) => (f.message as Message | undefined)?.text === 'in time';
    expect(eventsOf(bob, 'message.created', withText)).toHaveLength(1);
  });
});

async function listScheduledIds(socket: UserSocket): Promise<string[]> {
  const ack = await socket.ok('listScheduled');
  return (ack.scheduled as Scheduled[]).map((s) => s.scheduledId);
}

/**
 * A direct chat's sockets are looked up per user (one connection Query each, directory.ts). A
 * failed Query is retried; one that still fails never drops its user in silence: the sockets found
 * get the event, and the user goes to the fan-out queue, whose worker looks them up and posts. The
 * sender's ack is the usual one. (Before, the user was skipped with one log line: the peer's open
 * socket never got `message.created`.) When the worker's lookup fails too, SQS delivers its job
 * again after a short backoff (lambdas/queue/retry-later.ts), not after the queue's visibility
 * timeout (3 minutes on AWS, as here): the peer gets the message seconds later.
 *
 * The failures are injected into the handlers' own document client, in front of its retries.
 */
import { describe, expect, it } from 'vitest';
import { LOOKUP_ATTEMPTS } from '../../lambdas/fanout/directory.ts';
import { currentFunction } from '../../lambdas/shared/logger.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { connectUser, type Message, makeDirect, settle, type UserSocket } from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';
import { uniqueId } from '../support/stack.ts';

/** Fails the next `left` connection Queries of this user's partition; `workerFailures`: the worker's. */
const failing = { userId: '', left: 0, failed: 0, workerFailures: 0 };

const queue = () => stack.queues.get(FANOUT_WORKER.name) as LocalQueue;
const created = (socket: UserSocket, messageId: string) =>
  socket.events('message.created').filter((f) => (f.message as Message).messageId === messageId).length;

async function pair() {
  const ann = await connectUser(stack, uniqueId('ann'));
  const bob = await connectUser(stack, uniqueId('bob'));
  const chat = await makeDirect(ann, bob.userId);
  await settle(stack, ann, bob);
  return { ann, bob, chat };
}

// The fan-out queue's visibility timeout is the deployed one (6 × the worker's 30 s, lib/queue-worker.ts).
const stack = useInterceptedStack(
  (command, input) => {
    const connections = input.includes(`"USER#${failing.userId}"`) && input.includes('CONN#');
    if (failing.left > 0 && command === 'QueryCommand' && connections) {
      failing.left--;
      failing.failed++;
      if (currentFunction() === FANOUT_WORKER.name) failing.workerFailures++;
      throw Object.assign(new Error('injected: service unavailable'), { name: 'InternalServerError' });
    }
  },
  { visibilityTimeoutSeconds: { [FANOUT_WORKER.name]: 6 * FANOUT_WORKER.timeoutSeconds } },
);
describe("a failed lookup of a direct chat peer's sockets", { timeout: 60_000 }, () => {
  it('is retried in the request: the peer gets the message from it', async () => {
    const { ann, bob, chat } = await pair();
    Object.assign(failing, { userId: bob.userId, left: 1, failed: 0 });
    const sent = queue().stats.sent;
    const ack = await ann.ok('sendMessage', {
      chatId: chat.chatId,
      text: 'hi bob',
      clientMessageId: uniqueId('c'),
    });
    await stack.idle();
    await settle(stack, ann, bob);
    expect(failing.failed).toBe(1);
    expect(created(bob, (ack.message as Message).messageId)).toBe(1);
    expect(queue().stats.sent).toBe(sent);
  });

  it('still failing after the retries, goes to the queue: the peer gets the message from its worker', async () => {
    const { ann, bob, chat } = await pair();
    // Every try of the request (the lookup beside the put, then the fan-out's own) fails.
    Object.assign(failing, { userId: bob.userId, left: 2 * LOOKUP_ATTEMPTS, failed: 0 });
    const sent = queue().stats.sent;
    const ack = await ann.ok('sendMessage', {
      chatId: chat.chatId,
      text: 'hi again',
      clientMessageId: uniqueId('c'),
    });
    expect(ack.duplicate).toBe(false);
    await stack.idle();
    await settle(stack, ann, bob);
    expect(failing.failed).toBe(2 * LOOKUP_ATTEMPTS);
    expect(queue().stats.sent).toBe(sent + 1);
    expect(created(bob, (ack.message as Message).messageId)).toBe(1);
    expect(created(ann, (ack.message as Message).messageId)).toBe(0); // the sender's socket has the ack
  });

  it('failing in the worker too, is delivered again seconds later, not after the queue’s 3 minutes', async () => {
    const { ann, bob, chat } = await pair();
    // The request's tries, then every try of the worker's first receive.
    Object.assign(failing, { userId: bob.userId, left: 3 * LOOKUP_ATTEMPTS, failed: 0, workerFailures: 0 });
    const failedRecords = queue().stats.failedRecords;
    const ack = await ann.ok('sendMessage', {
      chatId: chat.chatId,
      text: 'worth the wait',
      clientMessageId: uniqueId('c'),
    });
    const messageId = (ack.message as Message).messageId;
    // The first receive's backoff is 10 s; without it the job would wait the 180 s visibility timeout.
    await bob.event('message.created', (f) => (f.message as Message).messageId === messageId, 30_000);
    await settle(stack, ann, bob);
    expect(failing.workerFailures).toBe(LOOKUP_ATTEMPTS);
    expect(failing.left).toBe(0);
    expect(queue().stats.failedRecords - failedRecords).toBe(1);
    expect(created(bob, messageId)).toBe(1);
  });
});

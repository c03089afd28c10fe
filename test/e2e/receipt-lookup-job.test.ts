import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { markDelivered } from '../../lambdas/domain/delivery.ts';
import { readMessage } from '../../lambdas/domain/messages.ts';
import type { FanOutJob } from '../../lambdas/fanout/jobs.ts';
import { handler as fanOutWorker } from '../../lambdas/handlers/fanOutWorker.ts';
import {
  anotherSocket,
  connectUser,
  eventsOf,
  makeDirect,
  makeGroup,
  sendText,
  settle,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { useFailingReads } from '../support/failing-reads.ts';
import { olderThanTheMirror } from '../support/older-chats.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);
const { unreadableRoster, unreadableBlocks } = useFailingReads(stack, table);

const eventOf = (jobs: readonly FanOutJob[]): SQSEvent =>
  ({
    Records: jobs.map((job, i) => ({ messageId: `m${i}`, body: JSON.stringify(job) })),
  }) as unknown as SQSEvent;

describe('a receipt of a group whose roster could not be read', () => {
  it('reaches the other members’ sockets through the worker; the reader’s own at once', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const bob2 = await anotherSocket(stack, bob);
    const { chatId } = await makeGroup(ann, [bob.userId], 'throttled');
    const m = await sendText(ann, chatId, 'hello');
    await settle(stack, ann, bob, bob2);
    const { deps, jobs } = unreadableRoster();
    const caller = { userId: bob.userId, name: 'Bob' };
    await markDelivered(deps, caller, { chatId, seq: m.seq });
    await readMessage(deps, caller, { chatId, messageId: m.messageId });
    await settle(stack, ann, bob, bob2);
    const inChat = (f: Frame) => f.chatId === chatId;
    const read = { type: 'message.read', chatId, userId: bob.userId, lastReadSeq: m.seq };
    const delivered = { type: 'message.delivered', chatId, userId: bob.userId, lastDeliveredSeq: m.seq };
    // The reader's own sockets are told at once (their lookup is not the roster's); ann not yet.
    for (const socket of [bob, bob2]) expect(eventsOf(socket, 'message.read', inChat)).toEqual([read]);
    expect(eventsOf(ann, 'message.read', inChat)).toEqual([]);
    // Each receipt is one job naming the chat and the reader (no member list read for it); the
    // worker reads the roster again and posts to its sockets but the reader's.
    expect(jobs).toEqual([
      expect.objectContaining({ v: 2, chatId, maxSockets: 200, reader: bob.userId, targets: [] }),
      expect.objectContaining({ v: 2, chatId, maxSockets: 200, reader: bob.userId, targets: [] }),
    ]);
    expect(jobs.filter((job) => job.users !== undefined)).toEqual([]);
    // The jobs run through the worker's own handler (its deps, its scope: the IAM check sees its
    // roster Query as the worker's).
    await expect(fanOutWorker(eventOf(jobs))).resolves.toEqual({ batchItemFailures: [] });
    await settle(stack, ann, bob, bob2);
    expect(eventsOf(ann, 'message.delivered', inChat)).toEqual([delivered]);
    expect(eventsOf(ann, 'message.read', inChat)).toEqual([read]);
    // Each socket once: the reader's own are not in the job, and a receipt never goes to its sender
    // as `message.delivered`.
    for (const socket of [bob, bob2]) {
      expect(eventsOf(socket, 'message.read', inChat)).toEqual([read]);
      expect(eventsOf(socket, 'message.delivered', inChat)).toEqual([]);
    }
  });

  it('reaches, through the worker too, none of the users the reader has blocked', async () => {
    const carol = await connectUser(stack, uniqueId('carol'));
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const { chatId } = await makeGroup(carol, [ann.userId, bob.userId], 'throttled, blocked');
    await ann.ok('blockUser', { userId: bob.userId });
    const m = await sendText(carol, chatId, 'hello');
    await settle(stack, carol, ann, bob);
    const { deps, jobs } = unreadableRoster();
    const caller = { userId: ann.userId, name: 'Ann' };
    await markDelivered(deps, caller, { chatId, seq: m.seq });
    await readMessage(deps, caller, { chatId, messageId: m.messageId });
    expect(jobs).toEqual([
      expect.objectContaining({ chatId, reader: ann.userId }),
      expect.objectContaining({ chatId, reader: ann.userId }),
    ]);
    // The worker reads the reader's block items (its own grants: the IAM check records them).
    await expect(fanOutWorker(eventOf(jobs))).resolves.toEqual({ batchItemFailures: [] });
    await settle(stack, carol, ann, bob);
    const fromAnn = (f: Frame) => f.chatId === chatId && f.userId === ann.userId;
    expect(eventsOf(carol, 'message.delivered', fromAnn)).toHaveLength(1);
    expect(eventsOf(carol, 'message.read', fromAnn)).toHaveLength(1);
    expect(eventsOf(bob, 'message.delivered', fromAnn)).toEqual([]);
    expect(eventsOf(bob, 'message.read', fromAnn)).toEqual([]);
  });
});

describe('a receipt of a direct chat older than the blocks’ mirror whose block read failed', () => {
  it('reaches the peer through the worker (the reader’s own sockets at once), not one the reader blocked', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const { chatId } = await makeDirect(bob, ann.userId);
    const m = await sendText(bob, chatId, 'hi ann');
    await olderThanTheMirror(stack, chatId);
    await settle(stack, ann, bob);
    const { deps, jobs } = unreadableBlocks();
    const caller = { userId: ann.userId, name: 'Ann' };
    await markDelivered(deps, caller, { chatId, seq: m.seq });
    await readMessage(deps, caller, { chatId, messageId: m.messageId });
    await settle(stack, ann, bob);
    const fromAnn = (f: Frame) => f.chatId === chatId && f.userId === ann.userId;
    expect(eventsOf(ann, 'message.read', fromAnn)).toHaveLength(1);
    expect(eventsOf(bob, 'message.read', fromAnn)).toEqual([]);
    const job = { targets: [], users: [bob.userId], reader: ann.userId };
    expect(jobs).toEqual([expect.objectContaining(job), expect.objectContaining(job)]);
    // The worker's own handler reads ann's blocks (none) and looks bob up.
    await expect(fanOutWorker(eventOf(jobs))).resolves.toEqual({ batchItemFailures: [] });
    await settle(stack, ann, bob);
    expect(eventsOf(bob, 'message.delivered', fromAnn)).toHaveLength(1);
    expect(eventsOf(bob, 'message.read', fromAnn)).toHaveLength(1);
    expect(eventsOf(ann, 'message.read', fromAnn)).toHaveLength(1);
    // Once ann has blocked bob, the same jobs reach him no more.
    await ann.ok('blockUser', { userId: bob.userId });
    await expect(fanOutWorker(eventOf(jobs))).resolves.toEqual({ batchItemFailures: [] });
    await settle(stack, ann, bob);
    expect(eventsOf(bob, 'message.read', fromAnn)).toHaveLength(1);
  });
});

/**
 * What is kept of finished scheduled messages, and what listScheduled reads. Finishing one (sent,
 * failed, cancelled) replaces its `SCHED#` item with a small `SCHEDDONE#` one in the same
 * transaction, so listing reads only the waiting ones (at most the cap), however many were
 * scheduled and cancelled in the last 7 days, and the answers about finished ones stay what they
 * were. Items finished before that layout (still under `SCHED#`) are handled as before. A pending
 * one whose chat was deleted is failed by listScheduled instead of being listed. Over real sockets,
 * DynamoDB Local and the local due queue and sweep.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatStore } from '../../lambdas/data/store.ts';
import { connectUsers, eventsOf, makeGroup, settle, type UserSocket } from '../support/chat.ts';
import {
  aboutScheduled,
  inMs,
  listScheduled,
  pendingCount,
  type Scheduled,
  schedule,
  storedItem,
  storedScheduled,
} from '../support/scheduled.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const LONG = 'x'.repeat(4000);
/** The items of the Queries made through `store` (ScannedCount: what DynamoDB read, before any filter). */
let scanned = 0;
let client: DynamoDBClient;
let store: ChatStore;
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  client = new DynamoDBClient({ endpoint: stack.dynamoEndpoint });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'QueryCommand')
        scanned += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
      return result;
    },
    { step: 'initialize', name: 'countScanned' },
  );
  doc = DynamoDBDocumentClient.from(client);
  store = new ChatStore(doc, stack.tableName);
});
afterAll(() => client?.destroy());

const finishedOnes = (items: Record<string, unknown>[]) =>
  items.filter((i) => String(i.sk).startsWith('SCHEDDONE#'));
const waitingOnes = (items: Record<string, unknown>[]) =>
  items.filter((i) => String(i.sk).startsWith('SCHED#'));

describe('listScheduled after many schedules were cancelled', () => {
  it('reads only the waiting ones; the cancelled ones are kept small, elsewhere', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'churn')) as [UserSocket, UserSocket];
    const { chatId } = await makeGroup(alice, [bob.userId]);
    const waiting: Scheduled[] = [];
    for (let i = 0; i < 3; i++) waiting.push(await schedule(alice, chatId, LONG, inMs(3600_000 + i * 1000)));
    const CHURN = 40;
    for (let i = 0; i < CHURN; i++) {
      const s = await schedule(alice, chatId, LONG, inMs(7200_000), { clientMessageId: `churn-${i}` });
      await alice.ok('cancelScheduled', { scheduledId: s.scheduledId });
    }

    // The repository's Query, as listScheduled makes it: it reads the three waiting ones, nothing else.
    scanned = 0;
    expect(await store.scheduled.listPending(alice.userId)).toHaveLength(3);
    expect(scanned).toBe(3);

    const items = await storedScheduled(stack, alice.userId);
    expect(waitingOnes(items).map((i) => i.scheduledId)).toEqual(
      expect.arrayContaining(waiting.map((s) => s.scheduledId)),
    );
    expect(waitingOnes(items)).toHaveLength(3);
    const finished = finishedOnes(items);
    expect(finished).toHaveLength(CHURN);
    for (const item of finished) {
      expect(item).toMatchObject({ status: 'cancelled', attachmentIds: [] });
      expect(item).not.toHaveProperty('text');
      expect(item).not.toHaveProperty('gsi2pk');
      expect(Number(item.ttl)).toBeGreaterThan(Date.now() / 1000);
      expect(JSON.stringify(item).length).toBeLessThan(600);
    }

    expect(await listScheduled(alice)).toEqual(waiting);
    expect(await pendingCount(stack, alice.userId)).toBe(3);
  }, 120_000);
});

describe('a finished scheduled message', () => {
  let alice: UserSocket;
  let bob: UserSocket;
  let chatId: string;
  beforeAll(async () => {
    [alice, bob] = (await connectUsers(stack, 2, 'done')) as [UserSocket, UserSocket];
    chatId = (await makeGroup(alice, [bob.userId])).chatId;
  });

  it('cancelled: cancelling again is CONFLICT; a repeated schedule is answered with it and stores nothing', async () => {
    const sendAt = inMs(3600_000);
    const made = await schedule(alice, chatId, 'changed my mind', sendAt, { clientMessageId: 'cancel-me' });
    const cancelled = (await alice.ok('cancelScheduled', { scheduledId: made.scheduledId }))
      .scheduled as Scheduled;
    expect(cancelled).toEqual({ ...made, status: 'cancelled' });

    const again = await alice.request('cancelScheduled', { scheduledId: made.scheduledId });
    expect(again).toMatchObject({
      type: 'error',
      code: 'CONFLICT',
      message: expect.stringMatching(/cancelled/),
    });
    const before = await storedScheduled(stack, alice.userId);
    const repeat = await alice.ok('scheduleMessage', {
      chatId,
      text: 'changed my mind',
      sendAt,
      clientMessageId: 'cancel-me',
    });
    // What is kept of it: everything but its text and attachments.
    expect(repeat.scheduled).toEqual({ ...cancelled, text: '', attachments: [] });
    expect(await storedScheduled(stack, alice.userId)).toEqual(before);
    expect(await pendingCount(stack, alice.userId)).toBe(0);
    expect(await listScheduled(alice)).toEqual([]);
  });

  it('sent: told with its text, kept without it; cancelling is CONFLICT, a repeat answers sent', async () => {
    const made = await schedule(alice, chatId, 'on its way', inMs(1500), { clientMessageId: 'send-me' });
    const told = await alice.event('scheduled.sent', aboutScheduled(made.scheduledId), 15_000);
    const sent = told.scheduled as Scheduled;
    expect(sent).toEqual({ ...made, status: 'sent', messageId: expect.stringMatching(/^m/) });
    await stack.scheduler.idle();
    expect(await storedItem(stack, alice.userId, made.scheduledId)).toMatchObject({
      sk: `SCHEDDONE#${made.scheduledId}`,
      status: 'sent',
      messageId: sent.messageId,
      attempts: 1,
    });
    const cancel = await alice.request('cancelScheduled', { scheduledId: made.scheduledId });
    expect(cancel).toMatchObject({ type: 'error', code: 'CONFLICT', message: expect.stringMatching(/sent/) });
    const repeat = await alice.ok('scheduleMessage', {
      chatId,
      text: 'on its way',
      sendAt: made.sendAt,
      clientMessageId: 'send-me',
    });
    expect(repeat.scheduled).toEqual({ ...sent, text: '', attachments: [] });
    expect(await pendingCount(stack, alice.userId)).toBe(0);
  });

  it('finished before the small items existed (still under SCHED#): skipped by the list, answered as before', async () => {
    const made = await schedule(alice, chatId, 'from the old layout', inMs(3600_000), {
      clientMessageId: 'old-layout',
    });
    await alice.ok('cancelScheduled', { scheduledId: made.scheduledId });
    // As the earlier code left a cancelled one: its item in place with its text, status set, no due
    // keys, a TTL; nothing under SCHEDDONE#.
    const {
      sk: _sk,
      attachmentIds: _ids,
      itemType: _type,
      ...kept
    } = (await storedItem(stack, alice.userId, made.scheduledId)) ?? {};
    await doc.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...kept,
          sk: `SCHED#${made.scheduledId}`,
          itemType: 'scheduled',
          authorName: 'A',
          text: made.text,
        },
      }),
    );
    await doc.send(
      new DeleteCommand({
        TableName: stack.tableName,
        Key: { pk: `USER#${alice.userId}`, sk: `SCHEDDONE#${made.scheduledId}` },
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );

    expect(await listScheduled(alice)).toEqual([]);
    const cancel = await alice.request('cancelScheduled', { scheduledId: made.scheduledId });
    expect(cancel).toMatchObject({
      type: 'error',
      code: 'CONFLICT',
      message: expect.stringMatching(/cancelled/),
    });
    const repeat = await alice.ok('scheduleMessage', {
      chatId,
      text: made.text,
      sendAt: made.sendAt,
      clientMessageId: 'old-layout',
    });
    expect(repeat.scheduled).toEqual({ ...made, status: 'cancelled' });
    expect(await pendingCount(stack, alice.userId)).toBe(0);
  });
});

describe('listScheduled, when a chat with pending schedules was deleted', () => {
  it('fails them (CHAT_DELETED) instead of listing them, and they no longer count toward the cap', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'gone')) as [UserSocket, UserSocket];
    const doomed = await makeGroup(alice, [bob.userId]);
    const kept = await makeGroup(alice, [bob.userId]);
    const inDoomed = [
      await schedule(alice, doomed.chatId, 'never', inMs(3600_000)),
      await schedule(alice, doomed.chatId, 'nor this', inMs(7200_000)),
    ];
    const alive = await schedule(alice, kept.chatId, 'still on', inMs(5400_000));
    await alice.ok('deleteChat', { chatId: doomed.chatId });
    expect(await pendingCount(stack, alice.userId)).toBe(3);

    expect(await listScheduled(alice)).toEqual([alive]);
    expect(await pendingCount(stack, alice.userId)).toBe(1);
    for (const s of inDoomed) {
      expect(await storedItem(stack, alice.userId, s.scheduledId)).toMatchObject({
        sk: `SCHEDDONE#${s.scheduledId}`,
        status: 'failed',
        reason: 'CHAT_DELETED',
      });
      const cancel = await alice.request('cancelScheduled', { scheduledId: s.scheduledId });
      expect(cancel).toMatchObject({
        type: 'error',
        code: 'CONFLICT',
        message: expect.stringMatching(/failed/),
      });
    }
    expect(await listScheduled(alice, doomed.chatId)).toEqual([]);
    await settle(stack, alice);
    expect(eventsOf(alice, 'scheduled.failed')).toEqual([]);
  });
});

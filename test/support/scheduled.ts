/** Helpers for the scheduled-message suites: scheduling, the stored items, and forcing a due item. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { Scheduled } from '../../lambdas/contract/objects.ts';
import * as contract from '../../lambdas/contract/objects.ts';
import { ChatStore } from '../../lambdas/data/store.ts';
import { STUCK_AFTER_MS } from '../../lambdas/domain/scheduled-sweep.ts';
import { expectContractShape, ISO_TIME, type Message } from './chat.ts';
import type { Frame, TestClient } from './client.ts';
import type { TestStack } from './stack.ts';

export type { Scheduled };

/** An ISO time `ms` from now. */
export const inMs = (ms: number): string => new Date(Date.now() + ms).toISOString();

/** Frames about one scheduled message (its `scheduled.*` events). */
export const aboutScheduled = (scheduledId: string) => (f: Frame) =>
  (f.scheduled as Scheduled | undefined)?.scheduledId === scheduledId;

/** Frames carrying a message with this text (`message.created` of a scheduled message gone out). */
export const withText = (text: string) => (f: Frame) => (f.message as Message | undefined)?.text === text;

export async function schedule(
  socket: TestClient,
  chatId: string,
  text: string,
  sendAt: string,
  extra: Record<string, unknown> = {},
): Promise<Scheduled> {
  const ack = await socket.ok('scheduleMessage', { chatId, text, sendAt, ...extra });
  expectScheduledShape(ack.scheduled);
  return ack.scheduled;
}

export async function listScheduled(socket: TestClient, chatId?: string): Promise<Scheduled[]> {
  const ack = await socket.ok('listScheduled', chatId === undefined ? {} : { chatId });
  for (const s of ack.scheduled as unknown[]) expectScheduledShape(s);
  return ack.scheduled as Scheduled[];
}

export function expectScheduledShape(s: unknown): asserts s is Scheduled {
  expectContractShape(contract.Scheduled, s);
  const scheduled = s as Scheduled;
  expect(scheduled.createdAt).toMatch(ISO_TIME);
  expect(scheduled.sendAt).toMatch(ISO_TIME);
  expect(scheduled.scheduledId).toMatch(/^s_[\w-]{22}$/);
}

/**
 * Every scheduled item of a user as stored (consistent read of the user's partition): the ones still
 * to go out (`SCHED#`) and what is kept of the finished ones (`SCHEDDONE#`).
 */
export async function storedScheduled(stack: TestStack, userId: string): Promise<Record<string, unknown>[]> {
  return (await stack.items(`USER#${userId}`)).filter((i) => /^SCHED(DONE)?#/.test(String(i.sk)));
}

export async function storedItem(
  stack: TestStack,
  userId: string,
  scheduledId: string,
): Promise<Record<string, unknown> | undefined> {
  return (await storedScheduled(stack, userId)).find((i) => i.scheduledId === scheduledId);
}

/** The author's stored pending count (0 when the counter was never written). */
export async function pendingCount(stack: TestStack, userId: string): Promise<number> {
  const counter = (await stack.items(`USER#${userId}`)).find((i) => i.sk === 'SCHEDCOUNT');
  return Number(counter?.pending ?? 0);
}

/** A chat's seq and version counters on `META` (the write path's allocation). */
export async function chatCounters(stack: TestStack, chatId: string): Promise<{ seq: number; ver: number }> {
  const meta = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === 'META');
  return { seq: Number(meta?.lastSeq ?? 0), ver: Number(meta?.lastVer ?? 0) };
}

/** Writes attributes of a stored scheduled item directly (to stage a due or a half-done dispatch). */
export async function patchItem(
  stack: TestStack,
  userId: string,
  scheduledId: string,
  values: Record<string, unknown>,
): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  try {
    const names = Object.keys(values);
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: `USER#${userId}`, sk: `SCHED#${scheduledId}` },
        UpdateExpression: `SET ${names.map((_n, i) => `#n${i} = :v${i}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#n${i}`, n])),
        ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, values[n]])),
      }),
    );
  } finally {
    doc.destroy();
  }
}

/**
 * Makes a stored pending item due: its send time and due-index time `agoMs` ago (1 s: due now, for
 * a full sweep or a dispatcher; over 2 minutes: stuck, for a normal sweep to retry). A stuck item
 * is one a sweep has passed: the sweep cursor is moved past it (as a sweep that found something
 * moves it), so that the next sweep reads it as stuck whatever earlier tests' sweeps found.
 */
export async function makeDue(
  stack: TestStack,
  userId: string,
  scheduledId: string,
  agoMs = 1000,
): Promise<string> {
  const sendAt = new Date(Date.now() - agoMs).toISOString();
  await patchItem(stack, userId, scheduledId, { sendAt, gsi2sk: sendAt });
  if (agoMs > STUCK_AFTER_MS) {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
    try {
      await new ChatStore(doc, stack.tableName).due.moveSweepCursor(new Date().toISOString());
    } finally {
      doc.destroy();
    }
  }
  return sendAt;
}

/** Long enough past its time for the sweep to treat a message as stuck (STUCK_AFTER_MS + a margin). */
export const STUCK_MS = 180_000;

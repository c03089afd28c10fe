/**
 * The local stand-in for Lambda's stream event source mappings, against DynamoDB Local: records in
 * Lambda's shape, filtered per consumer, batched, partial batch failures retried from the lowest
 * failed record, a poison record dead-lettered after the retries while the rest goes on, pause and
 * resume without loss.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { MESSAGE_CREATED } from '../../lambdas/pipeline/patterns.ts';
import { streamHandler } from '../../lambdas/pipeline/stream.ts';
import { logger } from '../../lambdas/shared/logger.ts';
import { ensureTable } from '../../local/dynamodb-table.ts';
import { type LocalStreamConsumer, StreamPoller } from '../../local/streams.ts';
import { eventually } from '../support/client.ts';

const endpoint = inject('dynamoEndpoint');
const tableName = `streams-${randomBytes(4).toString('hex')}`;
let doc: DynamoDBDocumentClient;
let poller: StreamPoller;

const seen: DynamoDBRecord[] = [];
const batches: number[] = [];
const flaky = new Map<string, number>();
const handledByFlaky: string[] = [];
/** What each of the flaky consumer's records saw of its invocation's remaining time. */
const remainingMs: (number | undefined)[] = [];
const handledByPoison: string[] = [];

const message = (id: string, extra: Record<string, unknown> = {}) => ({
  pk: 'CHAT#c',
  sk: `MSG#${id}`,
  itemType: 'message',
  text: id,
  ...extra,
});
const put = (item: Record<string, unknown>) => doc.send(new PutCommand({ TableName: tableName, Item: item }));
const textOf = (r: DynamoDBRecord) => String(r.dynamodb?.NewImage?.text?.S);

const consumer = (
  name: string,
  handle: (event: DynamoDBStreamEvent) => Promise<unknown>,
  batchSize = 10,
): LocalStreamConsumer => ({
  name,
  filter: MESSAGE_CREATED,
  batchSize,
  retryAttempts: 2,
  timeoutSeconds: 60,
  load: async () => handle,
});

beforeAll(async () => {
  vi.spyOn(logger, 'error').mockImplementation(() => {}); // the flaky consumer's failures are expected
  await ensureTable(endpoint, tableName);
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }));
  poller = new StreamPoller({
    endpoint,
    tableName,
    consumers: [
      consumer(
        'recorder',
        async (event) => {
          batches.push(event.Records.length);
          seen.push(...event.Records);
          return { batchItemFailures: [] };
        },
        3,
      ),
      // Fails "flaky" records twice (a partial batch response), then takes them.
      consumer(
        'flaky',
        streamHandler({
          name: 'flaky',
          filter: MESSAGE_CREATED,
          concurrency: 1,
          handle: async (change, _counters, invocation) => {
            remainingMs.push(invocation?.getRemainingTimeInMillis());
            const text = String(change.newImage?.text);
            if (text.startsWith('flaky')) {
              const failures = flaky.get(text) ?? 0;
              flaky.set(text, failures + 1);
              if (failures < 2) throw new Error('not yet');
            }
            handledByFlaky.push(text);
          },
        }),
      ),
      // Throws on "poison" records every time.
      consumer('poison', async (event) => {
        for (const r of event.Records) {
          if (textOf(r).startsWith('poison')) throw new Error('poisoned');
          handledByPoison.push(textOf(r));
        }
        return { batchItemFailures: [] };
      }),
    ],
  });
  await poller.start();
}, 60_000);

afterAll(async () => {
  await poller?.stop();
  doc?.destroy();
});

describe('the local stream poller', () => {
  it('delivers matching records in Lambda’s shape, in batches of at most batchSize', async () => {
    await put({ pk: 'USER#u', sk: 'PROFILE', itemType: 'profile' });
    for (const id of ['a1', 'a2', 'a3', 'a4']) await put(message(id, { n: 5, nested: { list: [1, 'x'] } }));
    await eventually(() => seen.length >= 4, 10_000);
    expect(seen.map(textOf)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(Math.max(...batches)).toBeLessThanOrEqual(3);
    const [first] = seen;
    expect(first).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventSourceARN: expect.stringMatching(new RegExp(`table/${tableName}/stream/`)),
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { pk: { S: 'CHAT#c' }, sk: { S: 'MSG#a1' } },
        NewImage: { n: { N: '5' }, nested: { M: { list: { L: [{ N: '1' }, { S: 'x' }] } } } },
        SequenceNumber: expect.any(String),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    // Updates are not message creations: filtered out.
    await put(message('a1', { text: 'a1-edited' }));
    await poller.drain();
    expect(seen.map(textOf)).not.toContain('a1-edited');
  });

  it('retries a partial batch failure from the lowest failed record until it succeeds', async () => {
    for (const id of ['b1', 'flaky-b2', 'b3']) await put(message(id, { text: id }));
    await eventually(() => handledByFlaky.includes('b3'), 10_000);
    expect(flaky.get('flaky-b2')).toBe(3);
    expect(handledByFlaky.filter((t) => t.startsWith('b') || t.startsWith('flaky'))).toEqual([
      'b1',
      'flaky-b2',
      'b3',
    ]);
    expect(poller.deadLetters.filter((d) => d.consumer === 'flaky')).toEqual([]);
    // Each invocation's context counts down from the function's timeout, as Lambda's does.
    expect(remainingMs.length).toBeGreaterThan(0);
    for (const ms of remainingMs)
      expect(ms).toSatisfy((n) => typeof n === 'number' && n > 50_000 && n <= 60_000);
  });

  it('dead-letters a record that keeps failing, after its retries, and goes on', async () => {
    for (const id of ['c1', 'poison-c2', 'c3']) await put(message(id, { text: id }));
    await eventually(() => handledByPoison.includes('c3'), 10_000);
    const dead = poller.deadLetters.filter((d) => d.consumer === 'poison');
    expect(dead.map((d) => textOf(d.record))).toEqual(['poison-c2']);
    expect(dead[0]?.error).toBe('poisoned');
    expect(handledByPoison.filter((t) => t.startsWith('c'))).toEqual(expect.arrayContaining(['c1', 'c3']));
  });

  it('holds changes while paused and delivers them after resume', async () => {
    poller.pause();
    await put(message('p1', { text: 'p1' }));
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.map(textOf)).not.toContain('p1');
    poller.resume();
    await eventually(() => seen.map(textOf).includes('p1'), 10_000);
  });
});

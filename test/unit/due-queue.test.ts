/**
 * The due queue: message timers (seconds left, rounded up, within SQS's limits), batches of ten,
 * refused entries sent again, over a mocked SQS client; and the local queue stand-in with the real
 * SDK client: timers, batches, partial batch failures, dead-lettering.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  delaySecondsFor,
  dueMessageBody,
  parseDueMessage,
  SqsDueQueue,
} from '../../lambdas/queue/due-queue.ts';
import { LightSqs } from '../../lambdas/queue/light-sqs.ts';
import { type LocalQueue, LocalSqs } from '../../local/queue.ts';
import { eventually } from '../support/client.ts';
import { sdkSender } from '../support/sqs-sender.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const ref = (i: number, inMs = 0) => ({
  userId: `u${i}`,
  scheduledId: `s_${i}`,
  sendAt: new Date(NOW.getTime() + inMs).toISOString(),
});

describe('message timers', () => {
  it('are the whole seconds left (rounded down: the dispatcher holds the rest), 0 when overdue, at most 900', () => {
    expect(delaySecondsFor(ref(0, 1).sendAt, NOW)).toBe(0);
    expect(delaySecondsFor(ref(0, 999).sendAt, NOW)).toBe(0);
    expect(delaySecondsFor(ref(0, 1000).sendAt, NOW)).toBe(1);
    expect(delaySecondsFor(ref(0, 1999).sendAt, NOW)).toBe(1);
    expect(delaySecondsFor(ref(0, 0).sendAt, NOW)).toBe(0);
    expect(delaySecondsFor(ref(0, -5000).sendAt, NOW)).toBe(0);
    expect(delaySecondsFor(ref(0, 3600_000).sendAt, NOW)).toBe(900);
    expect(delaySecondsFor('garbage', NOW)).toBe(0);
  });

  it('bodies carry the item keys and read back; anything else is not ours', () => {
    expect(parseDueMessage(dueMessageBody(ref(1, 5)))).toEqual(ref(1, 5));
    for (const junk of ['', 'null', '[]', '{"userId":"u"}', '{"userId":1,"scheduledId":"s","sendAt":"t"}']) {
      expect(parseDueMessage(junk)).toBeUndefined();
    }
  });
});

describe('SqsDueQueue over a mocked SQS', () => {
  const sqs = mockClient(SQSClient);
  const client = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const queue = new SqsDueQueue(() => sdkSender(client), 'https://sqs.us-east-1.amazonaws.com/1/due');
  beforeEach(() => sqs.reset());
  afterAll(() => sqs.restore());

  it('sends ten to a request, each with its own timer', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await queue.enqueue(
      Array.from({ length: 25 }, (_, i) => ref(i, i * 1000 + 500)),
      NOW,
    );
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries?.length)).toEqual([10, 10, 5]);
    expect(calls[1]?.Entries?.[2]).toEqual({
      Id: '2',
      MessageBody: dueMessageBody(ref(12, 12_500)),
      DelaySeconds: 12,
    });
    expect(calls.every((c) => c.QueueUrl === 'https://sqs.us-east-1.amazonaws.com/1/due')).toBe(true);
  });

  it('sends the entries SQS refused again, and fails when they stay refused', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError' }] })
      .resolves({ Failed: [] });
    await queue.enqueue([ref(0), ref(1), ref(2)], NOW);
    const calls = sqs
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries?.map((e) => e.Id));
    expect(calls).toEqual([['0', '1', '2'], ['1']]);

    sqs.reset();
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError' }] });
    await expect(queue.enqueue([ref(0)], NOW)).rejects.toThrow('1 of 1 due messages could not be enqueued');
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(4);

    // An error of the call itself: the sender has tried it again already, so not the batch again.
    sqs.reset();
    sqs.on(SendMessageBatchCommand).rejects(new Error('unavailable'));
    await expect(queue.enqueue([ref(0), ref(1)], NOW)).rejects.toThrow(
      '2 of 2 due messages could not be enqueued',
    );
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  }, 20_000);

  it('sends nothing for nothing, and refuses to run without a queue URL', async () => {
    await queue.enqueue([], NOW);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    await expect(new SqsDueQueue(() => sdkSender(client), undefined).enqueue([ref(0)], NOW)).rejects.toThrow(
      'SCHEDULED_QUEUE_URL',
    );
  });
});

describe('the local queue (with the product’s SQS sender)', () => {
  const events: SQSEvent[] = [];
  let fail = new Set<string>();
  let sqs: LocalSqs;
  let local: LocalQueue;
  let client: LightSqs;
  beforeEach(async () => {
    events.length = 0;
    fail = new Set();
    sqs = new LocalSqs();
    await sqs.start();
    local = sqs.createQueue('test-due', { visibilityTimeoutMs: 50, maxReceiveCount: 3 });
    local.consume(async () => async (event: SQSEvent) => {
      events.push(event);
      return {
        batchItemFailures: event.Records.filter((r) => fail.has(r.body)).map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    });
    // The product's own sender, to the stand-in named by the queue URL.
    client = new LightSqs({
      region: async () => 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterEach(async () => {
    client.destroy();
    await sqs.stop();
  });

  it('delivers SendMessageBatch entries as SQS events once their timers run out, in batches of ten', async () => {
    const queue = new SqsDueQueue(() => client, local.url);
    const start = Date.now();
    await queue.enqueue(
      Array.from({ length: 12 }, (_, i) => ref(i, 0)),
      NOW,
    );
    await queue.enqueue([{ ...ref(99), sendAt: new Date(Date.now() + 1000).toISOString() }], new Date());
    await eventually(() => events.flatMap((e) => e.Records).length === 13, 5000);
    const bodies = events.flatMap((e) => e.Records.map((r) => r.body));
    expect(bodies).toHaveLength(13);
    expect(Math.max(...events.map((e) => e.Records.length))).toBeLessThanOrEqual(10);
    const late = events.find((e) => e.Records.some((r) => r.body.includes('s_99')));
    expect(Number(late?.Records[0]?.attributes.SentTimestamp)).toBeGreaterThanOrEqual(start);
    expect(late?.Records[0]).toMatchObject({ eventSource: 'aws:sqs', eventSourceARN: local.arn });
    expect(local.depth).toBe(0);
  });

  it('redelivers the failed records of a batch, then dead-letters them after maxReceiveCount', async () => {
    fail.add('bad');
    local.send('good');
    local.send('bad');
    await eventually(() => local.deadLetters.length === 1, 5000);
    await local.idle();
    const received = events.flatMap((e) =>
      e.Records.map((r) => [r.body, r.attributes.ApproximateReceiveCount]),
    );
    expect(received.filter(([body]) => body === 'good')).toEqual([['good', '1']]);
    expect(received.filter(([body]) => body === 'bad')).toEqual([
      ['bad', '1'],
      ['bad', '2'],
      ['bad', '3'],
    ]);
    expect(local.stats).toMatchObject({ sent: 2, failedRecords: 3 });
    expect(local.deadLetters).toEqual(['bad']);
  });

  it('refuses a timer over 900 s and an operation it does not know', async () => {
    const queue = new SqsDueQueue(() => client, local.url);
    const out = await client.sendMessageBatch({
      QueueUrl: local.url,
      Entries: [{ Id: 'a', MessageBody: 'x', DelaySeconds: 901 }],
    });
    expect(out.Failed?.map((f) => f.Id)).toEqual(['a']);
    await expect(queue.enqueue([], NOW)).resolves.toBeUndefined();
    const res = await fetch(sqs.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.PurgeQueue', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(res.status).toBe(400);
  });
});

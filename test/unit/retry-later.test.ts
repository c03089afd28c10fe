/**
 * A failed queue record received again sooner than the queue's visibility timeout
 * (lambdas/queue/retry-later.ts): the backoff, `ChangeMessageVisibility` through the light SQS sender
 * (the SDK client's request, signed) and the local SQS stand-in honouring it.
 */
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LightSqs, type SqsVisibility } from '../../lambdas/queue/light-sqs.ts';
import { retryBackoffSeconds, retryLaterOn } from '../../lambdas/queue/retry-later.ts';
import { LocalSqs } from '../../local/sqs.ts';
import { type RecordingServer, startRecordingServer } from '../support/recording-server.ts';
import { type ReceivedRequest, TEST_CREDENTIALS, TEST_REGION, verifySigV4 } from '../support/sigv4.ts';

const signing = { credentials: TEST_CREDENTIALS, region: async () => TEST_REGION };
const JSON_TYPE = { 'content-type': 'application/x-amz-json-1.0' };

describe('retryLater', () => {
  const record = (receiveCount: string) =>
    ({
      messageId: 'm1',
      receiptHandle: 'handle-1',
      attributes: { ApproximateReceiveCount: receiveCount },
    }) as unknown as SQSRecord;

  it('waits 10 s times the receive count, at most 60 s, on the record’s own receipt handle', async () => {
    expect([1, 2, 3, 6, 7, 50].map(retryBackoffSeconds)).toEqual([10, 20, 30, 60, 60, 60]);
    const calls: unknown[] = [];
    const sqs: SqsVisibility = {
      changeMessageVisibility: async (input) => {
        calls.push(input);
      },
    };
    const retryLater = retryLaterOn(() => sqs, 'https://sqs.example/1/PushWorker');
    await retryLater(record('2'));
    await retryLater(record('not a number'));
    expect(calls).toEqual([
      { QueueUrl: 'https://sqs.example/1/PushWorker', ReceiptHandle: 'handle-1', VisibilityTimeout: 20 },
      { QueueUrl: 'https://sqs.example/1/PushWorker', ReceiptHandle: 'handle-1', VisibilityTimeout: 10 },
    ]);
  });

  it('never throws: a change SQS refuses leaves the queue’s visibility timeout', async () => {
    const sqs: SqsVisibility = {
      changeMessageVisibility: () => Promise.reject(new Error('throttled')),
    };
    await expect(retryLaterOn(() => sqs, 'https://sqs.example/1/q')(record('1'))).resolves.toBeUndefined();
  });
});

describe('the local SQS stand-in', () => {
  let sqs: LocalSqs;
  let sender: LightSqs;
  beforeAll(async () => {
    sqs = new LocalSqs();
    await sqs.start();
    sender = new LightSqs(signing);
  });
  afterAll(async () => {
    sender.destroy();
    await sqs.stop();
  });

  it('receives a failed record again when its worker set, not after the queue’s visibility timeout', async () => {
    // Ten minutes: without the change the test would time out waiting for the second receive.
    const queue = sqs.createQueue('visibility', { visibilityTimeoutMs: 600_000, maxReceiveCount: 3 });
    const receives: string[] = [];
    queue.consume(async () => async (event: SQSEvent): Promise<SQSBatchResponse> => {
      const [record] = event.Records as [SQSRecord];
      receives.push(record.attributes.ApproximateReceiveCount);
      if (receives.length > 1) return { batchItemFailures: [] };
      await sender.changeMessageVisibility({
        QueueUrl: queue.url,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: 0,
      });
      return { batchItemFailures: [{ itemIdentifier: record.messageId }] };
    });
    queue.send('job');
    await queue.idle();
    expect(receives).toEqual(['1', '2']);
  });

  it('shortens a worker’s own visibility change by `visibilityChangeSecondMs` (tests of its backoff)', async () => {
    const queue = sqs.createQueue('visibility-scaled', {
      visibilityTimeoutMs: 600_000,
      visibilityChangeSecondMs: 10,
    });
    const receivedAt: number[] = [];
    queue.consume(async () => async (event: SQSEvent): Promise<SQSBatchResponse> => {
      const [record] = event.Records as [SQSRecord];
      receivedAt.push(Date.now());
      if (receivedAt.length > 1) return { batchItemFailures: [] };
      await sender.changeMessageVisibility({
        QueueUrl: queue.url,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: 2,
      });
      return { batchItemFailures: [{ itemIdentifier: record.messageId }] };
    });
    queue.send('job');
    await queue.idle();
    const [first = 0, second = 0] = receivedAt;
    // 2 s of visibility at 10 ms a second: 20 ms (a real second would be 2,000).
    expect(second - first).toBeGreaterThanOrEqual(15);
    expect(second - first).toBeLessThan(1_000);
  });

  it('refuses what SQS refuses: a handle it never gave, one no longer in flight, a timeout out of range', async () => {
    const queue = sqs.createQueue('visibility-errors');
    const handles: string[] = [];
    queue.consume(async () => async (event: SQSEvent) => {
      handles.push(...event.Records.map((r) => r.receiptHandle));
      const [record] = event.Records as [SQSRecord];
      const tooLong = { QueueUrl: queue.url, ReceiptHandle: record.receiptHandle, VisibilityTimeout: 43_201 };
      await expect(sender.changeMessageVisibility(tooLong)).rejects.toMatchObject({
        name: 'InvalidParameterValue',
      });
      return { batchItemFailures: [] };
    });
    queue.send('job');
    await queue.idle();
    const change = (ReceiptHandle: string) =>
      sender.changeMessageVisibility({ QueueUrl: queue.url, ReceiptHandle, VisibilityTimeout: 0 });
    await expect(change(handles[0] as string)).rejects.toMatchObject({
      name: 'MessageNotInflight',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(change('made-up')).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
  });
});

describe('the request', () => {
  let server: RecordingServer;
  beforeAll(async () => {
    server = await startRecordingServer();
  });
  afterAll(() => server.close());

  it('is the SDK client’s ChangeMessageVisibility: JSON 1.0 to the queue URL’s origin, signed for sqs', async () => {
    const queueUrl = `${server.url}/123456789012/PushWorker`;
    const input = { QueueUrl: queueUrl, ReceiptHandle: 'AQEB+handle/==', VisibilityTimeout: 20 };
    server.answer(
      (res) => res.writeHead(200, JSON_TYPE).end(''),
      (res) => res.writeHead(200, JSON_TYPE).end('{}'),
    );
    const sdk = new SQSClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    await sdk.send(new ChangeMessageVisibilityCommand(input));
    sdk.destroy();
    const sender = new LightSqs(signing);
    await sender.changeMessageVisibility(input);
    sender.destroy();
    const [theirs, mine, ...more] = server.received.splice(0) as ReceivedRequest[];
    expect(more).toEqual([]);
    for (const request of [theirs, mine]) {
      expect(
        verifySigV4(request as ReceivedRequest, { ...TEST_CREDENTIALS, region: TEST_REGION, service: 'sqs' }),
      ).toBe(true);
    }
    expect(mine?.url).toBe(theirs?.url);
    for (const header of ['host', 'content-type', 'x-amz-target', 'x-amzn-query-mode']) {
      expect([header, mine?.headers[header]]).toEqual([header, theirs?.headers[header]]);
    }
    expect(mine?.headers['x-amz-target']).toBe('AmazonSQS.ChangeMessageVisibility');
    expect(JSON.parse(String(mine?.body))).toEqual(JSON.parse(String(theirs?.body)));
    expect(JSON.parse(String(mine?.body))).toEqual(input);
  });
});

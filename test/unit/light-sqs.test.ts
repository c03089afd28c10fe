/**
 * The SQS sender without the SQS client (lambdas/queue/light-sqs.ts): against the local SQS
 * stand-in (what `npm run dev` runs), and against a recording server: the same request as the SDK's
 * client sends to it (JSON 1.0 to the queue URL's origin), with a signature an independent verifier
 * accepts, over HTTP and TLS; retries of throttling, 5xx, network errors and timeouts only, within
 * the SDK's retry quota; error
 * names; the MD5 check; the IAM record.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { INITIAL_RETRY_TOKENS, Retry } from '@smithy/core/retry';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LightSqs } from '../../lambdas/queue/light-sqs.ts';
import { CALL_LOG_DIR_ENV } from '../../lambdas/shared/call-recorder.ts';
import { LocalSqs } from '../../local/sqs.ts';
import {
  type RecordingServer,
  startRecordingServer,
  startTlsRecordingServer,
  testAgent,
} from '../support/recording-server.ts';
import { type ReceivedRequest, TEST_CREDENTIALS, TEST_REGION, verifySigV4 } from '../support/sigv4.ts';

const signing = { credentials: TEST_CREDENTIALS, region: async () => TEST_REGION };
const identity = { ...TEST_CREDENTIALS, region: TEST_REGION, service: 'sqs' };
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const JSON_TYPE = { 'content-type': 'application/x-amz-json-1.0' };
const sent = (...bodies: string[]) =>
  JSON.stringify({
    Successful: bodies.map((b, i) => ({ Id: String(i), MessageId: `m${i}`, MD5OfMessageBody: md5(b) })),
    Failed: [],
  });

describe('against the local SQS stand-in', () => {
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

  it('sends a batch and a single message to the queue its URL names', async () => {
    const queue = sqs.createQueue('light-jobs');
    const bodies: string[] = [];
    queue.consume(async () => async (event: { Records: { body: string }[] }) => {
      bodies.push(...event.Records.map((r) => r.body));
      return { batchItemFailures: [] };
    });
    const out = await sender.sendMessageBatch({
      QueueUrl: queue.url,
      Entries: [
        { Id: 'a', MessageBody: 'one' },
        { Id: 'b', MessageBody: 'two ✓', DelaySeconds: 0 },
        { Id: 'c', MessageBody: 'late', DelaySeconds: 901 },
      ],
    });
    expect(out.Successful?.map((s) => s.Id)).toEqual(['a', 'b']);
    expect(out.Failed).toEqual([expect.objectContaining({ Id: 'c', SenderFault: true })]);
    expect((await sender.sendMessage({ QueueUrl: queue.url, MessageBody: 'three' })).MessageId).toBeTruthy();
    await expect.poll(() => [...bodies].sort()).toEqual(['one', 'three', 'two ✓']);
  });

  it('throws what SQS answers, named as the SDK names it, without trying again', async () => {
    const missing = `${sqs.endpoint}/000000000000/no-such-queue`;
    const error = await sender.sendMessage({ QueueUrl: missing, MessageBody: 'x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'QueueDoesNotExist',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    // The SDK's client names it the same.
    const sdk = new SQSClient({ endpoint: sqs.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    const theirs = await sdk
      .send(new SendMessageBatchCommand({ QueueUrl: missing, Entries: [{ Id: '1', MessageBody: 'x' }] }))
      .catch((e: unknown) => e);
    sdk.destroy();
    expect((theirs as Error).name).toBe('QueueDoesNotExist');
  });
});

describe('the request', () => {
  let server: RecordingServer;
  let tls: RecordingServer;
  let received: ReceivedRequest[];
  beforeAll(async () => {
    server = await startRecordingServer();
    tls = await startTlsRecordingServer();
  });
  afterAll(async () => {
    await server.close();
    await tls.close();
  });
  beforeEach(() => {
    received = server.received;
    received.length = 0;
  });

  it('is the SDK client’s request: JSON 1.0 to the queue URL’s origin, signed for sqs, over HTTP and TLS', async () => {
    const entries = [{ Id: '0', MessageBody: '{"job":1}', DelaySeconds: 3 }];
    for (const [at, options] of [
      [server, {}],
      [tls, { agent: testAgent() }],
    ] as const) {
      at.answer((res) => res.writeHead(200, JSON_TYPE).end(sent('{"job":1}')));
      const queueUrl = `${at.url}/123456789012/jobs`;
      const sdk = new SQSClient({
        region: TEST_REGION,
        credentials: TEST_CREDENTIALS,
        maxAttempts: 1,
        requestHandler: { httpsAgent: testAgent() },
      });
      await sdk.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      sdk.destroy();
      const sender = new LightSqs(signing, options);
      await sender.sendMessageBatch({ QueueUrl: queueUrl, Entries: entries });
      sender.destroy();
      const [theirs, mine, ...more] = at.received.splice(0);
      expect(more).toEqual([]);
      for (const request of [theirs, mine] as ReceivedRequest[]) {
        expect(verifySigV4(request, identity)).toBe(true);
        expect(verifySigV4(request, { ...identity, service: 'sns' })).toBe(false);
      }
      expect(mine?.method).toBe(theirs?.method);
      expect(mine?.url).toBe(theirs?.url);
      for (const header of ['host', 'content-type', 'x-amz-target', 'x-amzn-query-mode']) {
        expect([header, mine?.headers[header]]).toEqual([header, theirs?.headers[header]]);
      }
      expect(mine?.headers.host).toBe(new URL(at.url).host);
      expect(JSON.parse(String(mine?.body))).toEqual(JSON.parse(String(theirs?.body)));
      expect(JSON.parse(String(mine?.body))).toEqual({ QueueUrl: queueUrl, Entries: entries });
    }
  });

  it('tries throttling and 5xx again (3 attempts), other errors not at all', async () => {
    const sender = new LightSqs(signing);
    const queueUrl = `${server.url}/1/q`;
    const error = (status: number, type: string) => (res: import('node:http').ServerResponse) =>
      res
        .writeHead(status, JSON_TYPE)
        .end(JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message: type }));
    server.answer(error(500, 'InternalError'), error(400, 'RequestThrottled'), (res) =>
      res.writeHead(200, JSON_TYPE).end(JSON.stringify({ MessageId: 'm', MD5OfMessageBody: md5('x') })),
    );
    expect(await sender.sendMessage({ QueueUrl: queueUrl, MessageBody: 'x' })).toMatchObject({
      MessageId: 'm',
    });
    expect(received.splice(0)).toHaveLength(3);

    server.answer(error(503, 'ServiceUnavailable'));
    await expect(sender.sendMessage({ QueueUrl: queueUrl, MessageBody: 'x' })).rejects.toMatchObject({
      name: 'ServiceUnavailable',
      $fault: 'server',
    });
    expect(received.splice(0)).toHaveLength(3);

    server.answer(error(400, 'InvalidParameterValue'));
    await expect(sender.sendMessage({ QueueUrl: queueUrl, MessageBody: 'x' })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    expect(received.splice(0)).toHaveLength(1);

    // A connection cut before any answer is a network error: tried again.
    server.answer(
      (res) => res.socket?.destroy(),
      (res) => res.writeHead(200, JSON_TYPE).end(sent('y')),
    );
    await sender.sendMessageBatch({ QueueUrl: queueUrl, Entries: [{ Id: '0', MessageBody: 'y' }] });
    expect(received.splice(0)).toHaveLength(2);

    // A 2xx answer it cannot read: SQS took the messages, so they are not sent again.
    server.answer((res) => res.writeHead(200, JSON_TYPE).end('<html>proxy</html>'));
    await expect(
      sender.sendMessageBatch({ QueueUrl: queueUrl, Entries: [{ Id: '0', MessageBody: 'y' }] }),
    ).rejects.toThrow(SyntaxError);
    expect(received.splice(0)).toHaveLength(1);
    sender.destroy();
  });

  it('stops trying again while SQS keeps failing: its retry quota runs out, one per sender', async () => {
    const queueUrl = `${server.url}/1/q`;
    server.answer((res) =>
      res.writeHead(503, JSON_TYPE).end(JSON.stringify({ __type: 'ServiceUnavailable', message: 'down' })),
    );
    const sender = new LightSqs(signing);
    const attempts: number[] = [];
    for (let i = 0; i < 20; i++) {
      await expect(sender.sendMessage({ QueueUrl: queueUrl, MessageBody: 'x' })).rejects.toMatchObject({
        name: 'ServiceUnavailable',
      });
      attempts.push(received.splice(0).length);
    }
    // The SDK's quota (500, and 14 for each retry of a transient error: 35 retries), 2 per call.
    let retries = Math.floor(INITIAL_RETRY_TOKENS / Retry.cost());
    const expected = attempts.map(() => {
      const used = Math.min(2, retries);
      retries -= used;
      return 1 + used;
    });
    expect(attempts).toEqual(expected);
    expect(attempts.slice(-2)).toEqual([1, 1]);
    sender.destroy();
    // Another sender (another container) has its own.
    const other = new LightSqs(signing);
    await expect(other.sendMessage({ QueueUrl: queueUrl, MessageBody: 'x' })).rejects.toThrow('down');
    expect(received.splice(0)).toHaveLength(3);
    other.destroy();
  });

  it('gives an attempt a timeout and tries again; a signing failure is not tried again', async () => {
    const sender = new LightSqs(signing, { attemptTimeoutMs: 100 });
    server.answer(
      () => {}, // never answered
      (res) =>
        res.writeHead(200, JSON_TYPE).end(JSON.stringify({ MessageId: 'm', MD5OfMessageBody: md5('x') })),
    );
    expect(await sender.sendMessage({ QueueUrl: `${server.url}/1/q`, MessageBody: 'x' })).toMatchObject({
      MessageId: 'm',
    });
    expect(received.splice(0)).toHaveLength(2);
    sender.destroy();

    let asked = 0;
    const noCredentials = new LightSqs({
      ...signing,
      credentials: async () => {
        asked++;
        throw new Error('no credentials');
      },
    });
    await expect(
      noCredentials.sendMessage({ QueueUrl: `${server.url}/1/q`, MessageBody: 'x' }),
    ).rejects.toThrow('no credentials');
    expect(asked).toBe(1);
    expect(received).toHaveLength(0);
  });

  it('names errors as the SDK does, with the request id', async () => {
    const sender = new LightSqs(signing);
    server.answer((res) =>
      res
        .writeHead(400, {
          ...JSON_TYPE,
          'x-amzn-requestid': 'req-1',
          'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender',
        })
        .end(JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'gone' })),
    );
    await expect(
      sender.sendMessage({ QueueUrl: `${server.url}/1/q`, MessageBody: 'x' }),
    ).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
      message: 'gone',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'req-1' },
    });
    server.answer((res) =>
      res
        .writeHead(400, { ...JSON_TYPE, 'x-amzn-errortype': 'InvalidParameterValue:http://internal' })
        .end('{}'),
    );
    await expect(
      sender.sendMessage({ QueueUrl: `${server.url}/1/q`, MessageBody: 'x' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    sender.destroy();
  });

  it('refuses an answer whose MD5 does not match a message sent', async () => {
    const sender = new LightSqs(signing);
    server.answer((res) => res.writeHead(200, JSON_TYPE).end(sent('not what was sent')));
    await expect(
      sender.sendMessageBatch({ QueueUrl: `${server.url}/1/q`, Entries: [{ Id: '0', MessageBody: 'body' }] }),
    ).rejects.toThrow('Invalid MD5 checksum on messages: m0');
    server.answer((res) =>
      res.writeHead(200, JSON_TYPE).end(JSON.stringify({ MessageId: 'm', MD5OfMessageBody: '0' })),
    );
    await expect(sender.sendMessage({ QueueUrl: `${server.url}/1/q`, MessageBody: 'body' })).rejects.toThrow(
      'InvalidChecksumError',
    );
    sender.destroy();
  });
});

describe('the IAM record', () => {
  let dir: string;
  let before: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'light-sqs-calls-'));
    before = process.env[CALL_LOG_DIR_ENV];
    process.env[CALL_LOG_DIR_ENV] = dir;
  });
  afterEach(() => {
    if (before === undefined) delete process.env[CALL_LOG_DIR_ENV];
    else process.env[CALL_LOG_DIR_ENV] = before;
    rmSync(dir, { recursive: true, force: true });
  });

  it('records each call as the SDK client’s would be: sqs:SendMessage on the queue', async () => {
    const server = await startRecordingServer((res) =>
      res.writeHead(200, JSON_TYPE).end(JSON.stringify({ MessageId: 'm', MD5OfMessageBody: md5('x') })),
    );
    const sender = new LightSqs(signing);
    const queueUrl = `${server.url}/1/recorded-${Date.now()}`;
    await sender.sendMessage({ QueueUrl: queueUrl, MessageBody: 'x' });
    sender.destroy();
    await server.close();
    const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'));
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ action: 'sqs:SendMessage', operation: 'SendMessage', resource: queueUrl }),
    );
  });
});

/**
 * The light path of DynamoDB's data commands (lambdas/data/light-dynamo.ts) against a real HTTP
 * server that plays DynamoDB: its requests are what the SDK sends (target, body, host, token) with a
 * SigV4 signature an independent verifier accepts (test/support/sigv4.ts); it retries what the SDK
 * retries (5xx, throttling, a dropped connection) and nothing else; a call's abort signal ends it and
 * its retries; the rest of the client's middleware still sees every call. Its answers are compared
 * with the SDK's against DynamoDB Local in test/e2e/light-dynamo.test.ts.
 */
import type { ServerResponse } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lightDynamo } from '../../lambdas/data/light-dynamo.ts';
import { isAborted } from '../../lambdas/data/table-client.ts';
import { sleep } from '../support/client.ts';
import { type RecordingServer, startRecordingServer } from '../support/recording-server.ts';
import { type ReceivedRequest, TEST_CREDENTIALS, TEST_REGION, verifySigV4 } from '../support/sigv4.ts';

const credentials = TEST_CREDENTIALS;
const region = TEST_REGION;
const identity = { ...credentials, region, service: 'dynamodb' };
const JSON_TYPE = { 'content-type': 'application/x-amz-json-1.0' };

let server: RecordingServer;
let endpoint: string;
let received: ReceivedRequest[];
const ok = (body: object) => (res: ServerResponse) => res.writeHead(200, JSON_TYPE).end(JSON.stringify(body));
const fail = (status: number, type: string) => (res: ServerResponse) =>
  res
    .writeHead(status, JSON_TYPE)
    .end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} here` }));

beforeAll(async () => {
  server = await startRecordingServer();
  endpoint = server.url;
  received = server.received;
});
afterAll(() => server.close());
beforeEach(() => {
  received.length = 0;
  server.answer(ok({}));
});

const documentClient = () =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region, credentials, maxAttempts: 3 }), {
    marshallOptions: { removeUndefinedValues: true },
  });

/** A light client past its first call (which the SDK makes, to learn the endpoint). */
async function lightClient() {
  const client = lightDynamo(documentClient());
  await client.send(new GetCommand({ TableName: 'chat', Key: { pk: 'warm', sk: 'up' } }));
  received.length = 0;
  return client;
}

const put = () =>
  new PutCommand({
    TableName: 'chat',
    Item: { pk: 'C#1', sk: 'MSG#1', text: 'hé "quoted"', n: 3, bytes: new Uint8Array([1, 2, 255]) },
    ConditionExpression: 'attribute_not_exists(pk)',
  });

describe('light DynamoDB requests', () => {
  it('sends what the SDK sends, with a signature the SigV4 rules accept', async () => {
    await documentClient().send(put());
    const [sdk] = received.splice(0);
    const light = await lightClient();
    await light.send(put());
    const [mine] = received;
    if (!sdk || !mine) throw new Error('nothing was received');
    expect(verifySigV4(sdk, identity)).toBe(true); // the verifier agrees with the SDK
    expect(verifySigV4(mine, identity)).toBe(true);
    expect(mine.method).toBe(sdk.method);
    expect(mine.url).toBe(sdk.url);
    expect(JSON.parse(mine.body.toString())).toEqual(JSON.parse(sdk.body.toString()));
    for (const header of ['host', 'content-type', 'x-amz-target', 'x-amz-security-token']) {
      expect(mine.headers[header], header).toBe(sdk.headers[header]);
    }
    expect(mine.headers['user-agent'] ?? '').not.toMatch(/aws-sdk/); // not the SDK's request
    expect(
      verifySigV4({ ...mine, body: Buffer.from(mine.body.toString().replace('C#1', 'C#2')) }, identity),
    ).toBe(false);
  });

  it('a transaction carries an idempotency token, the same on every attempt, as the SDK’s does', async () => {
    const transaction = () =>
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'chat', Item: { pk: 'C#1', sk: 'MSG#2', n: 1 } } },
          {
            Update: {
              TableName: 'chat',
              Key: { pk: 'C#1', sk: 'META' },
              UpdateExpression: 'ADD n :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      });
    await documentClient().send(transaction());
    const [sdk] = received.splice(0);
    const light = await lightClient();
    server.answer(fail(500, 'InternalServerError'), ok({}));
    await light.send(transaction());
    const [first, retry] = received.map((r) => JSON.parse(r.body.toString()) as Record<string, unknown>);
    const sdkBody = JSON.parse(sdk?.body.toString() ?? '{}') as Record<string, unknown>;
    expect(typeof sdkBody.ClientRequestToken).toBe('string');
    expect(typeof first?.ClientRequestToken).toBe('string');
    expect(retry?.ClientRequestToken).toBe(first?.ClientRequestToken);
    expect({ ...first, ClientRequestToken: 'T' }).toEqual({ ...sdkBody, ClientRequestToken: 'T' });
  });

  it('answers like the SDK: items unmarshalled, binary back to bytes, $metadata', async () => {
    const light = await lightClient();
    server.answer(
      ok({ Item: { pk: { S: 'C#1' }, n: { N: '3' }, bytes: { B: 'AQL/' }, tags: { SS: ['a'] } } }),
    );
    const out = await light.send(new GetCommand({ TableName: 'chat', Key: { pk: 'C#1', sk: 'x' } }));
    expect(out.Item).toEqual({ pk: 'C#1', n: 3, bytes: new Uint8Array([1, 2, 255]), tags: new Set(['a']) });
    expect(out.$metadata).toMatchObject({ httpStatusCode: 200, attempts: 1 });
  });

  it('retries 5xx answers, throttling and a dropped connection, as the SDK does', async () => {
    const light = await lightClient();
    server.answer(fail(500, 'InternalServerError'), (res) => res.socket?.destroy(), ok({}));
    const out = await light.send(put());
    expect(received).toHaveLength(3);
    expect(out.$metadata.attempts).toBe(3);
    received.length = 0;
    server.answer(fail(400, 'ProvisionedThroughputExceededException'), ok({}));
    await light.send(put());
    expect(received).toHaveLength(2);
  });

  it('does not retry a client error, and fails with its type, message and members', async () => {
    const light = await lightClient();
    server.answer((res) =>
      res.writeHead(400, JSON_TYPE).end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
          message: 'The conditional request failed',
          Item: { pk: { S: 'C#1' } },
        }),
      ),
    );
    const error = await light.send(put()).catch((e: unknown) => e);
    expect(received).toHaveLength(1);
    expect(error).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, attempts: 1 },
      Item: { pk: { S: 'C#1' } },
    });
  });

  it('gives up after the client’s attempts, with the last error', async () => {
    const light = await lightClient();
    server.answer(fail(503, 'ServiceUnavailable'));
    const error = await light.send(put()).catch((e: unknown) => e);
    expect(received).toHaveLength(3);
    expect(error).toMatchObject({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { attempts: 3 } });
  });

  it('an abort signal ends the call and its retries', async () => {
    const light = await lightClient();
    server.answer(() => undefined); // never answers
    const started = performance.now();
    const error = await light.send(put(), { abortSignal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect(isAborted(error)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(received).toHaveLength(1);
    received.length = 0;
    const aborted = AbortSignal.abort();
    const before = await light.send(put(), { abortSignal: aborted }).catch((e: unknown) => e);
    expect(isAborted(before)).toBe(true);
    expect(received).toHaveLength(0);
  });

  it('an abort during the backoff ends the call there, not when the backoff is over', async () => {
    // A backoff of 10 s (the client's own retry strategy, which the light path uses).
    const light = lightDynamo(
      DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint,
          region,
          credentials,
          retryStrategy: new ConfiguredRetryStrategy(3, 10_000),
        }),
      ),
    );
    await light.send(new GetCommand({ TableName: 'chat', Key: { pk: 'warm', sk: 'up' } }));
    received.length = 0;
    server.answer(fail(400, 'ThrottlingException'));
    const controller = new AbortController();
    const started = performance.now();
    const call = light.send(put(), { abortSignal: controller.signal }).catch((e: unknown) => e);
    while (received.length === 0) await sleep(5);
    controller.abort();
    const error = await call;
    expect(isAborted(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(received).toHaveLength(1);
  });

  it('a connection dropped on every attempt fails as the SDK’s does: a TimeoutError (it may have landed)', async () => {
    const light = await lightClient();
    server.answer((res) => res.socket?.destroy());
    const error = await light.send(put()).catch((e: unknown) => e);
    expect(received).toHaveLength(3);
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ECONNRESET' });
    expect(isAborted(error)).toBe(true);
  });

  it('corrects a skewed clock from the server’s date, as the SDK’s signer does, and retries', async () => {
    const light = await lightClient();
    const ahead = new Date(Date.now() + 3_600_000).toUTCString();
    server.answer(
      (res) =>
        res.writeHead(400, { ...JSON_TYPE, date: ahead }).end(
          JSON.stringify({
            __type: 'InvalidSignatureException',
            message: 'Signature expired: 20261202T000000Z',
          }),
        ),
      ok({}),
    );
    await light.send(put());
    const [first, retry] = received.map((r) => String(r.headers['x-amz-date']));
    const parse = (d: string | undefined) =>
      Date.parse(String(d).replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(received).toHaveLength(2);
    expect(parse(retry) - parse(first)).toBeGreaterThan(3_500_000);
    expect(verifySigV4(received[1] as ReceivedRequest, identity)).toBe(true);
  });

  it('keeps the rest of the stack: initialize middleware sees every call, other commands use the SDK', async () => {
    const light = await lightClient();
    const seen: string[] = [];
    const sdkPath: string[] = [];
    const spy = (into: string[]) =>
      ((next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: unknown) => {
          into.push(String(context.commandName));
          return next(args);
        }) as never;
    light.middlewareStack.add(spy(seen), { step: 'initialize', name: 'seen' });
    light.middlewareStack.add(spy(sdkPath), { step: 'finalizeRequest', name: 'sdkPath' });
    server.answer(ok({ Items: [], Count: 0, ScannedCount: 0 }));
    await light.send(put());
    await light.send(new ScanCommand({ TableName: 'chat' }));
    expect(seen).toEqual(['PutItemCommand', 'ScanCommand']);
    expect(sdkPath).toEqual(['ScanCommand']);
    expect(received.every((r) => verifySigV4(r, identity))).toBe(true);
  });
});

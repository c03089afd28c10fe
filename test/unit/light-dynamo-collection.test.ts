/**
 * The light DynamoDB path (lambdas/data/light-dynamo.ts) and a put's item-collection metrics, which
 * DynamoDB Local never answers (test/fault/chat-full.test.ts): the request carries
 * `ReturnItemCollectionMetrics` as the SDK's does, the answer's `ItemCollectionMetrics` comes back as
 * the SDK's document client returns it (the key as plain values, the estimate as numbers), and the
 * refusal of a full partition keeps DynamoDB's name for the data layer (table-client.ts) to read.
 */
import type { ServerResponse } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lightDynamo } from '../../lambdas/data/light-dynamo.ts';
import { type RecordingServer, startRecordingServer } from '../support/recording-server.ts';
import { TEST_CREDENTIALS, TEST_REGION } from '../support/sigv4.ts';

const JSON_TYPE = { 'content-type': 'application/x-amz-json-1.0' };
const answer = (status: number, body: object) => (res: ServerResponse) =>
  res.writeHead(status, JSON_TYPE).end(JSON.stringify(body));
const METRICS = {
  ItemCollectionMetrics: { ItemCollectionKey: { pk: { S: 'CHAT#c1' } }, SizeEstimateRangeGB: [7.5, 8.5] },
};

let server: RecordingServer;
beforeAll(async () => {
  server = await startRecordingServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.received.length = 0;
  server.answer(answer(200, {}));
});

const client = () =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: server.url, region: TEST_REGION, credentials: TEST_CREDENTIALS }),
  );
const put = () =>
  new PutCommand({
    TableName: 'chat',
    Item: { pk: 'CHAT#c1', sk: 'MSG#1' },
    ReturnItemCollectionMetrics: 'SIZE',
  });

/** A put's request and answer through `doc`, DynamoDB answering `body` with `status`. */
async function sent(doc: DynamoDBDocumentClient, status: number, body: object) {
  server.answer(answer(status, body));
  const output = await doc.send(put()).catch((error: unknown) => error);
  const request = server.received.at(-1);
  return { request: JSON.parse(request?.body.toString() ?? '{}'), output };
}

describe('a put’s item-collection metrics on the light path', () => {
  it('asks and answers them as the SDK does', async () => {
    const light = lightDynamo(client());
    await light.send(new GetCommand({ TableName: 'chat', Key: { pk: 'warm', sk: 'up' } })); // the SDK's call
    const mine = await sent(light, 200, METRICS);
    const sdk = await sent(client(), 200, METRICS);
    expect(mine.request).toEqual(sdk.request);
    expect(mine.request.ReturnItemCollectionMetrics).toBe('SIZE');
    const strip = (o: unknown) => ({ ...(o as object), $metadata: undefined });
    expect(strip(mine.output)).toEqual(strip(sdk.output));
    expect((mine.output as { ItemCollectionMetrics: unknown }).ItemCollectionMetrics).toEqual({
      ItemCollectionKey: { pk: 'CHAT#c1' },
      SizeEstimateRangeGB: [7.5, 8.5],
    });
  });

  it('fails a full partition’s put with DynamoDB’s error name, not retried', async () => {
    const light = lightDynamo(client());
    await light.send(new GetCommand({ TableName: 'chat', Key: { pk: 'warm', sk: 'up' } }));
    server.received.length = 0;
    const full = {
      __type: 'com.amazonaws.dynamodb.v20120810#ItemCollectionSizeLimitExceededException',
      message: 'Item collection size limit exceeded',
    };
    const { output } = await sent(light, 400, full);
    expect(output).toMatchObject({ name: 'ItemCollectionSizeLimitExceededException', $fault: 'client' });
    expect(server.received).toHaveLength(1);
  });
});

/**
 * The light request paths over HTTPS, as they run on AWS (every other test speaks plain HTTP to a
 * local endpoint): `lambdas/shared/signed-http.ts` picks the TLS agent and request for an `https:`
 * endpoint, and the requests it sends there carry the host, the path and a SigV4 signature that an
 * independent verifier accepts, exactly like the SDK's own requests to the same endpoint. The server
 * is a real TLS server with a certificate for `localhost` (test/support/tls), trusted by the agent
 * the clients are given and by nothing else: a client that does not trust it fails the handshake.
 */
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lightDynamo } from '../../lambdas/data/light-dynamo.ts';
import { isGone } from '../../lambdas/fanout/delivery.ts';
import { lightPosts } from '../../lambdas/fanout/light-posts.ts';
import { type RecordingServer, startTlsRecordingServer, testAgent } from '../support/recording-server.ts';
import { type ReceivedRequest, TEST_CREDENTIALS, TEST_REGION, verifySigV4 } from '../support/sigv4.ts';

const credentials = TEST_CREDENTIALS;
const region = TEST_REGION;
const JSON_TYPE = { 'content-type': 'application/x-amz-json-1.0' };

let server: RecordingServer;
let received: ReceivedRequest[];

beforeAll(async () => {
  server = await startTlsRecordingServer();
  received = server.received;
});
afterAll(() => server.close());
beforeEach(() => {
  received.length = 0;
  server.answer((res) => res.writeHead(200, JSON_TYPE).end('{}'));
});

const only = (): ReceivedRequest => {
  const [request, ...more] = received.splice(0);
  if (!request || more.length > 0)
    throw new Error(`expected one request, got ${more.length + (request ? 1 : 0)}`);
  return request;
};

describe('light requests over HTTPS', () => {
  it('posts to the Management API over TLS as the SDK does', async () => {
    const endpoint = `${server.url}/prod`;
    const sdk = new ApiGatewayManagementApiClient({
      endpoint,
      region,
      credentials,
      maxAttempts: 1,
      requestHandler: { httpsAgent: testAgent() },
    });
    const light = lightPosts(
      new ApiGatewayManagementApiClient({ endpoint, region, credentials, maxAttempts: 1 }),
      { agent: testAgent() },
    );
    const post = () => new PostToConnectionCommand({ ConnectionId: 'AbC=', Data: Buffer.from('{"a":1}') });
    await sdk.send(post());
    const theirs = only();
    await light.send(post());
    const mine = only();
    const identity = { ...credentials, region, service: 'execute-api' };
    expect(verifySigV4(theirs, identity)).toBe(true);
    expect(verifySigV4(mine, identity)).toBe(true);
    expect(mine.url).toBe('/prod/@connections/AbC%3D');
    expect(mine.url).toBe(theirs.url);
    expect(mine.headers.host).toBe(new URL(server.url).host);
    expect(mine.headers.host).toBe(theirs.headers.host);
    expect(mine.body.equals(theirs.body)).toBe(true);

    server.answer((res) => res.writeHead(410, { 'x-amzn-errortype': 'GoneException' }).end('{}'));
    const gone = await light.send(post()).catch((error: unknown) => error);
    expect(isGone(gone)).toBe(true);
    light.destroy();
    sdk.destroy();
  });

  it('sends DynamoDB data commands over TLS to the endpoint the SDK resolved', async () => {
    const base = new DynamoDBClient({
      endpoint: server.url,
      region,
      credentials,
      maxAttempts: 1,
      requestHandler: { httpsAgent: testAgent() },
    });
    const client = lightDynamo(DynamoDBDocumentClient.from(base), { agent: testAgent() });
    const get = new GetCommand({ TableName: 'chat', Key: { pk: 'a', sk: 'b' } });
    await client.send(get); // the SDK's call: it resolves the endpoint
    const theirs = only();
    server.answer((res) => res.writeHead(200, JSON_TYPE).end('{"Item":{"pk":{"S":"a"},"n":{"N":"7"}}}'));
    const answer = await client.send(get);
    const mine = only();
    expect(answer.Item).toEqual({ pk: 'a', n: 7 });
    const identity = { ...credentials, region, service: 'dynamodb' };
    expect(verifySigV4(theirs, identity)).toBe(true);
    expect(verifySigV4(mine, identity)).toBe(true);
    expect(mine.headers.host).toBe(theirs.headers.host);
    expect(mine.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(JSON.parse(mine.body.toString())).toEqual(JSON.parse(theirs.body.toString()));
    // Once the light path has answered GetItem, its calls run on the kept stack: over TLS too.
    await client.send(new GetCommand({ TableName: 'chat', Key: { pk: 'a', sk: 'c' } }));
    const kept = only();
    expect(verifySigV4(kept, identity)).toBe(true);
    expect(JSON.parse(kept.body.toString())).toMatchObject({ Key: { pk: { S: 'a' }, sk: { S: 'c' } } });

    server.answer((res) =>
      res
        .writeHead(400, JSON_TYPE)
        .end('{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"no"}'),
    );
    const put = new PutCommand({
      TableName: 'chat',
      Item: { pk: 'a', sk: 'b' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    const failed = await client.send(put).catch((error: unknown) => error);
    expect((failed as Error).name).toBe('ConditionalCheckFailedException');
    expect(only().headers['x-amz-target']).toBe('DynamoDB_20120810.PutItem');
    client.destroy();
    base.destroy();
  });

  it('refuses a server it does not trust (the TLS check can fail)', async () => {
    const client = lightPosts(
      new ApiGatewayManagementApiClient({ endpoint: server.url, region, credentials, maxAttempts: 1 }),
    );
    const error = await client
      .send(new PostToConnectionCommand({ ConnectionId: 'x', Data: Buffer.from('{}') }))
      .catch((e: unknown) => e as Error & { code?: string });
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(received).toEqual([]);
    client.destroy();
  });
});

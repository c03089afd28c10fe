/**
 * The light paths keep their commands' resolved middleware stacks (lambdas/shared/resolved-stacks.ts):
 * the stack is resolved once per command class, not on every call; calls of the same class running
 * together still send their own input; a middleware added (or removed) later takes part in (or leaves)
 * the very next call; an abort signal still ends a kept call; calls with other options, and commands
 * the light path does not answer, resolve the stack as the SDK does. Against a real HTTP server.
 */
import type { ServerResponse } from 'node:http';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  ScanCommand as DocScan,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lightDynamo } from '../../lambdas/data/light-dynamo.ts';
import { isAborted } from '../../lambdas/data/table-client.ts';
import { lightPosts } from '../../lambdas/fanout/light-posts.ts';
import { type RecordingServer, startRecordingServer } from '../support/recording-server.ts';
import { TEST_CREDENTIALS as credentials, TEST_REGION as region } from '../support/sigv4.ts';

const JSON_TYPE = { 'content-type': 'application/x-amz-json-1.0' };
const ok = (res: ServerResponse) => res.writeHead(200, JSON_TYPE).end('{}');

let server: RecordingServer;
beforeAll(async () => {
  server = await startRecordingServer(ok);
});
afterAll(() => server.close());
beforeEach(() => {
  server.received.length = 0;
  server.answer(ok);
});
afterEach(() => vi.restoreAllMocks());

type Middleware = (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => unknown;
/** An initialize middleware that notes the commands it sees. */
const noting =
  (into: string[]): Middleware =>
  (next, context) =>
  async (args: unknown) => {
    into.push(String(context.commandName));
    return next(args);
  };

/** A light document client past the calls that teach it the endpoint and the classes it answers. */
async function documentClient() {
  const client = lightDynamo(
    DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: server.url, region, credentials, maxAttempts: 1 }),
    ),
  );
  const get = () => new GetCommand({ TableName: 'chat', Key: { pk: 'a', sk: 'b' } });
  await client.send(get()); // the SDK's call: the endpoint
  await client.send(get()); // the light path's first: its class
  await client.send(new PutCommand({ TableName: 'chat', Item: { pk: 'p', sk: '0' } }));
  server.received.length = 0;
  return client;
}

const put = (i: number) => new PutCommand({ TableName: 'chat', Item: { pk: 'p', sk: String(i), n: i } });
const bodies = () =>
  server.received.map((r) => JSON.parse(r.body.toString()) as { Item?: { sk?: { S: string } } });

describe('kept stacks of the light DynamoDB path', () => {
  it('resolves the stack once per command class; calls running together send their own input', async () => {
    const client = await documentClient();
    const puts = vi.spyOn(PutItemCommand.prototype, 'resolveMiddleware');
    const gets = vi.spyOn(GetItemCommand.prototype, 'resolveMiddleware');
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.send(put(i + 1))));
    await client.send(new GetCommand({ TableName: 'chat', Key: { pk: 'a', sk: 'c' } }));
    expect(puts.mock.calls.length).toBeLessThanOrEqual(1);
    expect(gets.mock.calls.length).toBeLessThanOrEqual(1);
    const sent = bodies()
      .map((b) => b.Item?.sk?.S)
      .filter((sk) => sk !== undefined)
      .sort((a, b) => Number(a) - Number(b));
    expect(sent).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
    expect(server.received).toHaveLength(21);
  });

  it('a middleware added later sees the next call, and one removed does not', async () => {
    const client = await documentClient();
    await client.send(put(1)); // kept
    const seen: string[] = [];
    client.middlewareStack.add(noting(seen) as never, { step: 'initialize', name: 'later' });
    await client.send(put(2));
    await client.send(new GetCommand({ TableName: 'chat', Key: { pk: 'a', sk: 'b' } }));
    expect(seen).toEqual(['PutItemCommand', 'GetItemCommand']);
    client.middlewareStack.remove('later');
    await client.send(put(3));
    expect(seen).toHaveLength(2);
  });

  it('with the light middleware taken out, calls go through the SDK whole again (marshalled)', async () => {
    const client = await documentClient();
    await client.send(put(1)); // kept
    client.middlewareStack.remove('lightDynamo');
    await client.send(put(2));
    const sent = bodies().at(-1) as { Item?: Record<string, unknown> };
    expect(sent.Item).toEqual({ pk: { S: 'p' }, sk: { S: '2' }, n: { N: '2' } });
  });

  it('an abort signal ends a kept call', async () => {
    const client = await documentClient();
    const resolves = vi.spyOn(PutItemCommand.prototype, 'resolveMiddleware');
    await client.send(put(1));
    server.answer(() => undefined); // never answers
    const started = performance.now();
    const error = await client
      .send(put(2), { abortSignal: AbortSignal.timeout(100) })
      .catch((e: unknown) => e);
    expect(isAborted(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(resolves.mock.calls.length).toBeLessThanOrEqual(1); // both calls on the kept stack
  });

  it('other options, and commands the light path does not answer, resolve the stack on every call', async () => {
    const client = await documentClient();
    const puts = vi.spyOn(PutItemCommand.prototype, 'resolveMiddleware');
    const scans = vi.spyOn(ScanCommand.prototype, 'resolveMiddleware');
    server.answer((res) => res.writeHead(200, JSON_TYPE).end('{"Items":[],"Count":0,"ScannedCount":0}'));
    await client.send(put(1), { requestTimeout: 5000 } as never);
    await client.send(put(2), { requestTimeout: 5000 } as never);
    await client.send(new DocScan({ TableName: 'chat' }));
    await client.send(new DocScan({ TableName: 'chat' }));
    expect(puts).toHaveBeenCalledTimes(2);
    expect(scans).toHaveBeenCalledTimes(2);
  });
});

describe('kept stacks of the light posts', () => {
  const post = (id: string) => new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from(id) });

  it('resolves the stack once, sees middleware added later, and each post sends its own', async () => {
    const client = lightPosts(
      new ApiGatewayManagementApiClient({
        endpoint: `${server.url}/prod`,
        region,
        credentials,
        maxAttempts: 1,
      }),
    );
    await client.send(post('first'));
    const resolves = vi.spyOn(PostToConnectionCommand.prototype, 'resolveMiddleware');
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => client.send(post(id))));
    expect(resolves.mock.calls.length).toBeLessThanOrEqual(1);
    const seen: string[] = [];
    client.middlewareStack.add(noting(seen) as never, { step: 'initialize', name: 'later' });
    await client.send(post('e'));
    expect(seen).toEqual(['PostToConnectionCommand']);
    expect(server.received.map((r) => `${r.url} ${r.body.toString()}`).sort()).toEqual(
      ['first', 'a', 'b', 'c', 'd', 'e'].map((id) => `/prod/@connections/${id} ${id}`).sort(),
    );
    resolves.mockClear();
    await client.send(post('f'), { requestTimeout: 5000 } as never);
    expect(resolves).toHaveBeenCalledTimes(1); // options: the SDK's send, still posted
    expect(server.received).toHaveLength(7);
  });
});

/**
 * The light `PostToConnection` path (lambdas/fanout/light-posts.ts) against a real HTTP server: its
 * requests carry a SigV4 signature that an independent verifier (test/support/sigv4.ts, written from
 * AWS's specification, not with the SDK's signer) accepts, exactly as it accepts the SDK's own requests;
 * its answers fail like the SDK's (the error type, the status), and the rest of the client's
 * middleware still sees every call.
 */
import {
  ApiGatewayManagementApiClient,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGone } from '../../lambdas/fanout/delivery.ts';
import { lightPosts } from '../../lambdas/fanout/light-posts.ts';
import { type Answer, type RecordingServer, startRecordingServer } from '../support/recording-server.ts';
import { type ReceivedRequest, TEST_CREDENTIALS, TEST_REGION, verifySigV4 } from '../support/sigv4.ts';

const credentials = TEST_CREDENTIALS;
const region = TEST_REGION;
type Received = ReceivedRequest;
/** The default answer: 200, no body. */
const ok: Answer = (res) => res.writeHead(200).end();

let server: RecordingServer;
let endpoint: string;
let received: Received[];

beforeAll(async () => {
  server = await startRecordingServer(ok);
  endpoint = `${server.url}/prod`;
  received = server.received;
});
afterAll(() => server.close());

const client = (light: boolean) => {
  const c = new ApiGatewayManagementApiClient({ endpoint, region, credentials, maxAttempts: 1 });
  return light ? lightPosts(c) : c;
};

/** Verifies a received request's SigV4 signature (test/support/sigv4.ts). */
const verify = (r: Received): boolean => verifySigV4(r, { ...credentials, region, service: 'execute-api' });

async function postWith(light: boolean, connectionId: string, data: string): Promise<Received> {
  received.length = 0;
  await client(light).send(
    new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data) }),
  );
  const [request] = received;
  if (!request) throw new Error('nothing was received');
  return request;
}

describe('light PostToConnection', () => {
  it('sends what the SDK sends, with a signature the SigV4 rules accept', async () => {
    for (const connectionId of ['AbC123=', 'x+y/z==', "it's (odd)*!"]) {
      const sdk = await postWith(false, connectionId, '{"type":"message.created"}');
      const light = await postWith(true, connectionId, '{"type":"message.created"}');
      expect(verify(sdk)).toBe(true); // the verifier agrees with the SDK
      expect(verify(light)).toBe(true);
      expect(light.method).toBe(sdk.method);
      expect(light.url).toBe(sdk.url);
      expect(light.body.equals(sdk.body)).toBe(true);
      for (const header of ['host', 'content-type', 'content-length', 'x-amz-security-token']) {
        expect(light.headers[header], header).toBe(sdk.headers[header]);
      }
    }
  });

  it('a tampered request fails the verifier (the check can fail)', async () => {
    const light = await postWith(true, 'AbC123=', 'hello');
    expect(verify({ ...light, body: Buffer.from('hullo') })).toBe(false);
    expect(verify({ ...light, url: light.url.replace('AbC123', 'AbC124') })).toBe(false);
  });

  it('fails like the SDK: the error type, the status, gone or not', async () => {
    const cases: [number, Record<string, string>, string][] = [
      [410, { 'x-amzn-errortype': 'GoneException:http://internal' }, 'GoneException'],
      [410, {}, 'GoneException'],
      [429, { 'x-amzn-errortype': 'LimitExceededException' }, 'LimitExceededException'],
      [503, {}, 'ServiceUnavailableException'],
    ];
    for (const [status, headers, name] of cases) {
      server.answer((res) =>
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{"message":"no"}'),
      );
      const error = await client(true)
        .send(new PostToConnectionCommand({ ConnectionId: 'c1', Data: Buffer.from('x') }))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name, $metadata: { httpStatusCode: status } });
      expect(isGone(error)).toBe(status === 410);
    }
    server.answer(ok);
  });

  it('a dropped connection is a network error (no status: retried by the delivery policy)', async () => {
    server.answer((res) => res.socket?.destroy());
    const error = await client(true)
      .send(new PostToConnectionCommand({ ConnectionId: 'c1', Data: Buffer.from('x') }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as { $metadata?: unknown }).$metadata).toBeUndefined();
    server.answer(ok);
  });

  it('keeps the rest of the stack: initialize middleware sees the post, other commands use the SDK', async () => {
    const c = client(true);
    const seen: string[] = [];
    c.middlewareStack.add(
      ((next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: unknown) => {
          seen.push(String(context.commandName));
          return next(args);
        }) as never,
      { step: 'initialize', name: 'spy' },
    );
    received.length = 0;
    await c.send(new PostToConnectionCommand({ ConnectionId: 'c1', Data: Buffer.from('x') }));
    server.answer((res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          '{"connectedAt":"2026-12-02T00:00:00.000Z","lastActiveAt":"2026-12-02T00:00:01.000Z","identity":{"sourceIp":"1.2.3.4"}}',
        ),
    );
    const got = await c.send(new GetConnectionCommand({ ConnectionId: 'c1' }));
    server.answer(ok);
    expect(seen).toEqual(['PostToConnectionCommand', 'GetConnectionCommand']);
    expect(got.Identity?.SourceIp).toBe('1.2.3.4'); // deserialized by the SDK
    expect(received.map((r) => r.method)).toEqual(['POST', 'GET']);
    expect(received.every(verify)).toBe(true);
  });
});

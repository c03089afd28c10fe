/**
 * The local gateway's connection lifecycle, with small inline handlers (not the product's): the
 * REQUEST authorizer, `$connect` and its refusals, the events' requestContext, and `$disconnect`.
 */
import { randomBytes } from 'node:crypto';
import { type IncomingHttpHeaders, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, HandshakeError } from '../support/client.ts';
import {
  type AnyEvent,
  CONNECTION_ID,
  RawClient,
  Recorder,
  startGateway,
  useGateway,
} from '../support/gateway-harness.ts';

const gw = useGateway({ limits: { maxFrameBytes: 4096 } });

describe('$connect and the REQUEST authorizer', () => {
  it('runs the authorizer first, then $connect, with API Gateway-shaped events', async () => {
    const client = await gw.connect('ok-alice', '&tag=first', {
      'X-Test-Header': 'yes',
      'User-Agent': 'gw-test/1',
    });
    const id = await client.connectionId();
    expect(gw.rec.order.slice(0, 2)).toEqual(['$authorizer', '$connect']);

    const auth = gw.rec.authorizerEvents[0] as AnyEvent;
    expect(auth).toMatchObject({
      type: 'REQUEST',
      methodArn: expect.stringMatching(/^arn:aws:execute-api:[^:]+:\d{12}:abc123def4\/test\/\$connect$/),
      queryStringParameters: { token: 'ok-alice', tag: 'first' },
      headers: expect.objectContaining({ 'X-Test-Header': 'yes' }),
      requestContext: expect.objectContaining({
        routeKey: '$connect',
        eventType: 'CONNECT',
        connectionId: id,
      }),
    });

    const [event] = gw.rec.of('$connect', id);
    const rc = event?.requestContext;
    expect(rc).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      connectionId: id,
      stage: 'test',
      apiId: 'abc123def4',
      domainName: `127.0.0.1:${gw.gateway.port}`,
      identity: { sourceIp: '127.0.0.1', userAgent: 'gw-test/1' },
    });
    expect(id).toMatch(CONNECTION_ID);
    expect(typeof rc.requestId).toBe('string');
    expect(rc.requestId.length).toBeGreaterThan(0);
    expect(Number.isInteger(rc.connectedAt)).toBe(true);
    expect(Number.isInteger(rc.requestTimeEpoch)).toBe(true);
    expect(rc.requestTimeEpoch).toBeGreaterThanOrEqual(rc.connectedAt);
    expect(rc.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(event?.headers).toMatchObject({ 'X-Test-Header': 'yes', 'User-Agent': 'gw-test/1' });
    expect(event?.queryStringParameters).toEqual({ token: 'ok-alice', tag: 'first' });
    expect(event?.isBase64Encoded).toBe(false);
  });

  it('gives every connection its own AWS-like id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add(await (await gw.connect()).connectionId());
    expect(ids.size).toBe(5);
    for (const id of ids) expect(id).toMatch(CONNECTION_ID);
    expect(gw.gateway.connectionIds.sort()).toEqual([...ids].sort());
  });

  it('refuses a missing identity source with 401 without invoking the authorizer', async () => {
    await expect(RawClient.open(gw.gateway.url)).rejects.toEqual(new HandshakeError(401));
    await expect(RawClient.open(`${gw.gateway.url}/?token=`)).rejects.toEqual(new HandshakeError(401));
    await expect(RawClient.open(`${gw.gateway.url}/?other=1`)).rejects.toEqual(new HandshakeError(401));
    expect(gw.rec.authorizerEvents).toHaveLength(0);
    expect(gw.rec.of('$connect')).toHaveLength(0);
  });

  it.each([
    ['unauth', 'throws Unauthorized', 401],
    ['deny', 'returns a Deny policy', 403],
    ['crash', 'throws anything else', 500],
  ])(
    'refuses the handshake when the authorizer %s (%s) with HTTP %i, $connect never runs',
    async (token, _what, status) => {
      await expect(RawClient.open(`${gw.gateway.url}/?token=${token}`)).rejects.toEqual(
        new HandshakeError(status),
      );
      expect(gw.rec.authorizerEvents).toHaveLength(1);
      expect(gw.rec.of('$connect')).toHaveLength(0);
      expect(gw.gateway.connectionIds).toEqual([]);
    },
  );

  it.each([
    ['403', 403],
    ['429', 429],
    ['400', 400],
    ['throw', 500],
  ])('refuses the handshake when $connect answers %s: the client sees HTTP %i', async (status, expected) => {
    await expect(RawClient.open(`${gw.gateway.url}/?token=ok-bob&status=${status}`)).rejects.toEqual(
      new HandshakeError(expected),
    );
    expect(gw.rec.of('$connect')).toHaveLength(1);
    await gw.gateway.idle();
    expect(gw.rec.of('$disconnect')).toHaveLength(0);
    expect(gw.gateway.connectionIds).toEqual([]);
  });

  it('accepts any 2xx from $connect', async () => {
    const client = await gw.connect('ok-bob', '&status=204');
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it("hands the authorizer's principalId and context to every later event, $disconnect included", async () => {
    const client = await gw.connect('ok-carol');
    const id = await client.connectionId();
    await client.request('{"action":"nope"}');
    await client.close();
    await eventually(() => gw.rec.of('$disconnect', id).length === 1);

    // Context values arrive as strings, as API Gateway hands them on ("numberKey": "1", "booleanKey": "true").
    const expected = {
      principalId: 'carol',
      userId: 'carol',
      name: 'Name of carol',
      level: '3',
      admin: 'false',
      exp: '1796364287',
    };
    const seen = gw.rec.events.filter((e) => e.event.requestContext.connectionId === id);
    expect(seen.map((e) => e.routeKey)).toEqual(['$connect', 'echo', '$default', '$disconnect']);
    for (const { event } of seen) {
      expect(event.requestContext.authorizer).toMatchObject(expected);
      expect(event.requestContext.authorizer).not.toHaveProperty('absent');
    }
  });

  it("turns the authorizer context's numbers and booleans into strings", async () => {
    const client = await gw.connect('ok-root');
    const reply = await client.request('{"action":"echo","n":1}');
    const authorizer = reply.requestContext.authorizer;
    expect(authorizer.admin).toBe('true');
    expect(authorizer.level).toBe('3');
    expect(authorizer.exp).toBe('1796364287');
    expect(gw.rec.of('$connect')[0]?.requestContext.authorizer).toMatchObject({
      admin: 'true',
      exp: '1796364287',
    });
  });

  it.each([
    ['bad-object', '"profile" is an object'],
    ['bad-array', '"roles" is an array'],
    ['bad-null', '"name" is null'],
  ])(
    'refuses the handshake with 500 when the authorizer allows with a context API Gateway refuses (%s)',
    async (token, why) => {
      await expect(RawClient.open(`${gw.gateway.url}/?token=${token}`)).rejects.toEqual(
        new HandshakeError(500),
      );
      expect(gw.rec.authorizerEvents).toHaveLength(1);
      expect(gw.rec.of('$connect')).toHaveLength(0);
      expect(gw.gateway.connectionIds).toEqual([]);
      expect(gw.log).toEqual([
        expect.objectContaining({
          level: 'ERROR',
          routeKey: '$connect',
          message: expect.stringContaining(why),
        }),
      ]);
      expect(gw.log[0]?.message).toContain('AuthorizerConfigurationException');
    },
  );
});

/** A bare upgrade request offering `protocols`: the headers of the server's 101 answer. */
function upgradeHeaders(url: string, protocols: string): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const req = request(url.replace(/^ws:/, 'http:'), {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': protocols,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.headers);
    });
    req.on('response', (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

describe('subprotocols (Sec-WebSocket-Protocol)', () => {
  it('selects none: the 101 answer has no Sec-WebSocket-Protocol, as API Gateway without a $connect header', async () => {
    const headers = await upgradeHeaders(`${gw.gateway.url}/?token=ok-erin`, 'chat.v1, chat.v2');
    expect(headers).not.toHaveProperty('sec-websocket-protocol');
    expect(gw.rec.of('$connect')).toHaveLength(1);
  });

  it('so a ws client that offers one fails the handshake itself, as it would against AWS', async () => {
    const socket = new WebSocket(`${gw.gateway.url}/?token=ok-frank`, ['chat.v1']);
    const outcome = await new Promise<string>((resolve) => {
      socket.once('open', () => resolve(`open with protocol "${socket.protocol}"`));
      socket.once('error', (error) => resolve(error.message));
    });
    socket.terminate();
    expect(outcome).toBe('Server sent no subprotocol');
  });
});

describe('$disconnect', () => {
  it('runs when the client closes, with eventType DISCONNECT and the close code', async () => {
    const client = await gw.connect('ok-dave');
    const id = await client.connectionId();
    await client.close(4000);
    await eventually(() => gw.rec.of('$disconnect', id).length === 1);
    const rc = gw.rec.of('$disconnect', id)[0]?.requestContext;
    expect(rc).toMatchObject({
      routeKey: '$disconnect',
      eventType: 'DISCONNECT',
      connectionId: id,
      disconnectStatusCode: 4000,
      authorizer: { principalId: 'dave' },
    });
    expect(gw.gateway.connectionIds).not.toContain(id);
  });

  it('runs for every socket when the gateway stops', async () => {
    const stopRec = new Recorder();
    const other = await startGateway(stopRec);
    const a = await RawClient.open(`${other.url}/?token=ok-a`);
    const b = await RawClient.open(`${other.url}/?token=ok-b`);
    await other.stop();
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    expect(
      stopRec
        .of('$disconnect')
        .map((e) => e.requestContext.authorizer.principalId)
        .sort(),
    ).toEqual(['a', 'b']);
  });
});

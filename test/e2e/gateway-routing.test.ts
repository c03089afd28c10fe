/**
 * The local gateway's message path, with small inline handlers (not the product's): route selection
 * on `action`, the message event's requestContext, two-way and one-way routes, and the frame API
 * Gateway sends when a handler throws or no route matches.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LocalGateway } from '../../local/gateway.ts';
import { eventually } from '../support/client.ts';
import { CONNECTION_ID, RawClient, route, useGateway } from '../support/gateway-harness.ts';

const gw = useGateway({ limits: { maxFrameBytes: 4096 } });

describe('route selection', () => {
  it('routes on body.action, case-sensitively, and falls back to $default', async () => {
    const client = await gw.connect();
    const cases: [string, string][] = [
      ['{"action":"echo","n":1}', 'echo'],
      ['{"action":"ECHO","n":2}', '$default'],
      ['{"action":"Echo","n":3}', '$default'],
      ['{"action":"nope","n":4}', '$default'],
      ['{"n":5}', '$default'],
      ['{"action":42,"n":6}', '$default'],
      ['not json at all', '$default'],
      ['[{"action":"echo"}]', '$default'],
      ['"echo"', '$default'],
      ['{"action":"$connect","n":7}', '$default'],
      ['{"action":"$disconnect","n":8}', '$default'],
    ];
    for (const [body, expected] of cases) {
      const reply = await client.request(body);
      expect(reply.route, body).toBe(expected);
      expect(reply.requestContext.routeKey, body).toBe(expected);
    }
    expect(gw.rec.of('$connect')).toHaveLength(1);
    expect(gw.rec.of('$disconnect')).toHaveLength(0);
  });

  it('closes the socket with 1003 on a binary frame, routes nothing, and runs $disconnect with 1003', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    const routedBefore = gw.rec.events.length;
    client.socket.send(Buffer.from([0, 1, 2, 250, 255]), { binary: true });
    expect((await client.closed).code).toBe(1003);
    await eventually(() => gw.rec.of('$disconnect', id).length === 1);
    expect(gw.rec.of('$disconnect', id)[0]?.requestContext.disconnectStatusCode).toBe(1003);
    expect(gw.rec.events.slice(routedBefore).map((e) => e.routeKey)).toEqual(['$disconnect']);
    expect(gw.gateway.connectionIds).not.toContain(id);
  });

  it('answers {"message":"Forbidden"} when nothing matches and there is no $default', async () => {
    const bare = new LocalGateway({ routes: [route('echo', async () => ({ statusCode: 200 }))], port: 0 });
    await bare.start();
    try {
      const client = await RawClient.open(bare.url);
      client.socket.send('{"action":"other"}');
      const frame = await client.waitForJson(() => true, 'Forbidden frame');
      expect(frame).toEqual({
        message: 'Forbidden',
        connectionId: expect.stringMatching(CONNECTION_ID),
        requestId: expect.any(String),
      });
      expect(client.socket.readyState).toBe(WebSocket.OPEN);
      await client.close();
    } finally {
      await bare.stop();
    }
  });
});

describe('messages', () => {
  it('carries routeKey, eventType, messageId, body and the connection facts', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    const first = await client.request('{"action":"echo","n":1}');
    const second = await client.request('{"action":"echo","n":2}');
    const [connectEvent] = gw.rec.of('$connect', id);
    for (const reply of [first, second]) {
      expect(reply.isBase64Encoded).toBe(false);
      expect(reply.requestContext).toMatchObject({
        routeKey: 'echo',
        eventType: 'MESSAGE',
        connectionId: id,
        connectedAt: connectEvent?.requestContext.connectedAt,
        stage: 'test',
        apiId: 'abc123def4',
        domainName: `127.0.0.1:${gw.gateway.port}`,
        identity: { sourceIp: '127.0.0.1' },
        messageId: expect.any(String),
        requestId: expect.any(String),
        requestTimeEpoch: expect.any(Number),
      });
    }
    expect(first.body).toBe('{"action":"echo","n":1}');
    expect(first.requestContext.messageId).not.toBe(second.requestContext.messageId);
    expect(first.requestContext.requestId).not.toBe(second.requestContext.requestId);
    expect(first.requestContext.requestId).not.toBe(connectEvent?.requestContext.requestId);
  });

  it('returns the body of a two-way route to the caller, as a text frame', async () => {
    const client = await gw.connect();
    await client.request('{"action":"echo"}');
    expect(client.received.every((r) => !r.isBinary)).toBe(true);
  });

  it('does not return the body of a one-way route', async () => {
    const client = await gw.connect();
    client.socket.send('{"action":"oneway"}');
    await eventually(() => gw.rec.of('oneway').length === 1);
    await gw.gateway.idle();
    // Anything the one-way route sent would have arrived before this answer.
    await client.request('{"action":"echo","after":"oneway"}');
    expect(client.json.map((f) => f.route)).toEqual(['echo']);
  });

  it("gives each handler a context counting down the route's timeout (29 s by default)", async () => {
    const remaining = async (_event: unknown, context: { getRemainingTimeInMillis(): number }) => ({
      statusCode: 200,
      body: String(context.getRemainingTimeInMillis()),
    });
    const timed = new LocalGateway({
      routes: [{ ...route('short', remaining), timeoutSeconds: 10 }, route('plain', remaining)],
      port: 0,
    });
    await timed.start();
    try {
      const client = await RawClient.open(timed.url);
      client.socket.send('{"action":"short"}');
      await eventually(() => client.received.length === 1);
      client.socket.send('{"action":"plain"}');
      await eventually(() => client.received.length === 2);
      const [short, plain] = client.received.map((r) => Number(r.text));
      expect(short).toBeGreaterThan(9_000);
      expect(short).toBeLessThanOrEqual(10_000);
      expect(plain).toBeGreaterThan(28_000);
      expect(plain).toBeLessThanOrEqual(29_000);
      await client.close();
    } finally {
      await timed.stop();
    }
  });

  it('answers a handler that throws with "Internal server error" and keeps the socket open', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    client.socket.send('{"action":"boom"}');
    const frame = await client.waitForJson(
      (f) => f.message === 'Internal server error',
      'the Internal server error frame',
    );
    const [boom] = gw.rec.of('boom', id);
    expect(frame).toEqual({
      message: 'Internal server error',
      connectionId: id,
      requestId: boom?.requestContext.requestId,
    });
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    expect((await client.request('{"action":"echo","still":"open"}')).route).toBe('echo');
  });
});

/** The platform end to end: real sockets through the local gateway, real handlers, DynamoDB Local. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_TIMEOUT_SECONDS } from '../../lambdas/shared/config.ts';
import { ACTIONS } from '../../lib/routes.ts';
import { eventually, HandshakeError, TestClient } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const invocations: { routeKey: string; error?: unknown }[] = [];
const stack = useTestStack({ onInvoke: (info) => invocations.push(info) });

describe('the local stack', () => {
  it('gives every route its deployed timeout (ROUTE_TIMEOUT_SECONDS), which its context counts down', () => {
    const timeouts = new Set(stack.gateway.options.routes.map((r) => r.timeoutSeconds));
    expect([...timeouts]).toEqual([ROUTE_TIMEOUT_SECONDS]);
  });
});

describe('connecting', () => {
  it('stores the connection in the user index on $connect and removes it on $disconnect', async () => {
    const userId = uniqueId();
    const client = await TestClient.connect(await stack.urlFor(userId, { name: 'Ada' }));
    const items = await stack.items(`USER#${userId}`);
    const conn = items.find((i) => String(i.sk).startsWith('CONN#'));
    expect(conn).toMatchObject({ userId, itemType: 'connection' });
    expect(typeof conn?.ttl).toBe('number');
    const connectedAt = Date.parse(String(conn?.connectedAt));
    expect(Number(conn?.ttl)).toBeGreaterThan(connectedAt / 1000 + 2 * 3600);
    expect(items.find((i) => i.sk === 'PROFILE')).toMatchObject({ name: 'Ada' });

    await client.close();
    await eventually(
      async () => !(await stack.items(`USER#${userId}`)).some((i) => String(i.sk).startsWith('CONN#')),
    );
  });

  it('keeps one record per socket when a user opens several', async () => {
    const userId = uniqueId();
    const a = await TestClient.connect(await stack.urlFor(userId));
    const b = await TestClient.connect(await stack.urlFor(userId));
    const conns = (await stack.items(`USER#${userId}`)).filter((i) => String(i.sk).startsWith('CONN#'));
    expect(conns).toHaveLength(2);
    await a.close();
    await eventually(
      async () =>
        (await stack.items(`USER#${userId}`)).filter((i) => String(i.sk).startsWith('CONN#')).length === 1,
    );
    await b.close();
  });

  it('refuses a missing token with 401 without invoking the authorizer', async () => {
    const before = invocations.filter((i) => i.routeKey === '$authorizer').length;
    await expect(TestClient.connect(stack.url)).rejects.toEqual(new HandshakeError(401));
    await expect(TestClient.connect(`${stack.url}/?token=`)).rejects.toEqual(new HandshakeError(401));
    expect(invocations.filter((i) => i.routeKey === '$authorizer').length).toBe(before);
  });

  it('refuses a malformed, expired or wrongly signed token with 401 and stores nothing', async () => {
    const userId = uniqueId();
    const expired = await stack.token(userId, { ttlSeconds: -60 });
    const wrongKey = await stack.token(userId, { secret: 'another-secret-that-is-long-enough-0123456789' });
    for (const token of [
      'not-a-jwt',
      'a.b.c',
      expired,
      wrongKey,
      `${(await stack.token(userId)).slice(0, -4)}AAAA`,
    ]) {
      await expect(TestClient.connect(`${stack.url}/?token=${token}`)).rejects.toEqual(
        new HandshakeError(401),
      );
    }
    expect(await stack.items(`USER#${userId}`)).toEqual([]);
  });
});

describe('frames', () => {
  let client: TestClient;
  beforeAll(async () => {
    client = await TestClient.connect(await stack.urlFor(uniqueId()));
  });
  afterAll(async () => {
    await client.close();
  });

  it('answers ping with pong, echoing the requestId', async () => {
    const reply = await client.request('ping');
    expect(reply).toEqual({ type: 'pong', action: 'ping', requestId: reply.requestId });
    expect(typeof reply.requestId).toBe('string');
  });

  it('answers a ping without requestId with requestId null', async () => {
    client.send({ action: 'ping' });
    const pong = await client.waitFor((f) => f.type === 'pong' && f.requestId === null);
    expect(pong).toEqual({ type: 'pong', action: 'ping', requestId: null });
  });

  it('answers a frame that is not JSON with BAD_REQUEST and keeps the socket usable', async () => {
    const count = client.frames.length;
    client.sendRaw('hello there');
    const error = await client.waitFor((f, i = client.frames.indexOf(f)) => i >= count && f.type === 'error');
    expect(error).toMatchObject({ type: 'error', action: null, requestId: null, code: 'BAD_REQUEST' });
    expect(String(error.message)).toMatch(/JSON/);
    expect((await client.request('ping')).type).toBe('pong');
  });

  it.each([
    ['an array', '[1,2]'],
    ['a string', '"ping"'],
    ['null', 'null'],
    ['an object without action', '{"requestId":"r-no-action"}'],
    ['a numeric action', '{"action":42,"requestId":"r-num"}'],
  ])('answers %s with BAD_REQUEST', async (_name, body) => {
    const count = client.frames.length;
    client.sendRaw(body);
    const error = await client.waitFor((f) => client.frames.indexOf(f) >= count && f.type === 'error');
    expect(error.code).toBe('BAD_REQUEST');
    expect(client.isOpen).toBe(true);
  });

  it('answers an unknown action with UNKNOWN_ACTION naming the valid actions', async () => {
    const reply = await client.request('fly');
    expect(reply).toMatchObject({ type: 'error', action: 'fly', code: 'UNKNOWN_ACTION' });
    for (const action of ACTIONS) expect(String(reply.message)).toContain(action);
  });

  it('routes case-sensitively: "Ping" is unknown', async () => {
    const reply = await client.request('Ping');
    expect(reply).toMatchObject({ type: 'error', code: 'UNKNOWN_ACTION' });
  });

  it('refuses an over-long requestId with BAD_REQUEST', async () => {
    client.send({ action: 'ping', requestId: 'x'.repeat(65) });
    const error = await client.waitFor((f) => f.type === 'error' && String(f.message).includes('requestId'));
    expect(error).toMatchObject({ code: 'BAD_REQUEST', action: 'ping', requestId: null });
  });

  it('echoes a requestId of 64 characters counted in code points (64 emoji, 128 UTF-16 units)', async () => {
    const requestId = '😀'.repeat(64);
    client.send({ action: 'ping', requestId });
    expect(await client.waitFor((f) => f.requestId === requestId)).toEqual({
      type: 'pong',
      action: 'ping',
      requestId,
    });
  });

  it.each([
    ['that is a number', 7],
    ['that is an object', { id: 'r1' }],
    ['that is a boolean', true],
  ])('refuses a requestId %s with BAD_REQUEST and requestId null', async (_name, requestId) => {
    const count = client.frames.length;
    client.send({ action: 'ping', requestId });
    const error = await client.waitFor((f) => client.frames.indexOf(f) >= count && f.type === 'error');
    expect(error).toMatchObject({ code: 'BAD_REQUEST', action: 'ping', requestId: null });
    expect(String(error.message)).toMatch(/requestId/);
  });

  it('closes the socket with 1009 when a single frame exceeds 32 KB', async () => {
    const big = await TestClient.connect(await stack.urlFor(uniqueId()));
    // One frame, as browsers, React Native, OkHttp and URLSession send every message.
    big.socket.send(JSON.stringify({ action: 'ping', pad: 'x'.repeat(33 * 1024) }));
    expect((await big.closed).code).toBe(1009);
  });

  it('closes the socket with 1009 when a message exceeds 128 KB, even in frames of 32 KB', async () => {
    const big = await TestClient.connect(await stack.urlFor(uniqueId()));
    big.sendRaw(JSON.stringify({ action: 'ping', pad: 'x'.repeat(129 * 1024) }));
    expect((await big.closed).code).toBe(1009);
  });

  it('answers messages between 64 and 128 KB (in frames of 32 KB) with PAYLOAD_TOO_LARGE', async () => {
    const reply = await client.request('ping', { pad: 'x'.repeat(70 * 1024) });
    expect(reply).toMatchObject({ type: 'error', code: 'PAYLOAD_TOO_LARGE', action: 'ping' });
    expect(client.isOpen).toBe(true);
  });
});

/**
 * The handshake over real sockets with the product's authorizer and `$connect`, the issuer and audience
 * enforced: every bad token is refused with 401 and leaves nothing in the table; a good token's user id
 * and display name reach the later routes. While the stack uses the public dev secret, a browser page
 * from another origin cannot open a socket at all (403).
 */
import { type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fallbackName } from '../../lambdas/auth/verifier.ts';
import { eventually, HandshakeError, TestClient } from '../support/client.ts';
import { openSocket } from '../support/frame-waiter.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const ISSUER = 'chat-tests';
const AUDIENCE = 'chat-app';

const invocations: { routeKey: string; error?: unknown }[] = [];
const stack = useTestStack({
  env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
  onInvoke: (info) => invocations.push(info),
});

/** The stack's HS256 secret (the documented dev default unless JWT_SECRET is set). */
const secret = () => new TextEncoder().encode(process.env.JWT_SECRET);

/** A token built by hand, so each test controls every claim and the algorithm. */
async function craft(payload: JWTPayload, alg = 'HS256', key: Uint8Array = secret()): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
}

const valid = (userId: string, extra: JWTPayload = {}): JWTPayload => ({
  sub: userId,
  iss: ISSUER,
  aud: AUDIENCE,
  iat: Math.floor(Date.now() / 1000),
  exp: Math.floor(Date.now() / 1000) + 300,
  name: 'Valid Name',
  ...extra,
});

async function expectRefused(token: string, userId: string): Promise<void> {
  const before = invocations.filter((i) => i.routeKey === '$authorizer').length;
  await expect(TestClient.connect(`${stack.url}/?token=${token}`)).rejects.toEqual(new HandshakeError(401));
  // The authorizer did run (the token was present) and refused; $connect never ran for it.
  expect(invocations.filter((i) => i.routeKey === '$authorizer').length).toBe(before + 1);
  await stack.gateway.idle();
  expect(await stack.items(`USER#${userId}`)).toEqual([]);
}

describe('refused handshakes', () => {
  it('accepts a correctly issued token (the control case)', async () => {
    const userId = uniqueId();
    const client = await TestClient.connect(`${stack.url}/?token=${await craft(valid(userId))}`);
    expect(client.isOpen).toBe(true);
    await client.close();
  });

  it('refuses a token from another issuer with 401 and stores nothing', async () => {
    const userId = uniqueId();
    await expectRefused(await stack.token(userId, { issuer: 'someone-else' }), userId);
    await expectRefused(await craft(valid(userId, { iss: undefined })), userId);
  });

  it('refuses a token for another audience with 401 and stores nothing', async () => {
    const userId = uniqueId();
    await expectRefused(await stack.token(userId, { audience: 'another-app' }), userId);
    await expectRefused(await craft(valid(userId, { aud: undefined })), userId);
  });

  it('refuses alg none with 401 and stores nothing', async () => {
    const userId = uniqueId();
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(valid(userId))}.`, userId);
  });

  it('refuses HS512 (and HS384) signed with the right secret with 401 and stores nothing', async () => {
    const userId = uniqueId();
    await expectRefused(await craft(valid(userId), 'HS512'), userId);
    await expectRefused(await craft(valid(userId), 'HS384'), userId);
  });

  it('refuses a token without sub, or with a sub that is no usable id, with 401', async () => {
    const userId = uniqueId();
    await expectRefused(await craft(valid(userId, { sub: undefined })), userId);
    await expectRefused(await craft(valid(userId, { sub: `${userId}#PROFILE` })), userId);
  });

  it('refuses a sub of more than 128 bytes of UTF-8 (33 emoji) with 401; accepts 32', async () => {
    const long = `${'😀'.repeat(32)}${uniqueId('x').slice(-1)}`;
    await expectRefused(await craft(valid(long)), long);
    const longest = `${'😀'.repeat(31)}${uniqueId('').slice(-4)}`;
    expect(Buffer.byteLength(longest)).toBe(128);
    const client = await TestClient.connect(`${stack.url}/?token=${await craft(valid(longest))}`);
    expect(client.isOpen).toBe(true);
    await client.close();
  });

  it('refuses an expired token and one signed with another secret with 401', async () => {
    const userId = uniqueId();
    await expectRefused(await craft(valid(userId, { exp: Math.floor(Date.now() / 1000) - 120 })), userId);
    const other = new TextEncoder().encode('not-the-stack-secret-but-long-enough-0123456789');
    await expectRefused(await craft(valid(userId), 'HS256', other), userId);
  });
});

describe("the authorizer's identity on later routes", () => {
  it('stores the connection and profile under the token subject with its display name', async () => {
    const userId = uniqueId();
    const client = await TestClient.connect(await stack.urlFor(userId, { name: 'Grace Hopper' }));
    const items = await stack.items(`USER#${userId}`);
    expect(items.find((i) => i.sk === 'PROFILE')).toMatchObject({ userId, name: 'Grace Hopper' });
    const conns = items.filter((i) => String(i.sk).startsWith('CONN#'));
    expect(conns).toHaveLength(1);
    expect(conns[0]).toMatchObject({ userId });

    expect(await client.request('ping')).toMatchObject({ type: 'pong', action: 'ping' });

    // $disconnect finds the connection through the same identity and removes it.
    await client.close();
    await eventually(
      async () => !(await stack.items(`USER#${userId}`)).some((i) => String(i.sk).startsWith('CONN#')),
    );
  });

  it.each([
    [{ name: undefined, preferred_username: 'gracie', email: 'grace@example.com' }, 'gracie'],
    [{ name: undefined, email: 'grace@example.com' }, 'fallback'],
    [{ name: 'grace@example.com' }, 'fallback'],
    [{ name: undefined }, 'fallback'],
  ])('takes the display name from the token, never an e-mail address: %j → %s', async (claims, expected) => {
    const userId = uniqueId();
    const client = await TestClient.connect(`${stack.url}/?token=${await craft(valid(userId, claims))}`);
    const profile = (await stack.items(`USER#${userId}`)).find((i) => i.sk === 'PROFILE');
    expect(profile?.name).toBe(expected === 'fallback' ? fallbackName(userId) : expected);
    expect(profile?.name).not.toContain('@');
    expect((await client.request('ping')).type).toBe('pong');
    await client.close();
  });
});

describe('browser origins while the stack uses the public dev secret', () => {
  /** Opens a socket as a browser page on `origin` would (a valid token: only the origin differs). */
  async function openFrom(origin: string | undefined, userId: string): Promise<WebSocket> {
    const token = await craft(valid(userId));
    return openSocket(
      `${stack.url}/?token=${token}`,
      origin === undefined ? {} : { headers: { Origin: origin } },
    );
  }

  it.each(['https://evil.example', 'http://localhost.evil.example:3001', 'http://192.168.1.20:3001', 'null'])(
    'refuses a page on %s with 403 before the authorizer runs, and stores nothing',
    async (origin) => {
      const userId = uniqueId();
      const before = invocations.filter((i) => i.routeKey === '$authorizer').length;
      await expect(openFrom(origin, userId)).rejects.toEqual(new HandshakeError(403));
      expect(invocations.filter((i) => i.routeKey === '$authorizer').length).toBe(before);
      await stack.gateway.idle();
      expect(await stack.items(`USER#${userId}`)).toEqual([]);
    },
  );

  it.each([
    undefined, // wscat, apps, server-side clients
    'http://localhost:5173',
    'https://localhost',
    'http://127.0.0.1:8080',
    'http://[::1]:3001',
    'own', // the web chat the gateway serves
  ])('accepts clients without Origin and pages on this machine: %s', async (origin) => {
    const own = stack.url.replace(/^ws:/, 'http:');
    const socket = await openFrom(origin === 'own' ? own : origin, uniqueId());
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });
});

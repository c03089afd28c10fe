/** The JWT verifier (lambdas/auth/verifier.ts) with real `jose` keys and a real JWKS endpoint. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLOCK_TOLERANCE_SECONDS,
  createVerifier,
  DEV_JWT_SECRET,
  fallbackName,
  InvalidTokenError,
  type VerifierConfig,
  verifierConfigFromEnv,
} from '../../lambdas/auth/verifier.ts';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const secretBytes = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

function hsConfig(extra: Partial<{ issuer: string; audience: string }> = {}): VerifierConfig {
  return { mode: 'hs256', secret: secretBytes, ...extra };
}

/** Signs `claims` (with a default `sub` and `exp` unless given as `undefined`). */
async function sign(
  claims: JWTPayload,
  key: Uint8Array | CryptoKey = secretBytes,
  header: { alg: string; kid?: string } = { alg: 'HS256' },
): Promise<string> {
  const payload: JWTPayload = { sub: 'alice', exp: now() + 300, iat: now(), ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ typ: 'JWT', ...header }).sign(key);
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`), crafted by hand: jose refuses to make one. */
function unsigned(payload: JWTPayload): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
}

describe('HS256 with a shared secret', () => {
  const verify = createVerifier(hsConfig());

  it('accepts a valid token: sub is the user id', async () => {
    expect(await verify(await sign({ name: 'Alice A.' }))).toEqual({
      userId: 'alice',
      name: 'Alice A.',
      admin: false,
      exp: expect.any(Number),
    });
  });

  it.each([
    [{ roles: ['admin'] }, true],
    [{ roles: 'admin support' }, true],
    [{ 'cognito:groups': ['staff', 'admin'] }, true],
    [{ roles: ['administrator'], 'cognito:groups': 'admins' }, false],
    [{ roles: [1, null] }, false],
    [{}, false],
  ])('reads the administrator role from roles or cognito:groups: %j → %s', async (claims, admin) => {
    expect((await verify(await sign(claims))).admin).toBe(admin);
  });

  it.each([
    [{ name: 'N', preferred_username: 'P', email: 'e@x.org' }, 'N'],
    [{ preferred_username: 'P', email: 'e@x.org' }, 'P'],
    [{ name: '  ', preferred_username: 'P' }, 'P'],
    [{ name: 'alice@example.com', preferred_username: 'Al' }, 'Al'],
  ])('takes the display name from name, then preferred_username: %j → %s', async (claims, name) => {
    expect((await verify(await sign(claims))).name).toBe(name);
  });

  it.each([
    [{ email: 'alice@example.com' }],
    [{ name: 42, email: 'alice@example.com' }],
    [{ name: 'alice@example.com', preferred_username: ' alice@example.com ' }],
    [{}],
  ])('never shows an e-mail address: %j → a neutral name derived from the user id', async (claims) => {
    const { name } = await verify(await sign(claims));
    expect(name).toBe(fallbackName('alice'));
    expect(name).toMatch(/^User [0-9a-f]{4}$/);
    expect(name).not.toContain('@');
  });

  it('derives the neutral name from the user id alone (stable, different per user)', () => {
    expect(fallbackName('alice')).toBe(fallbackName('alice'));
    expect(fallbackName('alice')).not.toBe(fallbackName('bob'));
  });

  it('cuts a long name at 128 characters without splitting a surrogate pair', async () => {
    const name = `${'a'.repeat(127)}😀😀`;
    expect((await verify(await sign({ name }))).name).toBe(`${'a'.repeat(127)}😀`);
  });

  it(`accepts a token expired within the ${CLOCK_TOLERANCE_SECONDS} s clock tolerance`, async () => {
    expect((await verify(await sign({ exp: now() - 2 }))).userId).toBe('alice');
  });

  it('refuses a token expired beyond the clock tolerance', async () => {
    await expect(verify(await sign({ exp: now() - CLOCK_TOLERANCE_SECONDS - 30 }))).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it('refuses a token not valid yet (nbf beyond the tolerance)', async () => {
    await expect(verify(await sign({ nbf: now() + 120 }))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses a token signed with another secret', async () => {
    const other = new TextEncoder().encode('another-secret-that-is-also-32-bytes-long!');
    await expect(verify(await sign({}, other))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await sign({})).split('.');
    const forged = `${header}.${b64url({ sub: 'mallory', exp: now() + 300 })}.${signature}`;
    await expect(verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses alg none', async () => {
    const token = unsigned({ sub: 'alice', exp: now() + 300 });
    await expect(verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
    // Also with a signature of the right secret glued on.
    const signature = (await sign({})).split('.')[2];
    await expect(verify(`${token}${signature}`)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses HS512 and HS384 signed with the same secret', async () => {
    await expect(verify(await sign({}, secretBytes, { alg: 'HS512' }))).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
    await expect(verify(await sign({}, secretBytes, { alg: 'HS384' }))).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it('refuses a token without sub, or with a sub that is no usable user id (1–64 characters, no # or control characters)', async () => {
    expect((await verify(await sign({ sub: 'é'.repeat(64) }))).userId).toBe('é'.repeat(64));
    for (const sub of [undefined, '', 'a#b', 'x'.repeat(65), 'line\nbreak', ' padded ', '\ud800', 42]) {
      const token = await sign({ sub } as unknown as JWTPayload);
      await expect(verify(token), String(sub)).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });

  it('refuses a token without exp', async () => {
    await expect(verify(await sign({ exp: undefined }))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses garbage', async () => {
    for (const token of ['', 'abc', 'a.b.c', `${b64url({ alg: 'HS256' })}.e30.`]) {
      await expect(verify(token), token).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });

  it('ignores iss and aud when none is configured', async () => {
    expect((await verify(await sign({ iss: 'anyone', aud: 'anything' }))).userId).toBe('alice');
  });

  it('enforces the issuer and audience when configured', async () => {
    const strict = createVerifier(hsConfig({ issuer: 'chat-tests', audience: 'chat-app' }));
    expect((await strict(await sign({ iss: 'chat-tests', aud: 'chat-app' }))).userId).toBe('alice');
    expect((await strict(await sign({ iss: 'chat-tests', aud: ['other', 'chat-app'] }))).userId).toBe(
      'alice',
    );
    for (const claims of [
      { iss: 'someone-else', aud: 'chat-app' },
      { iss: 'chat-tests', aud: 'other-app' },
      { aud: 'chat-app' },
      { iss: 'chat-tests' },
    ]) {
      await expect(strict(await sign(claims)), JSON.stringify(claims)).rejects.toBeInstanceOf(
        InvalidTokenError,
      );
    }
  });
});

describe('JWKS mode (RS256, ES256)', () => {
  let server: Server;
  let jwksUrl: string;
  let fetches = 0;
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  let rsaJwk: JWK;
  const ISSUER = 'https://issuer.example';
  const AUDIENCE = 'chat-app';

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' };
    const body = JSON.stringify({ keys: [rsaJwk, ecJwk] });
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const env = (extra: Record<string, string> = {}) =>
    verifierConfigFromEnv({ JWT_JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, ...extra });
  const claims = { iss: ISSUER, aud: AUDIENCE, name: 'Alice' };

  it('reads the configuration with RS256 and ES256 as the default algorithms', () => {
    expect(env()).toEqual({
      mode: 'jwks',
      jwksUrl: new URL(jwksUrl),
      algorithms: ['RS256', 'ES256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      maxLifetimeSeconds: 24 * 3600,
    });
  });

  it('accepts RS256 and ES256 tokens signed by keys of the set', async () => {
    const verify = createVerifier(env());
    const before = fetches;
    const rs = await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' });
    const es = await sign({ ...claims, sub: 'bob', name: undefined, email: 'bob@x' }, ec.privateKey, {
      alg: 'ES256',
      kid: 'ec-1',
    });
    expect(await verify(rs)).toEqual({
      userId: 'alice',
      name: 'Alice',
      admin: false,
      exp: expect.any(Number),
    });
    expect(await verify(es)).toEqual({
      userId: 'bob',
      name: fallbackName('bob'),
      admin: false,
      exp: expect.any(Number),
    });
    expect(fetches).toBeGreaterThan(before);
  });

  it('refuses a token signed by a key outside the set', async () => {
    const verify = createVerifier(env());
    const stranger = await generateKeyPair('RS256');
    const token = await sign(claims, stranger.privateKey, { alg: 'RS256', kid: 'rsa-1' });
    await expect(verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses a wrong issuer, a wrong audience and expired tokens', async () => {
    const verify = createVerifier(env());
    for (const extra of [
      { iss: 'https://evil.example' },
      { aud: 'another-app' },
      { iss: undefined },
      { aud: undefined },
      { exp: now() - 120 },
    ]) {
      const token = await sign({ ...claims, ...extra }, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' });
      await expect(verify(token), JSON.stringify(extra)).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });

  it('refuses HS256 signed with the RSA public key as the HMAC secret (HS/RS confusion)', async () => {
    const verify = createVerifier(env());
    const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const jwkBytes = new TextEncoder().encode(JSON.stringify(rsaJwk));
    for (const secret of [pem, jwkBytes]) {
      for (const kid of ['rsa-1', undefined]) {
        const token = await sign(claims, secret, { alg: 'HS256', ...(kid ? { kid } : {}) });
        await expect(verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
      }
    }
  });

  it('refuses alg none and the HS256 dev tokens', async () => {
    const verify = createVerifier(env());
    await expect(verify(unsigned({ ...claims, sub: 'alice', exp: now() + 60 }))).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
    const devSigned = await sign(claims, new TextEncoder().encode(DEV_JWT_SECRET));
    await expect(verify(devSigned)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('accepts exactly the configured algorithms (JWT_ALGORITHMS)', async () => {
    const rsOnly = createVerifier(env({ JWT_ALGORITHMS: 'RS256' }));
    const rs = await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' });
    const es = await sign(claims, ec.privateKey, { alg: 'ES256', kid: 'ec-1' });
    expect((await rsOnly(rs)).userId).toBe('alice');
    await expect(rsOnly(es)).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('configuration', () => {
  it('uses HS256 with JWT_SECRET and passes JWT_ISSUER/JWT_AUDIENCE through', () => {
    expect(verifierConfigFromEnv({ JWT_SECRET: SECRET })).toEqual({
      mode: 'hs256',
      secret: secretBytes,
      issuer: undefined,
      audience: undefined,
      maxLifetimeSeconds: 24 * 3600,
    });
    expect(verifierConfigFromEnv({ JWT_SECRET: SECRET, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' })).toMatchObject({
      mode: 'hs256',
      issuer: 'i',
      audience: 'a',
    });
  });

  it('prefers a secret resolved from JWT_SECRET_ARN when given', () => {
    const cfg = verifierConfigFromEnv({}, SECRET);
    expect(cfg).toMatchObject({ mode: 'hs256', secret: secretBytes });
  });

  it('keeps the documented dev secret long enough for HS256', () => {
    expect(Buffer.byteLength(DEV_JWT_SECRET)).toBeGreaterThanOrEqual(32);
    expect(verifierConfigFromEnv({ JWT_SECRET: DEV_JWT_SECRET }).mode).toBe('hs256');
  });

  it.each([
    [{}, /JWT_SECRET/],
    [{ JWT_SECRET: 'short-secret' }, /at least 32 bytes/],
    [{ JWT_JWKS_URL: 'https://issuer.example/jwks' }, /JWT_ISSUER and JWT_AUDIENCE/],
    [{ JWT_JWKS_URL: 'https://issuer.example/jwks', JWT_ISSUER: 'i' }, /JWT_ISSUER and JWT_AUDIENCE/],
    [{ JWT_JWKS_URL: 'https://issuer.example/jwks', JWT_AUDIENCE: 'a' }, /JWT_ISSUER and JWT_AUDIENCE/],
    [
      {
        JWT_JWKS_URL: 'https://issuer.example/jwks',
        JWT_ISSUER: 'i',
        JWT_AUDIENCE: 'a',
        JWT_ALGORITHMS: 'RS256,HS256',
      },
      /asymmetric/,
    ],
    [
      {
        JWT_JWKS_URL: 'https://issuer.example/jwks',
        JWT_ISSUER: 'i',
        JWT_AUDIENCE: 'a',
        JWT_ALGORITHMS: 'none',
      },
      /asymmetric/,
    ],
    [{ JWT_JWKS_URL: 'not a url', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, /URL/i],
  ])('refuses the configuration %j', (env, message) => {
    expect(() => verifierConfigFromEnv(env)).toThrow(message);
  });
});

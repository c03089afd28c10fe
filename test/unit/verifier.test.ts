import type { JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  CLOCK_TOLERANCE_SECONDS,
  createVerifier,
  DEV_JWT_SECRET,
  fallbackName,
  InvalidTokenError,
  verifierConfigFromEnv,
} from '../../lambdas/auth/verifier.ts';
import { b64url, hsConfig, now, SECRET, secretBytes, sign, unsigned } from '../support/verifier-tokens.ts';

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

  it('refuses a token without sub, or with a sub that is no usable user id (1–64 characters, no #, control characters, U+FFFE or U+FFFF)', async () => {
    expect((await verify(await sign({ sub: 'é'.repeat(64) }))).userId).toBe('é'.repeat(64));
    for (const sub of [
      undefined,
      '',
      'a#b',
      'x'.repeat(65),
      'line\nbreak',
      ' padded ',
      '\ud800',
      'non\uFFFFchar',
      42,
    ]) {
      const token = await sign({ sub } as unknown as JWTPayload);
      await expect(verify(token), String(sub)).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });

  it('refuses a sub of more than 128 bytes of UTF-8, even within 64 characters', async () => {
    // 128 bytes at most: 64 two-byte characters (above), 32 emoji, 31 emoji and 4 ASCII letters.
    for (const sub of ['😀'.repeat(32), `${'😀'.repeat(31)}abcd`, 'x'.repeat(64)])
      expect((await verify(await sign({ sub }))).userId, sub).toBe(sub);
    // 33 emoji (132 bytes), 64 (256 bytes), 32 emoji and one letter (129 bytes): refused.
    for (const sub of ['😀'.repeat(33), '😀'.repeat(64), `${'😀'.repeat(32)}a`]) {
      expect([...sub].length).toBeLessThanOrEqual(64);
      await expect(verify(await sign({ sub })), sub).rejects.toBeInstanceOf(InvalidTokenError);
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

/** The JWT verifier (lambdas/auth/verifier.ts) in JWKS mode: real RS256/ES256 keys and a real JWKS endpoint. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVerifier,
  DEV_JWT_SECRET,
  fallbackName,
  InvalidTokenError,
  verifierConfigFromEnv,
} from '../../lambdas/auth/verifier.ts';
import { now, sign, unsigned } from '../support/verifier-tokens.ts';

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

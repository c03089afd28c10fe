/**
 * The `$connect` authorizer's outcomes and their signals: a bad token is 401 (`Unauthorized`) and a
 * `TokensRefused` count, never a fault; a JWKS outage is a 500, an ERROR line and a `KeySourceErrors`
 * count; a good token is an Allow policy. Real `jose` keys and a real JWKS server (which can fail).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSecrets } from '../../lambdas/auth/secret.ts';
import { createVerifier, KeySourceError } from '../../lambdas/auth/verifier.ts';
import { handler, resetVerifier } from '../../lambdas/handlers/authorizer.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'chat-app';
let keys: Awaited<ReturnType<typeof generateKeyPair>>;
/** What the JWKS server answers next: the key set, an HTTP 500, or broken JSON. */
let mode: 'ok' | 'error' | 'garbage' = 'ok';
let server: Server;
let jwksUrl: string;

beforeAll(async () => {
  keys = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((_req, res) => {
    if (mode === 'error') res.writeHead(500).end('upstream down');
    else if (mode === 'garbage') res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const sign = (claims: JWTPayload = {}) =>
  new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    name: 'Alice',
    exp: Math.floor(Date.now() / 1000) + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('alice')
    .setIssuedAt()
    .sign(keys.privateKey);

const event = (token?: string) => ({
  type: 'REQUEST' as const,
  methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/prod/$connect',
  queryStringParameters: token === undefined ? {} : { token },
  requestContext: { connectionId: 'conn-1', requestId: 'req-1' },
});
// biome-ignore lint/suspicious/noExplicitAny: a hand-built API Gateway event
const authorize = (token?: string) => handler(event(token) as any);

let metrics: MetricValues[] = [];
let stopListening: () => void;
let errorLines: string[] = [];
const saved = { ...process.env };
beforeEach(() => {
  mode = 'ok';
  metrics = [];
  errorLines = [];
  stopListening = onMetrics((m) => metrics.push(m));
  vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
    errorLines.push(String(line));
    return true;
  });
  Object.assign(process.env, {
    JWT_JWKS_URL: jwksUrl,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_ALGORITHMS: 'RS256',
  });
  resetVerifier();
});
afterEach(() => {
  stopListening();
  vi.restoreAllMocks();
  process.env = { ...saved };
  resetVerifier();
});
const total = (name: keyof MetricValues) => metrics.reduce((n, m) => n + (m[name] ?? 0), 0);

describe('authorizer outcomes', () => {
  it('allows a good token, with the user id and display name for the routes', async () => {
    const result = await authorize(await sign());
    expect(result.principalId).toBe('alice');
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event().methodArn },
    ]);
    expect(result.context).toEqual({ userId: 'alice', name: 'Alice', admin: false, exp: expect.any(Number) });
    expect(metrics).toEqual([]);
  });

  it('refuses a bad or missing token with Unauthorized (401) and counts it as refused, not as a fault', async () => {
    const expired = await sign({ exp: Math.floor(Date.now() / 1000) - 600 });
    const good = await sign();
    const at = good.length - 10;
    const tampered = `${good.slice(0, at)}${good[at] === 'A' ? 'B' : 'A'}${good.slice(at + 1)}`;
    for (const token of [undefined, 'garbage', expired, tampered]) {
      await expect(authorize(token)).rejects.toThrow(/^Unauthorized$/);
    }
    expect(total('TokensRefused')).toBe(4);
    expect(total('KeySourceErrors')).toBe(0);
    expect(errorLines.filter((l) => l.includes('"ERROR"'))).toEqual([]);
  });

  it.each(['error', 'garbage'] as const)(
    'answers a JWKS outage (%s) with a 500, an ERROR line and KeySourceErrors, never a refusal',
    async (failure) => {
      mode = failure;
      await expect(authorize(await sign())).rejects.toThrow(/issuer keys are unavailable/);
      expect(total('KeySourceErrors')).toBe(1);
      expect(total('TokensRefused')).toBe(0);
      const line = JSON.parse(errorLines.find((l) => l.includes('token issuer keys unavailable')) ?? '{}');
      expect(line).toMatchObject({ level: 'ERROR', connectionId: 'conn-1', apiRequestId: 'req-1' });
      expect(line.error.name).toBe('KeySourceError');
      // Once the issuer is back, the same token connects (the failure is not cached).
      mode = 'ok';
      expect((await authorize(await sign())).principalId).toBe('alice');
    },
  );

  it('reports an unreachable JWKS as a key source error', async () => {
    const verify = createVerifier({
      mode: 'jwks',
      jwksUrl: new URL('http://127.0.0.1:9/jwks.json'),
      algorithms: ['RS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    await expect(verify(await sign())).rejects.toBeInstanceOf(KeySourceError);
  });

  it('fails with a 500 and an ERROR line when it cannot be configured', async () => {
    delete process.env.JWT_JWKS_URL;
    delete process.env.JWT_SECRET;
    await expect(authorize(await sign())).rejects.toThrow(/JWT_SECRET/);
    expect(errorLines.some((l) => l.includes('cannot verify tokens'))).toBe(true);
    expect(total('TokensRefused')).toBe(0);
  });
});

describe('hs256 secret from Secrets Manager (JWT_SECRET_ARN)', () => {
  const secret = 'a-secret-from-secrets-manager-at-least-32-bytes';
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());

  it('reads the secret once per container by its ARN (current and previous versions) and verifies with it', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/jwt-AbCdEf';
    sm.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: secret });
    delete process.env.JWT_JWKS_URL;
    delete process.env.JWT_SECRET;
    process.env.JWT_SECRET_ARN = arn;
    delete process.env.JWT_ISSUER;
    delete process.env.JWT_AUDIENCE;
    const token = await new SignJWT({ name: 'Alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    expect((await authorize(token)).principalId).toBe('alice');
    expect((await authorize(token)).principalId).toBe('alice');
    // AWSCURRENT and AWSPREVIOUS at cold start, then nothing (rotation: authorizer-rotation.test.ts).
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refuses a secret without a string value', async () => {
    sm.on(GetSecretValueCommand).resolves({});
    await expect(loadSecrets('arn:aws:secretsmanager:eu-west-1:1:secret:x')).rejects.toThrow(
      /no string value/,
    );
  });
});

/**
 * Issue 17, item 6: the maximum token lifetime is configurable (`JWT_MAX_LIFETIME_SECONDS`, default
 * 24 h), and a forged `iat` cannot make a long-lived token look short.
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createVerifier,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  InvalidTokenError,
  tokenLifetimeSeconds,
  verifierConfigFromEnv,
} from '../../lambdas/auth/verifier.ts';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const now = () => Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>) =>
  new SignJWT({ sub: 'alice', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));

describe('the maximum token lifetime', () => {
  it('is 24 h by default and configurable', async () => {
    expect(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS).toBe(86_400);
    const hour = createVerifier(
      verifierConfigFromEnv({ JWT_SECRET: SECRET, JWT_MAX_LIFETIME_SECONDS: '3600' }),
    );
    await expect(hour(await sign({ iat: now(), exp: now() + 3600 }))).resolves.toMatchObject({
      userId: 'alice',
    });
    await expect(hour(await sign({ iat: now(), exp: now() + 3700 }))).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
    const byDefault = createVerifier(verifierConfigFromEnv({ JWT_SECRET: SECRET }));
    await expect(byDefault(await sign({ iat: now(), exp: now() + 20 * 3600 }))).resolves.toMatchObject({
      userId: 'alice',
    });
    await expect(byDefault(await sign({ iat: now(), exp: now() + 25 * 3600 }))).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it('refuses a configuration that is not a positive whole number of seconds', () => {
    for (const bad of ['0', '-5', '1.5', 'a day']) {
      expect(() => verifierConfigFromEnv({ JWT_SECRET: SECRET, JWT_MAX_LIFETIME_SECONDS: bad })).toThrow(
        /JWT_MAX_LIFETIME_SECONDS/,
      );
    }
  });

  it('counts from now when iat is missing or in the future', () => {
    const t = 1_000_000;
    expect(tokenLifetimeSeconds({ iat: t - 10, exp: t + 50 }, t)).toBe(60);
    expect(tokenLifetimeSeconds({ exp: t + 50 }, t)).toBe(50);
    expect(tokenLifetimeSeconds({ iat: t + 1_000_000, exp: t + 1_000_001 }, t)).toBe(1_000_001);
  });
});

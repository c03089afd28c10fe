/**
 * Issue 17, item 6: the maximum token lifetime is configurable (`JWT_MAX_LIFETIME_SECONDS`, default
 * 24 h), and neither a forged `iat` nor a missing one lets a long-lived token through.
 */
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CLOCK_TOLERANCE_SECONDS,
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

  it('counts from iat, or from now when iat lies (within the tolerance) after now', () => {
    const t = 1_000_000;
    expect(tokenLifetimeSeconds({ iat: t - 10, exp: t + 50 }, t)).toBe(60);
    expect(tokenLifetimeSeconds({ iat: t + 3, exp: t + 50 }, t)).toBe(50);
  });
});

describe('iat is required and never in the future', () => {
  const verify = createVerifier(verifierConfigFromEnv({ JWT_SECRET: SECRET }));
  const day = 86_400;
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses a 365-day token without iat, also in its last day (counted from now, it looked short)', async () => {
    const t0 = now();
    const noIat = await sign({ exp: t0 + 365 * day });
    await expect(verify(noIat)).rejects.toThrow(/missing required "iat" claim/);
    vi.useFakeTimers({ now: (t0 + 364 * day + 3600) * 1000 });
    await expect(verify(noIat)).rejects.toBeInstanceOf(InvalidTokenError);
    // The same token with its iat is refused on that day too (the control case).
    const withIat = await sign({ iat: t0, exp: t0 + 365 * day });
    await expect(verify(withIat)).rejects.toThrow(/more than the maximum/);
  });

  it('refuses an iat later than now beyond the clock tolerance, accepts one within it', async () => {
    const t = now();
    const future = await sign({ iat: t + CLOCK_TOLERANCE_SECONDS + 60, exp: t + 3600 });
    await expect(verify(future)).rejects.toThrow(/issued in the future/);
    // A forged iat just before exp cannot make a 100-year token look short either.
    const forged = await sign({ iat: t + 100 * 365 * day - 10, exp: t + 100 * 365 * day });
    await expect(verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    const skewed = await sign({ iat: t + 2, exp: t + 3600 });
    await expect(verify(skewed)).resolves.toMatchObject({ userId: 'alice' });
  });

  it('refuses an iat that is not a number', async () => {
    const t = now();
    await expect(verify(await sign({ iat: String(t), exp: t + 60 }))).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });
});

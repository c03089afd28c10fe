/**
 * The tokens the local stack hands out itself (the ready line's, the demo users', the dev page's
 * `/_local/dev-token`) live 24 h, or `JWT_MAX_LIFETIME_SECONDS` when that is shorter: with
 * `JWT_MAX_LIFETIME_SECONDS=3600 npm run dev` the local authorizer, which reads the same variable,
 * accepts them (24-hour tokens it refused). The ready line's token: test/e2e/dev.test.ts. The demo
 * `admin` user's token carries the `admin` role from the page as from the ready output.
 */
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createVerifier,
  DEV_JWT_SECRET,
  MAX_LIFETIME_ENV,
  verifierConfigFromEnv,
} from '../../lambdas/auth/verifier.ts';
import { LocalGateway } from '../../local/gateway.ts';
import { DEMO_USERS } from '../../local/seed.ts';
import { DEV_SESSION_TTL_SECONDS, devSessionTtlSeconds } from '../../local/token.ts';
import { webRoutes } from '../../local/web.ts';

let gateway: LocalGateway;
const saved = process.env[MAX_LIFETIME_ENV];

beforeAll(async () => {
  gateway = new LocalGateway({
    routes: [],
    port: 0,
    httpRoutes: [webRoutes({ assets: new Map(), users: DEMO_USERS })],
  });
  await gateway.start();
});
afterAll(async () => {
  await gateway?.stop();
});
afterEach(() => {
  if (saved === undefined) delete process.env[MAX_LIFETIME_ENV];
  else process.env[MAX_LIFETIME_ENV] = saved;
});

/** A demo user's token from the dev page's endpoint. */
async function pageToken(userId: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${gateway.port}/_local/dev-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

const lifetimeOf = (token: string) => {
  const { exp = 0, iat = 0 } = decodeJwt(token);
  return exp - iat;
};

describe('the local stack’s own tokens', () => {
  it('live 24 h by default, or JWT_MAX_LIFETIME_SECONDS when shorter', () => {
    expect(DEV_SESSION_TTL_SECONDS).toBe(24 * 3600);
    expect(devSessionTtlSeconds({})).toBe(24 * 3600);
    expect(devSessionTtlSeconds({ [MAX_LIFETIME_ENV]: '3600' })).toBe(3600);
    expect(devSessionTtlSeconds({ [MAX_LIFETIME_ENV]: String(7 * 24 * 3600) })).toBe(24 * 3600);
    expect(() => devSessionTtlSeconds({ [MAX_LIFETIME_ENV]: 'an hour' })).toThrow(/JWT_MAX_LIFETIME_SECONDS/);
  });

  it('the dev page’s token is one the local authorizer accepts under JWT_MAX_LIFETIME_SECONDS=3600', async () => {
    process.env[MAX_LIFETIME_ENV] = '3600';
    const env = { JWT_SECRET: DEV_JWT_SECRET, [MAX_LIFETIME_ENV]: '3600' };
    const verify = createVerifier(verifierConfigFromEnv(env));
    const token = await pageToken('alice');
    expect(lifetimeOf(token)).toBe(3600);
    await expect(verify(token)).resolves.toMatchObject({ userId: 'alice', name: 'Alice' });
  });

  it('the dev page’s `admin` is an administrator (roles: admin), as the ready output’s; the others are not', async () => {
    expect(decodeJwt(await pageToken('admin')).roles).toEqual(['admin']);
    expect(decodeJwt(await pageToken('alice')).roles).toBeUndefined();
    // The picker's list is names only.
    const list = await fetch(`http://127.0.0.1:${gateway.port}/_local/dev-users`);
    expect(((await list.json()) as { users: unknown[] }).users[0]).toEqual({
      userId: 'admin',
      name: 'Admin',
    });
  });

  it('the dev page’s token lives 24 h without that variable', async () => {
    delete process.env[MAX_LIFETIME_ENV];
    expect(lifetimeOf(await pageToken('bob'))).toBe(24 * 3600);
  });
});

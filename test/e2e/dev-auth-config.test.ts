/**
 * An auth configuration the authorizer cannot work with (a JWT_SECRET under 32 bytes, JWT_JWKS_URL
 * without JWT_ISSUER/JWT_AUDIENCE, …) is refused before anything starts, naming the variable: by
 * `startLocalStack` (so `npm run dev` exits with code 1 instead of printing Ready and answering every
 * handshake with HTTP 500) and by `npm run token` (instead of silently signing with it). The rules
 * are the verifier's own (lambdas/auth/verifier.ts).
 */
import { spawnSync } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { jwtVerify } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lambdas/auth/verifier.ts';
import { localAuthProblem } from '../../local/auth-config.ts';
import { ROOT, startLocalStack } from '../../local/stack.ts';
import { cleanEnv } from '../support/dev-process.ts';

const OWN_SECRET = 'a-secret-of-this-developer-0123456789abcdef';
const JWKS = 'https://idp.example/.well-known/jwks.json';

/** Each refused configuration and the variable its sentence must name. */
const REFUSED: readonly (readonly [Record<string, string>, RegExp])[] = [
  [{ JWT_SECRET: 'short' }, /JWT_SECRET must be at least 32 bytes/],
  [{ JWT_SECRET: '' }, /Set JWT_SECRET/],
  [{ JWT_JWKS_URL: JWKS }, /JWT_JWKS_URL requires JWT_ISSUER and JWT_AUDIENCE/],
  [
    { JWT_JWKS_URL: JWKS, JWT_ISSUER: 'https://idp.example/' },
    /JWT_JWKS_URL requires JWT_ISSUER and JWT_AUDIENCE/,
  ],
  [{ JWT_JWKS_URL: 'idp.example/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, /JWT_JWKS_URL .*not a URL/],
  [
    { JWT_JWKS_URL: JWKS, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'HS256' },
    /JWT_ALGORITHMS.*asymmetric/,
  ],
  [{ JWT_JWKS_URL: JWKS, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: ' , ' }, /JWT_ALGORITHMS/],
  [{ JWT_MAX_LIFETIME_SECONDS: 'a day' }, /JWT_MAX_LIFETIME_SECONDS must be a positive whole number/],
];

describe('the local auth configuration', () => {
  it('is accepted as documented: the dev default, a secret of your own, JWKS with issuer and audience', () => {
    expect(localAuthProblem({})).toBeUndefined();
    expect(localAuthProblem({ JWT_SECRET: DEV_JWT_SECRET })).toBeUndefined();
    expect(localAuthProblem({ JWT_SECRET: OWN_SECRET, JWT_MAX_LIFETIME_SECONDS: '3600' })).toBeUndefined();
    expect(localAuthProblem({ JWT_JWKS_URL: JWKS, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' })).toBeUndefined();
  });

  it.each(REFUSED)('%j is refused with a sentence naming the variable', (env, names) => {
    expect(localAuthProblem(env)).toMatch(names);
  });

  it('stops startLocalStack before anything starts, for each refused configuration', async () => {
    const endpoint = inject('dynamoEndpoint');
    const tableNames: string[] = [];
    for (const [env, names] of REFUSED) {
      const tableName = `auth-refused-${tableNames.length}-${Date.now()}`;
      tableNames.push(tableName);
      const outcome = await startLocalStack({ port: 0, dynamoEndpoint: endpoint, tableName, env }).then(
        async (stack) => {
          await stack.stop();
          return 'started';
        },
        (error: Error) => error.message,
      );
      expect(outcome, JSON.stringify(env)).toMatch(names);
      expect(outcome).toMatch(/every handshake/);
    }
    // Refused up front: not even a table was created.
    const client = new DynamoDBClient({ endpoint });
    const tables = await client.send(new ListTablesCommand({}));
    client.destroy();
    for (const tableName of tableNames) expect(tables.TableNames).not.toContain(tableName);
  }, 60_000);
});

/** local/token.ts run directly (as `npm run -s token -- …` runs it), in a fresh shell's environment. */
const tokenScript = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'local/token.ts', 'alice'], {
    cwd: ROOT,
    env: cleanEnv(env),
    encoding: 'utf8',
  });

describe('npm run token under a bad auth configuration', () => {
  it('refuses with exit code 1, nothing on stdout and a sentence naming the variable', () => {
    for (const [env, names] of [
      [{ JWT_SECRET: 'short' }, /JWT_SECRET must be at least 32 bytes/],
      [{ JWT_JWKS_URL: JWKS }, /JWT_JWKS_URL requires JWT_ISSUER and JWT_AUDIENCE/],
    ] as const) {
      const res = tokenScript(env);
      expect(res.status, JSON.stringify(env)).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(names);
      expect(res.stderr).not.toMatch(/^\s+at /m); // a sentence, not a stack trace
    }
  }, 60_000);

  it('signs with a secret of your own, and warns that a JWKS stack will refuse its HS256 token', async () => {
    const own = tokenScript({ JWT_SECRET: OWN_SECRET });
    expect(own.status).toBe(0);
    expect(own.stderr).toBe('');
    const { payload } = await jwtVerify(own.stdout.trimEnd(), new TextEncoder().encode(OWN_SECRET));
    expect(payload.sub).toBe('alice');
    const jwks = tokenScript({ JWT_JWKS_URL: JWKS, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' });
    expect(jwks.status).toBe(0);
    expect(jwks.stderr).toMatch(/warning: JWT_JWKS_URL is set.*401/s);
  }, 60_000);
});

/**
 * Rotating the HS256 secret (`JWT_SECRET_ARN`) without a restart: the authorizer reads the secret's
 * AWSCURRENT and AWSPREVIOUS versions, accepts tokens signed with either (the grace), and on a token
 * whose signature neither verifies, or that only the previous one verifies, reads both again: at most
 * once a minute per container, never on a token the cached current secret verifies; and sooner (at most
 * once every 5 s) for a token neither verifies that says it was issued after the container's last read
 * (a secret put seconds ago). Secrets Manager is mocked (aws-sdk-client-mock); the tokens are real
 * `jose` tokens.
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler, resetVerifier } from '../../lambdas/handlers/authorizer.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/jwt-AbCdEf';
const K0 = 'k0-the-secret-before-the-last-one-0123456789';
const K1 = 'k1-the-secret-the-container-started-with-0123';
const K2 = 'k2-the-secret-put-by-the-rotation-0123456789ab';
const K3 = 'k3-the-secret-of-a-second-rotation-0123456789';

const sm = mockClient(SecretsManagerClient);

/** What Secrets Manager holds: AWSCURRENT (the default stage) and AWSPREVIOUS, if any; or an outage. */
let held: { current: string; previous?: string | undefined } | 'down' = 'down';
const holds = (current: string, previous?: string) => {
  held = { current, previous };
};
const notFound = () =>
  new ResourceNotFoundException({
    message: "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
    $metadata: {},
  });
/** A put-secret-value landing while the read of `stage` is in flight: any read sent beside it is answered first. */
let putWhileReading: { stage: string; current: string; previous: string } | undefined;
sm.on(GetSecretValueCommand).callsFake(async ({ VersionStage }) => {
  const put = putWhileReading;
  if (put && put.stage === (VersionStage ?? 'AWSCURRENT')) {
    putWhileReading = undefined;
    await new Promise((resolve) => setImmediate(resolve));
    holds(put.current, put.previous);
  }
  if (held === 'down') throw new Error('socket hang up');
  const value = VersionStage === 'AWSPREVIOUS' ? held.previous : held.current;
  if (value === undefined) throw notFound();
  return { SecretString: value, VersionStages: [VersionStage ?? 'AWSCURRENT'] };
});
const reads = () => sm.commandCalls(GetSecretValueCommand).length;

const sign = (secret: string, sub = 'alice') =>
  new SignJWT({ name: 'Alice' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));

const authorize = (token: string) =>
  handler({
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/prod/$connect',
    queryStringParameters: { token },
    requestContext: { connectionId: 'conn-1', requestId: 'req-1' },
  } as unknown as Parameters<typeof handler>[0]);
const accepted = async (token: string) => (await authorize(token)).principalId;
const refused = (token: string) => expect(authorize(token)).rejects.toThrow(/^Unauthorized$/);

let metrics: MetricValues[] = [];
let stopListening: () => void;
const saved = { ...process.env };
const minutes = (n: number) => vi.advanceTimersByTime(n * 60_000);
const seconds = (n: number) => vi.advanceTimersByTime(n * 1000);
beforeEach(() => {
  // Only the clock is fake: the throttle counts Date.now(); promises and sockets run as usual.
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-05T02:00:00Z') });
  metrics = [];
  stopListening = onMetrics((m) => metrics.push(m));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  for (const name of ['JWT_JWKS_URL', 'JWT_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE']) delete process.env[name];
  process.env.JWT_SECRET_ARN = ARN;
  resetVerifier();
});
afterEach(() => {
  stopListening();
  vi.useRealTimers();
  vi.restoreAllMocks();
  process.env = { ...saved };
  resetVerifier();
  sm.resetHistory();
  putWhileReading = undefined;
});
const total = (name: keyof MetricValues) => metrics.reduce((n, m) => n + (m[name] ?? 0), 0);

describe('rotating the HS256 secret', () => {
  it('reads both stages at cold start, then nothing for tokens the current secret verifies', async () => {
    holds(K1, K0);
    expect(await accepted(await sign(K1))).toBe('alice');
    const stages = sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input);
    expect(stages).toEqual([
      { SecretId: ARN, VersionStage: 'AWSCURRENT' },
      { SecretId: ARN, VersionStage: 'AWSPREVIOUS' },
    ]);
    for (let i = 0; i < 5; i++) {
      minutes(2);
      expect(await accepted(await sign(K1, `user-${i}`))).toBe(`user-${i}`);
    }
    expect(reads()).toBe(2);
  });

  it('accepts a token signed with the new secret after a rotation, without a restart', async () => {
    holds(K1);
    expect(await accepted(await sign(K1))).toBe('alice');
    minutes(5);
    holds(K2, K1); // aws secretsmanager put-secret-value: K2 becomes AWSCURRENT, K1 AWSPREVIOUS
    expect(await accepted(await sign(K2, 'bob'))).toBe('bob');
    expect(reads()).toBe(4); // cold start and one re-read, each of both stages
    expect(await accepted(await sign(K2, 'carol'))).toBe('carol');
    expect(reads()).toBe(4);
    expect(total('TokensRefused')).toBe(0);
  });

  it('keeps accepting tokens signed with the previous secret (the grace), in old and new containers', async () => {
    holds(K1);
    await accepted(await sign(K1));
    minutes(5);
    holds(K2, K1);
    await accepted(await sign(K2, 'bob')); // this container now knows K2 and K1
    expect(await accepted(await sign(K1, 'alice'))).toBe('alice');
    resetVerifier(); // a container started after the rotation
    expect(await accepted(await sign(K1, 'alice'))).toBe('alice');
    expect(await accepted(await sign(K2, 'bob'))).toBe('bob');
    expect(total('TokensRefused')).toBe(0);
  });

  it('ends the grace within a minute once AWSPREVIOUS is removed or the secret is rotated again', async () => {
    holds(K2, K1);
    const old = await sign(K1);
    expect(await accepted(old)).toBe('alice');
    holds(K2); // update-secret-version-stage --remove-from-version-id: no AWSPREVIOUS any more
    expect(await accepted(old)).toBe('alice'); // what was read less than a minute ago still stands
    minutes(1);
    await refused(old);
    expect(await accepted(await sign(K2))).toBe('alice');

    resetVerifier();
    holds(K2, K1);
    expect(await accepted(old)).toBe('alice');
    minutes(1);
    holds(K3, K2); // rotated again: K1 is neither current nor previous
    await refused(old);
    expect(await accepted(await sign(K2, 'bob'))).toBe('bob');
  });

  it('reads again for a token issued after its last read: a second rotation 30 s later is picked up at once', async () => {
    holds(K1);
    await accepted(await sign(K1));
    minutes(5);
    holds(K2, K1);
    await accepted(await sign(K2));
    expect(reads()).toBe(4);
    holds(K3, K2);
    seconds(30);
    expect(await accepted(await sign(K3, 'dave'))).toBe('dave'); // issued 30 s after the last read
    expect(reads()).toBe(6);
    expect(total('TokensRefused')).toBe(0);
  });

  it('does not turn a flood of wrongly signed tokens into a flood of reads', async () => {
    holds(K1);
    await accepted(await sign(K1));
    minutes(5);
    const forged = await Promise.all(
      Array.from({ length: 50 }, (_, i) => sign(`forged-${i}-${'x'.repeat(40)}`)),
    );
    for (const token of forged) await refused(token);
    expect(reads()).toBe(4); // cold start and one re-read, each of both stages
    minutes(0.9);
    for (const token of forged) await refused(token);
    expect(reads()).toBe(4);
    minutes(0.2);
    for (const token of forged) await refused(token);
    expect(reads()).toBe(6);
    // Refusals other than a signature never make it read: not a JWT, `alg: none`, an expired token.
    minutes(2);
    await refused('garbage');
    await refused(`${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuedAt('10m ago')
      .setExpirationTime('5m ago')
      .sign(new TextEncoder().encode(K1));
    await refused(expired);
    expect(reads()).toBe(6);
    expect(total('TokensRefused')).toBe(153);
  });

  it('answers a failed re-read with a 500 and KeySourceErrors (the token may be good), not a refusal', async () => {
    holds(K1);
    await accepted(await sign(K1));
    minutes(5);
    held = 'down';
    await expect(authorize(await sign(K2))).rejects.toThrow(/issuer keys are unavailable/);
    expect(total('KeySourceErrors')).toBe(1);
    expect(await accepted(await sign(K1))).toBe('alice'); // the cached secret still serves
    minutes(1);
    holds(K2, K1);
    expect(await accepted(await sign(K2, 'bob'))).toBe('bob');
  });

  it('a container that read the secret seconds before put-secret-value accepts new-value tokens at once', async () => {
    holds(K1);
    expect(await accepted(await sign(K1))).toBe('alice'); // cold start: reads both stages
    seconds(10);
    holds(K2, K1); // put-secret-value, and the issuer signs with the new value straight away
    // The Node SDK gives up after a second 401 in a row (client/src/connection.ts): the first
    // handshake must pass, not the one a minute later.
    expect(await accepted(await sign(K2, 'bob'))).toBe('bob');
    expect(reads()).toBe(4);
    expect(await accepted(await sign(K2, 'carol'))).toBe('carol');
    expect(reads()).toBe(4);

    resetVerifier(); // a container that cold-started 2 s before the put: its 5 s are not up yet
    holds(K2, K1);
    await accepted(await sign(K2));
    seconds(2);
    holds(K3, K2);
    expect(await accepted(await sign(K3, 'dave'))).toBe('dave');
    expect(reads()).toBe(8);
    expect(total('TokensRefused')).toBe(0);
  });

  it('reads at most once every 5 s for forged tokens that claim to be issued after the last read', async () => {
    holds(K1);
    await accepted(await sign(K1));
    expect(reads()).toBe(2);
    // `iat` is not verified before the read: an attacker sets it to now, ten tokens a second.
    for (let s = 0; s < 60; s++) {
      seconds(1);
      const forged = await sign(`forged-${s}-${'x'.repeat(40)}`);
      for (let i = 0; i < 10; i++) await refused(forged);
    }
    // One read every 5 s (at 1, 6, …, 56 s), two calls each: 24 calls a minute, not 1,200.
    expect(reads()).toBe(2 + 24);
    expect(total('TokensRefused')).toBe(600);
  });

  it('does not read early for a token the previous secret verifies (the issuer not switched yet)', async () => {
    holds(K2, K1);
    await accepted(await sign(K2));
    seconds(10);
    // Issued after the read, signed with the previous value: good, so no reason to read sooner.
    for (let i = 0; i < 5; i++) expect(await accepted(await sign(K1, `user-${i}`))).toBe(`user-${i}`);
    expect(reads()).toBe(2);
  });
});

describe('a put-secret-value during a cold start', () => {
  for (const stage of ['AWSCURRENT', 'AWSPREVIOUS'] as const) {
    it(`while its ${stage} read is in flight: the value the issuer still signs with is accepted at once`, async () => {
      // The issuer goes on signing with K1 for a minute after the put (docs/deploy.md). Read side by
      // side, AWSPREVIOUS could be answered before the put (K0) and AWSCURRENT after it (K2): K1
      // refused for a minute, and a client refused twice gives up (client/src/connection.ts).
      const issued = await sign(K1);
      seconds(2);
      holds(K1, K0);
      putWhileReading = { stage, current: K2, previous: K1 };
      expect(await accepted(issued)).toBe('alice');
      expect(putWhileReading).toBeUndefined(); // the put did land during the cold start's reads
      expect(reads()).toBe(2);
      minutes(1); // the issuer now signs with K2
      expect(await accepted(await sign(K2, 'bob'))).toBe('bob');
      expect(await accepted(issued)).toBe('alice');
      expect(total('TokensRefused')).toBe(0);
    });
  }
});

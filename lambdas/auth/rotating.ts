/**
 * The HS256 secret of Secrets Manager (`JWT_SECRET_ARN`, read by secret.ts), rotated without a restart
 * (`aws secretsmanager put-secret-value` changes nothing in the template: a deploy restarts nothing):
 * - at cold start both versions are read, AWSCURRENT then AWSPREVIOUS (absent before the first
 *   rotation; one after the other: secret.ts), and a token signed with either is accepted: after a
 *   rotation, clients holding tokens signed with the previous secret stay connected until the tokens
 *   expire or the next rotation;
 * - a token that the cached current secret verifies costs no call (the normal path);
 * - a token whose signature neither cached secret verifies, or that only the previous one verifies,
 *   makes the container read both versions again, at most once every `REREAD_MS` (60 s): it picks up
 *   a new secret, or the end of the grace, within a minute of seeing it used;
 * - sooner for a token neither verifies whose (unverified) `iat` is later than the last read: it may
 *   be signed with a secret put since, and a client refused twice gives up (client/src/connection.ts).
 *   As `iat` is the caller's to choose, no read follows another within `FRESH_REREAD_MS` (5 s; the
 *   cold start's aside): forged tokens cost a container at most 12 reads a minute (24 GetSecretValue
 *   calls, one per version), one a minute if their `iat` is older than the last read;
 * - a failed re-read is a `KeySourceError` (500: the token may be good); the cached secrets still serve.
 *
 * docs/deploy.md "Rotating the secret" is the operator's side of this. Kept apart from secret.ts, which
 * is loaded on first use: importing the verifier from there would make the bundler wrap jose and the
 * verifier for lazy loading (1 KB more).
 */
import type { SecretValues } from './secret.ts';
import { BadSignatureError, KeySourceError, type VerifiedUser } from './verifier.ts';

/** How long a container trusts what it read before it may read again (at most one read per period). */
export const REREAD_MS = 60_000;
/** The least time between two reads made for tokens issued after the last read (see above). */
export const FRESH_REREAD_MS = 5_000;

/** The token's `iat` in ms, unverified (0 if it has none): only ever compared with the last read. */
function issuedAt(token: string): number {
  try {
    const { iat } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    return typeof iat === 'number' ? iat * 1000 : 0;
  } catch {
    return 0;
  }
}

type Verify = (token: string) => Promise<VerifiedUser>;

/**
 * A verifier over the secret's current and previous values, `read` again as described above; `build`
 * makes the verifier of one secret (its refusals of a signature are `BadSignatureError`).
 */
export async function rotatingVerifier(
  read: () => Promise<SecretValues>,
  build: (secret: string) => Verify,
  now: () => number = Date.now,
): Promise<Verify> {
  const keysOf = (values: SecretValues) => ({
    values,
    verifiers: [values.current, values.previous].flatMap((s) => (s === undefined ? [] : [build(s)])),
  });
  let readAt = now();
  let rereadAt = -Infinity; // the last read but the cold start's
  let keys = keysOf(await read());
  return async function verify(token: string): Promise<VerifiedUser> {
    const seen = keys;
    let user: VerifiedUser | undefined;
    let refusal: unknown;
    for (const [i, verifyWith] of seen.verifiers.entries()) {
      try {
        user = await verifyWith(token);
        if (i === 0) return user; // the current secret: the normal path, no call
        break;
      } catch (error) {
        if (!(error instanceof BadSignatureError)) throw error;
        refusal ??= error;
      }
    }
    const at = now();
    if (at - readAt >= REREAD_MS || (!user && at - rereadAt >= FRESH_REREAD_MS && issuedAt(token) > readAt)) {
      readAt = rereadAt = at;
      const values = await read().catch((cause: unknown) => {
        throw new KeySourceError('the JWT secret cannot be read again', { cause });
      });
      if (values.current !== seen.values.current || values.previous !== seen.values.previous) {
        keys = keysOf(values);
        return verify(token); // with what was just read (no second read: both are now)
      }
    }
    if (user) return user;
    throw refusal;
  };
}

/**
 * JWT verification with `jose`, configured from the environment:
 *
 * - HS256 with a shared secret: `JWT_SECRET` (or `JWT_SECRET_ARN`, resolved by `loadSecret`).
 * - JWKS: `JWT_JWKS_URL` with `JWT_ISSUER` and `JWT_AUDIENCE` required; algorithms from
 *   `JWT_ALGORITHMS` (default `RS256,ES256`).
 *
 * The algorithm allow-list is exactly the configured algorithms, so `none`, another HMAC strength and
 * HS/RS confusion are refused. `JWT_ISSUER`/`JWT_AUDIENCE` are checked whenever they are set.
 */
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { LIMITS } from '../contract/limits.ts';

export const CLOCK_TOLERANCE_SECONDS = 5;
/** The documented development secret of the local stack. Never use it on AWS. */
export const DEV_JWT_SECRET = 'local-dev-secret-change-me-0123456789abcdef';

export interface VerifiedUser {
  readonly userId: string;
  readonly name: string;
}

export type VerifierConfig =
  | {
      readonly mode: 'hs256';
      readonly secret: Uint8Array;
      readonly issuer?: string | undefined;
      readonly audience?: string | undefined;
    }
  | {
      readonly mode: 'jwks';
      readonly jwksUrl: URL;
      readonly algorithms: readonly string[];
      readonly issuer: string;
      readonly audience: string;
    };

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** Reads the verifier configuration; `secret` resolves `JWT_SECRET_ARN` where that is used. */
export function verifierConfigFromEnv(env: NodeJS.ProcessEnv, secret?: string): VerifierConfig {
  const issuer = env.JWT_ISSUER || undefined;
  const audience = env.JWT_AUDIENCE || undefined;
  if (env.JWT_JWKS_URL) {
    if (!issuer || !audience) throw new Error('JWT_JWKS_URL requires JWT_ISSUER and JWT_AUDIENCE');
    const algorithms = (env.JWT_ALGORITHMS ?? 'RS256,ES256')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    if (algorithms.some((a) => a.startsWith('HS') || a === 'none')) {
      throw new Error('JWKS verification accepts asymmetric algorithms only');
    }
    return { mode: 'jwks', jwksUrl: new URL(env.JWT_JWKS_URL), algorithms, issuer, audience };
  }
  const value = secret ?? env.JWT_SECRET;
  if (!value) throw new Error('Set JWT_SECRET (HS256) or JWT_JWKS_URL with JWT_ISSUER and JWT_AUDIENCE');
  if (Buffer.byteLength(value) < 32) throw new Error('JWT_SECRET must be at least 32 bytes for HS256');
  return { mode: 'hs256', secret: new TextEncoder().encode(value), issuer, audience };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: user ids must not carry control characters
const BAD_SUBJECT = /[\u0000-\u001f\u007f#]/;

/** A subject usable as a user id: the same rule as every user id the actions accept (1–64 characters). */
function usableSubject(sub: unknown): sub is string {
  if (typeof sub !== 'string' || !sub.isWellFormed()) return false;
  const length = [...sub].length;
  return length >= 1 && length <= LIMITS.idMaxChars && sub.trim() === sub && !BAD_SUBJECT.test(sub);
}

export function createVerifier(cfg: VerifierConfig): (token: string) => Promise<VerifiedUser> {
  const key: Uint8Array | JWTVerifyGetKey =
    cfg.mode === 'hs256' ? cfg.secret : createRemoteJWKSet(cfg.jwksUrl);
  const algorithms = cfg.mode === 'hs256' ? ['HS256'] : [...cfg.algorithms];
  const options = {
    algorithms,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    ...(cfg.issuer ? { issuer: cfg.issuer } : {}),
    ...(cfg.audience ? { audience: cfg.audience } : {}),
    requiredClaims: ['sub', 'exp'],
  };
  return async function verify(token: string): Promise<VerifiedUser> {
    let payload: JWTPayload;
    try {
      // jose overloads differ for a key and a key getter; both are valid here.
      payload =
        typeof key === 'function'
          ? (await jwtVerify(token, key, options)).payload
          : (await jwtVerify(token, key, options)).payload;
    } catch (error) {
      throw new InvalidTokenError((error as Error).message);
    }
    const sub = payload.sub;
    if (!usableSubject(sub)) throw new InvalidTokenError('the token subject is not a usable user id');
    const name = [payload.name, payload.preferred_username, payload.email].find(
      (v): v is string => typeof v === 'string' && v.trim().length > 0,
    );
    return { userId: sub, name: (name ?? sub).slice(0, 128) };
  };
}

/**
 * JWT verification with `jose`, configured from the environment:
 *
 * - HS256 with a shared secret: `JWT_SECRET` (or `JWT_SECRET_ARN`, read and re-read after a rotation by
 *   lambdas/auth/secret.ts).
 * - JWKS: `JWT_JWKS_URL` with `JWT_ISSUER` and `JWT_AUDIENCE` required; algorithms from
 *   `JWT_ALGORITHMS` (default `RS256,ES256`).
 *
 * The algorithm allow-list is exactly the configured algorithms, so `none`, another HMAC strength and
 * HS/RS confusion are refused. `JWT_ISSUER`/`JWT_AUDIENCE` are checked whenever they are set.
 *
 * Two ways to fail, kept apart because they mean different things: `InvalidTokenError` (the caller's
 * token is bad: expired, wrongly signed, …) and `KeySourceError` (the issuer's JWKS could not be fetched
 * or read: an outage on our side of the handshake, not the caller's fault).
 *
 * The display name is the token's `name`, else its `preferred_username`, never an e-mail address (a value
 * that looks like one is skipped), else a neutral name derived from the user id (`User 1a2b`).
 */
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { LIMITS } from '../contract/limits.ts';
import { cleanName, fallbackName } from '../shared/clean-name.ts';

export const CLOCK_TOLERANCE_SECONDS = 5;
/**
 * The longest lifetime (`exp` − `iat`) a token may have: 24 h unless `JWT_MAX_LIFETIME_SECONDS` says
 * otherwise. Longer-lived tokens are refused at the handshake, and so are tokens without `iat` (the
 * lifetime could not be told: Cognito and OIDC issuers always set it) or with an `iat` later than now
 * (beyond the clock tolerance).
 */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;
export const MAX_LIFETIME_ENV = 'JWT_MAX_LIFETIME_SECONDS';
/** The documented development secret of the local stack. Never use it on AWS. */
export const DEV_JWT_SECRET = 'local-dev-secret-change-me-0123456789abcdef';

export interface VerifiedUser {
  readonly userId: string;
  readonly name: string;
  /** The token's roles claim holds the administrator role (`admin`). */
  readonly admin: boolean;
  /** The token's `exp` (seconds since the epoch): the pipeline refuses every action after it. */
  readonly exp: number;
}

/**
 * Where administrators are named (issue 14): a claim holding a list of roles (or one role, or a
 * space- or comma-separated string). `ROLES_CLAIM` names the claims to read (comma-separated); by
 * default `roles` and Cognito's `cognito:groups`. The role is `admin`.
 */
export const DEFAULT_ROLES_CLAIMS = ['roles', 'cognito:groups'] as const;
export const ADMIN_ROLE = 'admin';

/** The claims to read roles from, from `ROLES_CLAIM` (comma-separated) or the defaults. */
export function rolesClaimsFromEnv(env: NodeJS.ProcessEnv): readonly string[] {
  const named = (env.ROLES_CLAIM ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return named.length ? named : DEFAULT_ROLES_CLAIMS;
}

/** The roles a token carries in any of `claims`. */
export function rolesOf(payload: JWTPayload, claims: readonly string[]): string[] {
  return claims.flatMap((claim) => {
    const value = payload[claim];
    if (Array.isArray(value)) return value.filter((r): r is string => typeof r === 'string');
    return typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : [];
  });
}

export type VerifierConfig =
  | {
      readonly mode: 'hs256';
      readonly secret: Uint8Array;
      readonly issuer?: string | undefined;
      readonly audience?: string | undefined;
      /** @default DEFAULT_MAX_TOKEN_LIFETIME_SECONDS */
      readonly maxLifetimeSeconds?: number | undefined;
    }
  | {
      readonly mode: 'jwks';
      readonly jwksUrl: URL;
      readonly algorithms: readonly string[];
      readonly issuer: string;
      readonly audience: string;
      /** @default DEFAULT_MAX_TOKEN_LIFETIME_SECONDS */
      readonly maxLifetimeSeconds?: number | undefined;
    };

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** The token's signature does not verify with the key: another key may (a rotated HS256 secret). */
export class BadSignatureError extends InvalidTokenError {}

/** The issuer's keys could not be fetched or read (timeout, network error, HTTP error, bad JSON). */
export class KeySourceError extends Error {
  override readonly name = 'KeySourceError';
}

/** Key-lookup failures that are the token's fault: it names no key of the set, or an unusable one. */
const TOKEN_KEY_ERRORS = [
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
  errors.JOSENotSupported,
  errors.JOSEAlgNotAllowed,
  errors.JWSInvalid,
];

/** A JWKS key getter whose fetch failures surface as `KeySourceError`. */
function remoteKeys(url: URL): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url);
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (TOKEN_KEY_ERRORS.some((kind) => error instanceof kind)) throw error;
      throw new KeySourceError(`the JWKS at ${url.href} is unavailable: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
}

/** Anything shaped like an address (`local@domain`, no spaces) is taken for one. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const MAX_NAME_CHARS = 128;

export { fallbackName };

/**
 * The display name a token carries: `name`, else `preferred_username`, cleaned (no control, ANSI or
 * bidi characters, no half surrogate pair: lambdas/shared/clean-name.ts); never an e-mail address.
 */
export function displayName(payload: JWTPayload, userId: string): string {
  for (const value of [payload.name, payload.preferred_username]) {
    if (typeof value !== 'string') continue;
    const name = cleanName(value, MAX_NAME_CHARS);
    if (name !== undefined && !EMAIL.test(name)) return name;
  }
  return fallbackName(userId);
}

/** Reads the verifier configuration; `secret` resolves `JWT_SECRET_ARN` where that is used. */
export function verifierConfigFromEnv(env: NodeJS.ProcessEnv, secret?: string): VerifierConfig {
  const issuer = env.JWT_ISSUER || undefined;
  const audience = env.JWT_AUDIENCE || undefined;
  const maxLifetimeSeconds = maxLifetimeFromEnv(env);
  if (env.JWT_JWKS_URL) {
    if (!issuer || !audience) throw new Error('JWT_JWKS_URL requires JWT_ISSUER and JWT_AUDIENCE');
    const algorithms = (env.JWT_ALGORITHMS ?? 'RS256,ES256')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    if (algorithms.length === 0) throw new Error('JWT_ALGORITHMS names no algorithm (e.g. RS256,ES256)');
    if (algorithms.some((a) => a.startsWith('HS') || a === 'none')) {
      throw new Error(
        'JWT_ALGORITHMS: JWKS verification accepts asymmetric algorithms only (e.g. RS256, ES256)',
      );
    }
    if (!URL.canParse(env.JWT_JWKS_URL)) {
      throw new Error(
        `JWT_JWKS_URL is not a URL (${env.JWT_JWKS_URL}): give the issuer's https://…/jwks.json`,
      );
    }
    return {
      mode: 'jwks',
      jwksUrl: new URL(env.JWT_JWKS_URL),
      algorithms,
      issuer,
      audience,
      maxLifetimeSeconds,
    };
  }
  const value = secret ?? env.JWT_SECRET;
  if (!value) throw new Error('Set JWT_SECRET (HS256) or JWT_JWKS_URL with JWT_ISSUER and JWT_AUDIENCE');
  if (Buffer.byteLength(value) < 32) throw new Error('JWT_SECRET must be at least 32 bytes for HS256');
  return { mode: 'hs256', secret: new TextEncoder().encode(value), issuer, audience, maxLifetimeSeconds };
}

/** The longest token lifetime the authorizer accepts under `env` (`JWT_MAX_LIFETIME_SECONDS`, or 24 h). */
export function maxLifetimeFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env[MAX_LIFETIME_ENV];
  if (raw === undefined || raw === '') return DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${MAX_LIFETIME_ENV} must be a positive whole number of seconds`);
  }
  return value;
}

/**
 * The lifetime the maximum applies to: `exp` − `iat`, counted from now at the latest (an `iat` within
 * the clock tolerance of now must not shorten it). The verifier has refused a token without `iat` or
 * with a later one before asking: counting such a token from now would accept a 365-day token in its
 * last day.
 */
export function tokenLifetimeSeconds(payload: JWTPayload & { iat: number }, nowSeconds: number): number {
  const exp = payload.exp ?? nowSeconds;
  return exp - Math.min(payload.iat, nowSeconds);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: user ids must not carry control characters
const BAD_SUBJECT = /[\u0000-\u001f\u007f#\uFFFE\uFFFF]/;

/**
 * A subject usable as a user id: the rule of every user id the actions accept (1–64 characters), and
 * at most `LIMITS.userIdMaxBytes` (128) bytes of UTF-8, which bounds what a user's id adds to a
 * message's reaction summary, its frames and its item (lambdas/contract/limits.ts).
 */
function usableSubject(sub: unknown): sub is string {
  if (typeof sub !== 'string' || !sub.isWellFormed()) return false;
  const length = [...sub].length;
  return (
    length >= 1 &&
    length <= LIMITS.idMaxChars &&
    Buffer.byteLength(sub, 'utf8') <= LIMITS.userIdMaxBytes &&
    sub.trim() === sub &&
    !BAD_SUBJECT.test(sub)
  );
}

export function createVerifier(
  cfg: VerifierConfig,
  rolesClaims: readonly string[] = DEFAULT_ROLES_CLAIMS,
): (token: string) => Promise<VerifiedUser> {
  const key: Uint8Array | JWTVerifyGetKey = cfg.mode === 'hs256' ? cfg.secret : remoteKeys(cfg.jwksUrl);
  const algorithms = cfg.mode === 'hs256' ? ['HS256'] : [...cfg.algorithms];
  const maxLifetime = cfg.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const options = {
    algorithms,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    ...(cfg.issuer ? { issuer: cfg.issuer } : {}),
    ...(cfg.audience ? { audience: cfg.audience } : {}),
    // `iat` bounds the lifetime (DEFAULT_MAX_TOKEN_LIFETIME_SECONDS): without it, no bound.
    requiredClaims: ['sub', 'exp', 'iat'],
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
      if (error instanceof KeySourceError) throw error;
      const Refusal =
        error instanceof errors.JWSSignatureVerificationFailed ? BadSignatureError : InvalidTokenError;
      throw new Refusal((error as Error).message);
    }
    const sub = payload.sub;
    if (!usableSubject(sub)) throw new InvalidTokenError('the token subject is not a usable user id');
    const now = Math.floor(Date.now() / 1000);
    // jose checks that `iat` is a number (requiredClaims), not that it lies in the past.
    const iat = payload.iat as number;
    if (iat > now + CLOCK_TOLERANCE_SECONDS) {
      throw new InvalidTokenError('the token was issued in the future (its iat is later than now)');
    }
    const lifetime = tokenLifetimeSeconds({ ...payload, iat }, now);
    if (lifetime > maxLifetime) {
      throw new InvalidTokenError(`the token lives ${lifetime} s, more than the maximum of ${maxLifetime} s`);
    }
    const admin = rolesOf(payload, rolesClaims).includes(ADMIN_ROLE);
    return { userId: sub, name: displayName(payload, sub), admin, exp: payload.exp as number };
  };
}

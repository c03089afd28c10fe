/** Tokens for the verifier tests: the test secret, signing with defaults, and `alg: none` by hand. */
import { type CryptoKey, type JWTPayload, SignJWT } from 'jose';
import type { VerifierConfig } from '../../lambdas/auth/verifier.ts';

export const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
export const secretBytes = new TextEncoder().encode(SECRET);
export const now = () => Math.floor(Date.now() / 1000);

export function hsConfig(extra: Partial<{ issuer: string; audience: string }> = {}): VerifierConfig {
  return { mode: 'hs256', secret: secretBytes, ...extra };
}

/** Signs `claims` (with a default `sub` and `exp` unless given as `undefined`). */
export async function sign(
  claims: JWTPayload,
  key: Uint8Array | CryptoKey = secretBytes,
  header: { alg: string; kid?: string } = { alg: 'HS256' },
): Promise<string> {
  const payload: JWTPayload = { sub: 'alice', exp: now() + 300, iat: now(), ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ typ: 'JWT', ...header }).sign(key);
}

export const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`), crafted by hand: jose refuses to make one. */
export function unsigned(payload: JWTPayload): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
}

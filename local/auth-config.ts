/**
 * The local stack's auth configuration, checked before anything starts (`npm run dev`,
 * `startLocalStack`, `npm run token`) with the verifier's own rules (lambdas/auth/verifier.ts): a
 * configuration the authorizer cannot build a verifier from would otherwise let the stack start and
 * print Ready, and then answer every handshake with HTTP 500.
 *
 * Also the refusal to listen beyond loopback with the public development secret. Kept apart from
 * local/stack.ts so that `npm run token` does not load the whole stack.
 */
import { DEV_JWT_SECRET, verifierConfigFromEnv } from '../lambdas/auth/verifier.ts';
import { isLoopback, LOOPBACK_HOST } from './defaults.ts';

type Env = Record<string, string | undefined>;

/**
 * The auth variables the local handlers see under `env`: the documented development secret unless
 * `JWT_JWKS_URL` or `JWT_SECRET` is set (local/stack.ts sets it so, and local/token.ts signs with it).
 */
export function localAuthEnv(env: Env): Env {
  return env.JWT_JWKS_URL ? env : { ...env, JWT_SECRET: env.JWT_SECRET ?? DEV_JWT_SECRET };
}

/**
 * Why the authorizer could not check any token under `env` (a sentence naming the variable), or
 * `undefined` when it can.
 */
export function localAuthProblem(env: Env): string | undefined {
  try {
    verifierConfigFromEnv(localAuthEnv(env));
    return undefined;
  } catch (error) {
    return (
      `${(error as Error).message}. With this auth configuration the authorizer would answer every ` +
      'handshake with HTTP 500 (README, "Configuration").'
    );
  }
}

/** True while tokens are checked with the public development secret (no JWKS, no own JWT_SECRET). */
export function usesPublicDevSecret(env: Env): boolean {
  return !env.JWT_JWKS_URL && (env.JWT_SECRET ?? DEV_JWT_SECRET) === DEV_JWT_SECRET;
}

/**
 * Refuses to serve beyond loopback while tokens are checked with the public development secret:
 * anyone on the network could sign a token for any user.
 */
export function assertSecretFitsHost(host: string, env: Env): void {
  if (isLoopback(host) || !usesPublicDevSecret(env)) return;
  throw new Error(
    `Refusing to listen on ${host} with the public development JWT secret: anyone who can reach this ` +
      'machine could sign tokens for any user. Set JWT_SECRET to a secret of your own (32 characters or ' +
      `more, e.g. JWT_SECRET=$(openssl rand -hex 32)), or listen on ${LOOPBACK_HOST} only.`,
  );
}

/**
 * Refuses an auth configuration the authorizer could check no token with (a `JWT_SECRET` under 32
 * bytes, `JWT_JWKS_URL` without `JWT_ISSUER`/`JWT_AUDIENCE`, …): the verifier's own rules
 * (`localAuthProblem`), so that a stack that could only answer 500 never prints Ready.
 */
export function assertAuthConfig(env: Env): void {
  const problem = localAuthProblem(env);
  if (problem) throw new Error(problem);
}

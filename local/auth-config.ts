/**
 * The local stack's auth configuration, checked before anything starts (`npm run dev`,
 * `startLocalStack`, `npm run token`) with the verifier's own rules (lambdas/auth/verifier.ts): a
 * configuration the authorizer cannot build a verifier from would otherwise let the stack start and
 * print Ready, and then answer every handshake with HTTP 500.
 *
 * Kept apart from local/stack.ts so that `npm run token` does not load the whole stack.
 */
import { DEV_JWT_SECRET, verifierConfigFromEnv } from '../lambdas/auth/verifier.ts';

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

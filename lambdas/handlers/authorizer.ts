/**
 * Lambda REQUEST authorizer for `$connect`: verifies the JWT from the `token` query parameter and
 * hands the user id, display name and administrator flag (the roles claim, see verifier.ts) to every
 * later route via `requestContext.authorizer`.
 *
 * Outcomes, each with its own signal, so that alarms fire on faults only (lib/monitoring.ts):
 * - a good token: an Allow policy for the caller;
 * - a bad token (expired, wrongly signed, …): `Unauthorized` is thrown, the one way a REQUEST authorizer
 *   makes API Gateway answer 401; logged at INFO and counted as `TokensRefused` (Lambda counts the throw
 *   as an error; the alarm subtracts the refusals);
 * - the issuer's keys unavailable (JWKS outage): logged as an ERROR, counted as `KeySourceErrors`, and
 *   answered 500 (the client retries; its token may be fine);
 * - anything else (bad configuration, a bug): logged as an ERROR and answered 500.
 * Nothing is stored.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { rotatingVerifier } from '../auth/rotating.ts';
import {
  createVerifier,
  InvalidTokenError,
  KeySourceError,
  rolesClaimsFromEnv,
  type VerifiedUser,
  verifierConfigFromEnv,
} from '../auth/verifier.ts';
import { readingEnv, useEnv } from '../shared/env-use.ts';
import { AUTHORIZER_FN, logger } from '../shared/logger.ts';
import { countMetric } from '../shared/metrics.ts';

let verifier: Promise<(token: string) => Promise<VerifiedUser>> | undefined;
/** The variables the verifier was built from (collected while the test run records their uses). */
let verifierEnv = new Set<string>();

async function buildVerifier() {
  const env = readingEnv(verifierEnv);
  const roles = rolesClaimsFromEnv(env);
  if (!env.JWT_JWKS_URL && !env.JWT_SECRET && env.JWT_SECRET_ARN) {
    const arn = env.JWT_SECRET_ARN;
    // Both the current and the previous secret, read again after a rotation (auth/rotating.ts).
    const { loadSecrets } = await import('../auth/secret.ts');
    const build = (secret: string) => createVerifier(verifierConfigFromEnv(env, secret), roles);
    return rotatingVerifier(() => loadSecrets(arn), build);
  }
  return createVerifier(verifierConfigFromEnv(env), roles);
}

/** Replace the container's verifier (tests). */
export function resetVerifier(): void {
  verifier = undefined;
  verifierEnv = new Set();
}

function allow(principalId: string, resource: string): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource }],
    },
  };
}

/** API Gateway answers 401 to exactly this error message. */
const unauthorized = () => new Error('Unauthorized');

async function authorize(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const token = event.queryStringParameters?.token;
  if (!token) {
    countMetric('TokensRefused');
    throw unauthorized();
  }
  verifier ??= buildVerifier().catch((error) => {
    verifier = undefined;
    verifierEnv = new Set();
    throw error;
  });
  let verify: (token: string) => Promise<VerifiedUser>;
  try {
    verify = await verifier;
  } catch (error) {
    logger.error('the authorizer cannot verify tokens (configuration or secret)', { error });
    throw error;
  }
  useEnv(verifierEnv); // each verification uses what the verifier was built from

  try {
    const user = await verify(token);
    // `exp` travels with every later route: the pipeline refuses actions once it has passed.
    return {
      ...allow(user.userId, event.methodArn),
      context: { userId: user.userId, name: user.name, admin: user.admin, exp: user.exp },
    };
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      logger.info('token refused', { reason: error.message });
      countMetric('TokensRefused');
      throw unauthorized();
    }
    if (error instanceof KeySourceError) {
      logger.error('token issuer keys unavailable', { error });
      countMetric('KeySourceErrors');
      throw new Error('The token issuer keys are unavailable');
    }
    logger.error('token verification failed', { error });
    throw error;
  }
}

export function handler(
  event: APIGatewayRequestAuthorizerEvent,
  context?: Partial<Context>,
): Promise<APIGatewayAuthorizerResult> {
  const rc = event.requestContext as { connectionId?: string; requestId?: string } | undefined;
  const keys = {
    routeKey: '$connect',
    connectionId: rc?.connectionId,
    apiRequestId: rc?.requestId,
    awsRequestId: context?.awsRequestId,
  };
  return logger.runWithKeys(keys, () => authorize(event), AUTHORIZER_FN);
}

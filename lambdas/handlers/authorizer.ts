/**
 * Lambda REQUEST authorizer for `$connect`: verifies the JWT from the `token` query parameter and
 * hands the user id and display name to every later route via `requestContext.authorizer`.
 * A bad token throws `Unauthorized` (API Gateway answers 401); nothing is stored.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createVerifier, type VerifiedUser, verifierConfigFromEnv } from '../auth/verifier.ts';
import { logger } from '../shared/logger.ts';

let verifier: Promise<(token: string) => Promise<VerifiedUser>> | undefined;

async function buildVerifier() {
  let secret: string | undefined;
  if (!process.env.JWT_JWKS_URL && !process.env.JWT_SECRET && process.env.JWT_SECRET_ARN) {
    const { loadSecret } = await import('../auth/secret.ts');
    secret = await loadSecret(process.env.JWT_SECRET_ARN);
  }
  return createVerifier(verifierConfigFromEnv(process.env, secret));
}

/** Replace the container's verifier (tests). */
export function resetVerifier(): void {
  verifier = undefined;
}

function policy(effect: 'Allow' | 'Deny', principalId: string, resource: string): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
  };
}

export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const token = event.queryStringParameters?.token;
  if (!token) throw new Error('Unauthorized');
  verifier ??= buildVerifier().catch((error) => {
    verifier = undefined;
    throw error;
  });
  const verify = await verifier;
  try {
    const user = await verify(token);
    return {
      ...policy('Allow', user.userId, event.methodArn),
      context: { userId: user.userId, name: user.name },
    };
  } catch (error) {
    logger.info('token refused', { reason: (error as Error).message });
    throw new Error('Unauthorized');
  }
}

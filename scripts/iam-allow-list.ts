/**
 * Grants the IAM check (scripts/check-iam.ts) keeps although no test suite makes the call: each one is
 * needed only on a path the local stack cannot reach, and says why. Keep this list short; an entry that
 * no synthesized variant uses any more fails the check as stale.
 */
import type { AllowListEntry } from './iam-check.ts';

export const IAM_ALLOW_LIST: readonly AllowListEntry[] = [
  {
    fn: '$authorizer',
    action: 'secretsmanager:GetSecretValue',
    resource: 'secret',
    reason:
      'auth=hs256 reads the signing key from Secrets Manager at cold start (lambdas/auth/secret.ts); the local ' +
      'stack passes JWT_SECRET directly, and test/unit/authorizer.test.ts covers loadSecret with a mocked client.',
  },
];

/** The authorizer's settings (lib/auth.ts builds them into the stack): the three modes and their checks. */
import { Token } from 'aws-cdk-lib';

export interface CognitoAuthConfig {
  readonly mode: 'cognito';
  /**
   * Send the pool's mail (invitations, verification and recovery codes) through Amazon SES instead of
   * Cognito's default sender, which is capped at 50 e-mails a day. The address (or its domain) must be
   * verified in SES, and the SES account out of the sandbox to mail anyone (docs/deploy.md).
   * @default - Cognito's default sender (no-reply@verificationemail.com, 50 a day)
   */
  readonly email?: CognitoSesEmail;
}

export interface CognitoSesEmail {
  /** The sender address, verified in SES (or within `sesVerifiedDomain`). */
  readonly fromEmail: string;
  /** @default - none */
  readonly fromName?: string;
  /** @default - fromEmail */
  readonly replyTo?: string;
  /**
   * Region of the SES identity (Cognito supports a few; docs/deploy.md).
   * @default - the stack's region
   */
  readonly sesRegion?: string;
  /**
   * A domain verified in SES that `fromEmail` belongs to.
   * @default - fromEmail itself is verified
   */
  readonly sesVerifiedDomain?: string;
}

export interface OidcAuthConfig {
  readonly mode: 'oidc';
  /** Expected `iss` claim, e.g. `https://example.eu.auth0.com/`. */
  readonly issuer: string;
  /** The issuer's JWKS URL (its `jwks_uri`). */
  readonly jwksUrl: string;
  /** Expected `aud` claim. */
  readonly audience: string;
  /**
   * Accepted signature algorithms (asymmetric only).
   * @default ['RS256']
   */
  readonly algorithms?: readonly string[];
}

export interface Hs256AuthConfig {
  readonly mode: 'hs256';
  /**
   * ARN of an existing Secrets Manager secret whose string value is the HS256 key (at least 32 bytes).
   * @default - the stack creates a secret with a random 64-character value
   */
  readonly secretArn?: string;
  /**
   * Expected `iss` claim.
   * @default - not checked
   */
  readonly issuer?: string;
  /**
   * Expected `aud` claim.
   * @default - not checked
   */
  readonly audience?: string;
}

export type AuthConfig = CognitoAuthConfig | OidcAuthConfig | Hs256AuthConfig;

export interface ChatAuthProps {
  /**
   * How tokens are verified.
   * @default { mode: 'cognito' }
   */
  readonly config?: AuthConfig;
  /**
   * A throwaway stack: the user pool (or created secret) is deleted with the stack.
   * @default false (RETAIN, user pool deletion protection on)
   */
  readonly destroyable?: boolean;
  /**
   * The claims that name a user's roles; a token whose roles hold `admin` is an administrator
   * (issue 14; lambdas/auth/verifier.ts). Comma-separated claim names.
   * @default 'roles,cognito:groups'
   */
  readonly rolesClaim?: string;
  /**
   * The longest token lifetime (`exp` − `iat`) the authorizer accepts, in seconds (1 to
   * {@link TOKEN_LIFETIME_LIMIT_SECONDS}); longer-lived tokens are refused with 401. Set on the
   * authorizer as `JWT_MAX_LIFETIME_SECONDS`.
   * @default 86400 (24 h, the authorizer's own default)
   */
  readonly jwtMaxLifetimeSeconds?: number;
}

/**
 * The highest `jwtMaxLifetimeSeconds` a stack accepts: 7 days. A token cannot be revoked before it
 * expires (an open socket is closed at `exp`), so a longer one would outlive any access revocation.
 */
export const TOKEN_LIFETIME_LIMIT_SECONDS = 7 * 24 * 3600;

/** The rule `jwtMaxLifetimeSeconds` must meet, as error messages say it. */
const LIFETIME_RULE = `must be a whole number of seconds from 1 to ${TOKEN_LIFETIME_LIMIT_SECONDS} (7 days)`;

/** Refuses a maximum token lifetime that is not a whole number of seconds from 1 to 7 days. */
export function checkMaxTokenLifetime(seconds: unknown, field = 'jwtMaxLifetimeSeconds'): number {
  if (
    typeof seconds !== 'number' ||
    !Number.isInteger(seconds) ||
    seconds < 1 ||
    seconds > TOKEN_LIFETIME_LIMIT_SECONDS
  ) {
    throw new Error(`${field} ${LIFETIME_RULE} (got ${JSON.stringify(seconds) ?? String(seconds)})`);
  }
  return seconds;
}

/** A complete secret ARN ends with `-` and the 6 random characters Secrets Manager appends. */
export const COMPLETE_SECRET_ARN = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+-[A-Za-z0-9]{6}$/;
/** Any Secrets Manager secret ARN, complete or partial. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** Refuses anything but a Secrets Manager secret ARN, with a message that says what was expected. */
export function checkSecretArn(arn: string): void {
  if (Token.isUnresolved(arn) || SECRET_ARN.test(arn)) return;
  throw new Error(
    `jwtSecretArn must be the ARN of a Secrets Manager secret, e.g. ` +
      `arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/jwt-AbCdEf (got "${arn}"). ` +
      'Find it with: aws secretsmanager describe-secret --secret-id <name> --query ARN',
  );
}

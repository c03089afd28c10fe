/**
 * Where the `$connect` authorizer gets its keys from. Three modes, chosen by props or context:
 *
 * - `cognito` (default): the stack creates a user pool and an app client; ID tokens are verified
 *   through the pool's JWKS, with its issuer and the client id as audience.
 * - `oidc`: any external OpenID Connect issuer (Auth0, Okta, Entra ID, …) with its JWKS URL and audience.
 * - `hs256`: a shared HMAC secret kept in Secrets Manager. Only its ARN reaches the function
 *   (`JWT_SECRET_ARN`); the authorizer reads its current and previous values at cold start and again
 *   after a rotation (lambdas/auth/secret.ts, rotating.ts): rotating it needs no deploy.
 *
 * In every mode `jwtMaxLifetimeSeconds` caps the tokens' lifetime (`JWT_MAX_LIFETIME_SECONDS`, 24 h
 * unless set). The environment variable names are those of lambdas/auth/verifier.ts.
 */
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  UserPool,
  type UserPoolClient,
  UserPoolEmail,
} from 'aws-cdk-lib/aws-cognito';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { MAX_LIFETIME_ENV } from '../lambdas/auth/verifier.ts';
import {
  type AuthConfig,
  type ChatAuthProps,
  COMPLETE_SECRET_ARN,
  checkMaxTokenLifetime,
  checkSecretArn,
} from './auth-config.ts';

export * from './auth-config.ts';

export class ChatAuth extends Construct {
  readonly mode: AuthConfig['mode'];
  /** The authorizer's environment (never a secret value). */
  readonly environment: Readonly<Record<string, string>>;
  /** The created user pool (`cognito` mode). */
  readonly userPool?: UserPool;
  /** The created app client (`cognito` mode). */
  readonly userPoolClient?: UserPoolClient;
  /** ARN of the HS256 secret (`hs256` mode). */
  readonly secretArn?: string;
  /** Whether the stack created the HS256 secret. */
  readonly secretCreated: boolean;
  readonly #secretResourceArn?: string;

  constructor(scope: Construct, id: string, props: ChatAuthProps = {}) {
    super(scope, id);
    const config = props.config ?? { mode: 'cognito' };
    const destroyable = props.destroyable ?? false;
    const removalPolicy = destroyable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.mode = config.mode;
    this.secretCreated = false;

    switch (config.mode) {
      case 'cognito': {
        if (config.email && !config.email.sesRegion && Token.isUnresolved(Stack.of(this).region)) {
          throw new Error(
            'Cognito mail through SES needs the SES region (the stack is not tied to a region): ' +
              "set sesRegion (e.g. eu-west-1) in cdk.json's context",
          );
        }
        const pool = new UserPool(this, 'UserPool', {
          selfSignUpEnabled: false,
          signInAliases: { username: true, email: true },
          autoVerify: { email: true },
          passwordPolicy: {
            minLength: 12,
            requireLowercase: true,
            requireUppercase: true,
            requireDigits: true,
            requireSymbols: true,
          },
          mfa: Mfa.OPTIONAL,
          mfaSecondFactor: { otp: true, sms: false },
          accountRecovery: AccountRecovery.EMAIL_ONLY,
          featurePlan: FeaturePlan.ESSENTIALS,
          deletionProtection: !destroyable,
          removalPolicy,
          ...(config.email
            ? {
                email: UserPoolEmail.withSES({
                  fromEmail: config.email.fromEmail,
                  ...(config.email.fromName ? { fromName: config.email.fromName } : {}),
                  ...(config.email.replyTo ? { replyTo: config.email.replyTo } : {}),
                  ...(config.email.sesRegion ? { sesRegion: config.email.sesRegion } : {}),
                  ...(config.email.sesVerifiedDomain
                    ? { sesVerifiedDomain: config.email.sesVerifiedDomain }
                    : {}),
                }),
              }
            : {}),
        });
        const client = pool.addClient('AppClient', {
          // A public client (mobile apps): no secret. Apps sign in with SRP (the password never leaves the
          // device); no plain USER_PASSWORD_AUTH, which would let anyone holding the public client id
          // try passwords. ADMIN_USER_PASSWORD_AUTH needs IAM credentials (cognito-idp:AdminInitiateAuth):
          // the deployer's token walk-through in docs/deploy.md.
          generateSecret: false,
          authFlows: { userSrp: true, adminUserPassword: true },
          // Users may set their preferred_username (their display name unless an administrator set
          // `name`) but never rewrite `name` or `email`, which administrators own.
          writeAttributes: new ClientAttributes().withStandardAttributes({
            preferredUsername: true,
            locale: true,
            timezone: true,
          }),
          disableOAuth: true,
          preventUserExistenceErrors: true,
          idTokenValidity: Duration.hours(1),
          accessTokenValidity: Duration.hours(1),
          refreshTokenValidity: Duration.days(30),
        });
        this.userPool = pool;
        this.userPoolClient = client;
        // Administrators are the members of this group (their ID tokens carry `cognito:groups`).
        const admins = new CfnUserPoolGroup(this, 'AdminGroup', {
          userPoolId: pool.userPoolId,
          groupName: 'admin',
          description:
            'Chat administrators: remove members, delete messages and chats anywhere, list reports.',
        });
        // Kept with the pool: deleting the group drops its memberships (who is an administrator), and
        // the client id is the audience of the pool's tokens, which an oidc stack pointed at the
        // retained pool keeps accepting (docs/deploy.md, "Changing authentication").
        client.applyRemovalPolicy(removalPolicy);
        admins.applyRemovalPolicy(removalPolicy);
        // The `iss` of the pool's tokens (and the base of its JWKS URL).
        const { region, urlSuffix } = Stack.of(this);
        const issuer = `https://cognito-idp.${region}.${urlSuffix}/${pool.userPoolId}`;
        this.environment = {
          JWT_JWKS_URL: `${issuer}/.well-known/jwks.json`,
          JWT_ISSUER: issuer,
          JWT_AUDIENCE: client.userPoolClientId,
          JWT_ALGORITHMS: 'RS256',
        };
        Validations.of(pool).acknowledge({
          id: 'AwsSolutions-COG2',
          reason:
            'MFA is optional (TOTP) so that chat users can sign in from mobile apps without a second factor; require it with Mfa.REQUIRED where policy demands.',
        });
        Validations.of(pool).acknowledge({
          id: 'AwsSolutions-COG8',
          reason:
            'Threat protection (advanced security) needs the Cognito Plus feature plan, billed per monthly active user; the pool uses Essentials to stay cheap at rest.',
        });
        break;
      }
      case 'oidc': {
        const algorithms = config.algorithms ?? ['RS256'];
        if (algorithms.length === 0 || algorithms.some((a) => a.startsWith('HS') || a === 'none')) {
          throw new Error('oidc auth accepts asymmetric algorithms only (e.g. RS256, ES256)');
        }
        for (const [name, value] of Object.entries({
          issuer: config.issuer,
          jwksUrl: config.jwksUrl,
          audience: config.audience,
        })) {
          if (!value) throw new Error(`oidc auth requires ${name}`);
        }
        if (!config.jwksUrl.startsWith('https://'))
          throw new Error('oidc auth requires an https:// JWKS URL');
        this.environment = {
          JWT_JWKS_URL: config.jwksUrl,
          JWT_ISSUER: config.issuer,
          JWT_AUDIENCE: config.audience,
          JWT_ALGORITHMS: algorithms.join(','),
        };
        break;
      }
      case 'hs256': {
        let arn: string;
        if (config.secretArn) {
          checkSecretArn(config.secretArn);
          arn = config.secretArn;
          // A partial ARN (without the random suffix) matches the secret through `-??????`.
          this.#secretResourceArn = COMPLETE_SECRET_ARN.test(arn) ? arn : `${arn}-??????`;
        } else {
          const secret = new Secret(this, 'JwtSecret', {
            description: 'HS256 key that signs the chat API tokens',
            generateSecretString: { passwordLength: 64, excludePunctuation: true },
            removalPolicy,
          });
          arn = secret.secretArn;
          this.#secretResourceArn = arn;
          this.secretCreated = true;
          Validations.of(secret).acknowledge({
            id: 'AwsSolutions-SMG4',
            reason:
              'No rotation Lambda: the token issuer signs with this secret, so it owns the schedule and must switch to a new value in step with the put (docs/deploy.md "Rotating the secret": put-secret-value, no deploy; the authorizer accepts AWSCURRENT and AWSPREVIOUS, so issued tokens keep working).',
          });
        }
        this.secretArn = arn;
        this.environment = {
          JWT_SECRET_ARN: arn,
          ...(config.issuer ? { JWT_ISSUER: config.issuer } : {}),
          ...(config.audience ? { JWT_AUDIENCE: config.audience } : {}),
        };
        break;
      }
    }
    if (props.rolesClaim) this.environment = { ...this.environment, ROLES_CLAIM: props.rolesClaim };
    if (props.jwtMaxLifetimeSeconds !== undefined) {
      const seconds = checkMaxTokenLifetime(props.jwtMaxLifetimeSeconds);
      this.environment = { ...this.environment, [MAX_LIFETIME_ENV]: String(seconds) };
    }
  }

  /** Lets `grantee` verify tokens: `secretsmanager:GetSecretValue` on the HS256 secret; nothing in the JWKS modes. */
  grantVerify(grantee: IGrantable): Grant | undefined {
    if (!this.#secretResourceArn) return undefined;
    return Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.#secretResourceArn],
    });
  }
}

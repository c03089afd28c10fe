/**
 * The three token modes of the `$connect` authorizer — created Cognito pool, external OIDC issuer, HS256
 * secret in Secrets Manager — and how CDK context selects them; the maximum token lifetime setting.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { authFromContext, settingsFromContext } from '../../lib/context.ts';
import { actionsOf, logicalId, resourcesOf, statementsOf, synth, testApp } from './support.ts';

const authorizerEnv = (s: ReturnType<typeof synth>): Record<string, unknown> => {
  const fn = s.template.toJSON().Resources[logicalId(s.stack, s.stack.chatApi.authorizerFunction.function)];
  return fn.Properties.Environment.Variables;
};

/** Every string of the template (and its parameters), to prove a value never appears in it. */
const templateText = (s: ReturnType<typeof synth>): string => JSON.stringify(s.template.toJSON());

const SECRET_ACTIONS = (s: ReturnType<typeof synth>) =>
  [...s.stack.chatApi.allFunctions].flatMap((fn) =>
    statementsOf(s, fn)
      .filter((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:')))
      .map((st) => ({ fn: fn.node.id, actions: actionsOf(st), resources: resourcesOf(st) })),
  );

describe('cognito mode (default)', { timeout: 180_000 }, () => {
  const s = synth();

  it('creates a user pool and a public app client: SRP, no plain-password flow', () => {
    s.template.resourceCountIs('AWS::Cognito::UserPool', 1);
    s.template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12 }) },
    });
    s.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
    });
    const [client] = Object.values(s.template.findResources('AWS::Cognito::UserPoolClient'));
    expect([...(client?.Properties.ExplicitAuthFlows ?? [])].sort()).toEqual([
      'ALLOW_ADMIN_USER_PASSWORD_AUTH',
      'ALLOW_REFRESH_TOKEN_AUTH',
      'ALLOW_USER_SRP_AUTH',
    ]);
  });

  it('lets users write their preferred_username, never name or email', () => {
    const [client] = Object.values(s.template.findResources('AWS::Cognito::UserPoolClient'));
    const writable: string[] = client?.Properties.WriteAttributes;
    expect(writable.length).toBeGreaterThan(0); // an empty list would mean "all attributes"
    expect(writable).toContain('preferred_username');
    expect(writable).not.toContain('name');
    expect(writable).not.toContain('email');
  });

  it('sends the pool’s mail with Cognito’s default sender unless SES is configured', () => {
    const [pool] = Object.values(s.template.findResources('AWS::Cognito::UserPool'));
    expect(pool?.Properties.EmailConfiguration).toBeUndefined();
    const ses = synth({
      auth: {
        mode: 'cognito',
        email: { fromEmail: 'chat@example.com', fromName: 'Chat', sesRegion: 'eu-west-1' },
      },
    });
    ses.template.hasResourceProperties('AWS::Cognito::UserPool', {
      EmailConfiguration: Match.objectLike({
        EmailSendingAccount: 'DEVELOPER',
        From: 'Chat <chat@example.com>',
        SourceArn: Match.anyValue(),
      }),
    });
  });

  it('verifies the pool’s ID tokens through its JWKS, checking issuer and audience (the client id)', () => {
    const poolId = logicalId(s.stack, s.stack.auth.userPool as NonNullable<typeof s.stack.auth.userPool>);
    const clientId = logicalId(
      s.stack,
      s.stack.auth.userPoolClient as NonNullable<typeof s.stack.auth.userPoolClient>,
    );
    const issuer = [
      'https://cognito-idp.',
      { Ref: 'AWS::Region' },
      '.',
      { Ref: 'AWS::URLSuffix' },
      '/',
      { Ref: poolId },
    ];
    expect(authorizerEnv(s)).toMatchObject({
      JWT_ISSUER: { 'Fn::Join': ['', issuer] },
      JWT_JWKS_URL: { 'Fn::Join': ['', [...issuer, '/.well-known/jwks.json']] },
      JWT_AUDIENCE: { Ref: clientId },
      JWT_ALGORITHMS: 'RS256',
    });
    expect(authorizerEnv(s)).not.toHaveProperty('JWT_SECRET');
    expect(authorizerEnv(s)).not.toHaveProperty('JWT_SECRET_ARN');
    expect(SECRET_ACTIONS(s)).toEqual([]);
  });
});

describe('oidc mode', { timeout: 180_000 }, () => {
  const issuer = 'https://example.eu.auth0.com/';
  const jwksUrl = 'https://example.eu.auth0.com/.well-known/jwks.json';
  const s = synth({
    auth: { mode: 'oidc', issuer, jwksUrl, audience: 'chat-api', algorithms: ['RS256', 'ES256'] },
  });

  it('points the authorizer at the external issuer and creates no user pool', () => {
    expect(authorizerEnv(s)).toMatchObject({
      JWT_ISSUER: issuer,
      JWT_JWKS_URL: jwksUrl,
      JWT_AUDIENCE: 'chat-api',
      JWT_ALGORITHMS: 'RS256,ES256',
    });
    s.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(Object.keys(s.template.findOutputs('*'))).not.toContain('UserPoolId');
    expect(SECRET_ACTIONS(s)).toEqual([]);
  });

  it('refuses symmetric algorithms and incomplete settings', () => {
    expect(() =>
      synth({ auth: { mode: 'oidc', issuer, jwksUrl, audience: 'a', algorithms: ['HS256'] } }),
    ).toThrow(/asymmetric/);
    expect(() => synth({ auth: { mode: 'oidc', issuer, jwksUrl: '', audience: 'a' } })).toThrow(/jwksUrl/);
    expect(() => synth({ auth: { mode: 'oidc', issuer, jwksUrl: 'http://plain', audience: 'a' } })).toThrow(
      /https/,
    );
  });
});

describe('hs256 mode', { timeout: 180_000 }, () => {
  it('creates a generated secret, passes only its ARN, and lets the authorizer alone read it', () => {
    const s = synth({ auth: { mode: 'hs256', issuer: 'chat-issuer' } });
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
    s.template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    const [secretId] = Object.keys(s.template.findResources('AWS::SecretsManager::Secret'));
    expect(authorizerEnv(s)).toEqual({
      JWT_SECRET_ARN: { Ref: secretId },
      JWT_ISSUER: 'chat-issuer',
      METRICS_STACK: 'ChatTest',
      NODE_OPTIONS: '--enable-source-maps',
      LOG_LEVEL: 'INFO',
    });
    expect(SECRET_ACTIONS(s)).toEqual([
      { fn: 'Authorizer', actions: ['secretsmanager:GetSecretValue'], resources: [{ Ref: secretId }] },
    ]);
    s.template.hasOutput('JwtSecretArn', { Value: { Ref: secretId } });
  });

  it('uses an existing secret by ARN; the value never reaches the template', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/jwt-AbCdEf';
    const s = synth({ auth: { mode: 'hs256', secretArn: arn } });
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(authorizerEnv(s)).toMatchObject({ JWT_SECRET_ARN: arn });
    expect(SECRET_ACTIONS(s)).toEqual([
      { fn: 'Authorizer', actions: ['secretsmanager:GetSecretValue'], resources: [arn] },
    ]);
    expect(Object.keys(s.template.findOutputs('*'))).not.toContain('JwtSecretArn');
    expect(templateText(s)).not.toMatch(/JWT_SECRET"/);
  });

  it('matches a partial ARN (without the random suffix) through -??????', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/jwt';
    const s = synth({ auth: { mode: 'hs256', secretArn: arn } });
    expect(SECRET_ACTIONS(s)[0]?.resources).toEqual([`${arn}-??????`]);
  });
});

describe('auth from context', { timeout: 180_000 }, () => {
  const ctx = (values: Record<string, string>) => (key: string) => values[key];

  it('defaults to cognito and infers oidc and hs256 from their keys', () => {
    expect(authFromContext(ctx({}))).toEqual({ mode: 'cognito' });
    expect(
      authFromContext(
        ctx({
          jwtIssuer: 'https://i/',
          jwtJwksUrl: 'https://i/jwks',
          jwtAudience: 'aud',
          jwtAlgorithms: 'RS256, ES256',
        }),
      ),
    ).toEqual({
      mode: 'oidc',
      issuer: 'https://i/',
      jwksUrl: 'https://i/jwks',
      audience: 'aud',
      algorithms: ['RS256', 'ES256'],
    });
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/jwt-AbCdEf';
    expect(authFromContext(ctx({ jwtSecretArn: arn }))).toEqual({ mode: 'hs256', secretArn: arn });
    expect(authFromContext(ctx({ auth: 'hs256' }))).toEqual({ mode: 'hs256' });
  });

  it('refuses a jwtSecretArn that is no Secrets Manager ARN, saying what it expects', () => {
    for (const bad of ['chat/jwt', 'arn:x', 'arn:aws:ssm:eu-west-1:123456789012:parameter/jwt']) {
      expect(() => authFromContext(ctx({ jwtSecretArn: bad })), bad).toThrow(
        /jwtSecretArn must be the ARN of a Secrets Manager secret.*describe-secret/,
      );
      expect(() => synth({ auth: { mode: 'hs256', secretArn: bad } }), bad).toThrow(/jwtSecretArn/);
    }
  });

  it('reads the Cognito SES sender from context', () => {
    expect(authFromContext(ctx({ sesFromEmail: 'a@example.com', sesRegion: 'eu-west-1' }))).toEqual({
      mode: 'cognito',
      email: { fromEmail: 'a@example.com', sesRegion: 'eu-west-1' },
    });
    expect(() => authFromContext(ctx({ sesRegion: 'eu-west-1' }))).toThrow(/sesFromEmail/);
    expect(() => authFromContext(ctx({ sesFromEmail: 'nope' }))).toThrow(/e-mail/);
  });

  it('refuses incomplete or contradictory settings', () => {
    expect(() => authFromContext(ctx({ auth: 'oidc', jwtIssuer: 'https://i/' }))).toThrow(/jwtJwksUrl/);
    expect(() =>
      authFromContext(
        ctx({ auth: 'cognito', jwtSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x' }),
      ),
    ).toThrow(/cognito/);
    expect(() => authFromContext(ctx({ auth: 'magic' }))).toThrow(/cognito, oidc or hs256/);
    expect(() => authFromContext(ctx({ auth: 'toString' }))).toThrow(/cognito, oidc or hs256/);
  });
});

describe('the maximum token lifetime', { timeout: 180_000 }, () => {
  const fromContext = (context: Record<string, unknown>) =>
    settingsFromContext(testApp(context).node).props.jwtMaxLifetimeSeconds;

  it('jwtMaxLifetimeSeconds reaches the authorizer alone as JWT_MAX_LIFETIME_SECONDS; unset, 24 h applies', () => {
    const s = synth({ auth: { mode: 'hs256' }, jwtMaxLifetimeSeconds: 3600 });
    expect(authorizerEnv(s)).toMatchObject({ JWT_MAX_LIFETIME_SECONDS: '3600' });
    for (const fn of s.stack.chatApi.functions.values()) {
      const env =
        s.template.toJSON().Resources[logicalId(s.stack, fn.function)].Properties.Environment.Variables;
      expect(env.JWT_MAX_LIFETIME_SECONDS, fn.node.id).toBeUndefined();
    }
    // Unset: the authorizer's own default (DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, 24 h).
    expect(authorizerEnv(synth({ auth: { mode: 'hs256' } }))).not.toHaveProperty('JWT_MAX_LIFETIME_SECONDS');
  });

  it('is read from context (-c jwtMaxLifetimeSeconds=…), as bin/app.ts builds the stack', () => {
    expect(fromContext({ jwtMaxLifetimeSeconds: '7200' })).toBe(7200);
    expect(fromContext({ jwtMaxLifetimeSeconds: 7200 })).toBe(7200);
    expect(fromContext({})).toBeUndefined();
  });

  it('refuses anything but a whole number of seconds from 1 to 7 days, naming the setting', () => {
    for (const bad of [0, -60, 1.5, 7 * 24 * 3600 + 1, Number.NaN]) {
      expect(() => synth({ auth: { mode: 'hs256' }, jwtMaxLifetimeSeconds: bad }), String(bad)).toThrow(
        /jwtMaxLifetimeSeconds must be a whole number of seconds from 1 to 604800 \(7 days\)/,
      );
    }
    for (const bad of ['soon', '0', '1e9', '3600.5', true]) {
      expect(() => fromContext({ jwtMaxLifetimeSeconds: bad }), String(bad)).toThrow(
        /context jwtMaxLifetimeSeconds must be a whole number of seconds from 1 to 604800/,
      );
    }
    expect(synth({ auth: { mode: 'hs256' }, jwtMaxLifetimeSeconds: 7 * 24 * 3600 }).stack).toBeDefined();
  });
});

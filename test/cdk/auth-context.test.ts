/**
 * Auth settings from CDK context that the chosen mode would not use, or OIDC keys without the ones
 * they need, stop the synth with a sentence naming the keys: ignoring them silently deployed another
 * mode than meant (a new user pool, every OIDC user refused) or skipped a check the deployer asked for.
 */
import { describe, expect, it } from 'vitest';
import { authFromContext } from '../../lib/context.ts';

const ctx = (values: Record<string, string>) => (key: string) => values[key];
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/jwt-AbCdEf';
const OIDC = { jwtIssuer: 'https://i/', jwtJwksUrl: 'https://i/jwks', jwtAudience: 'aud' };

describe('auth keys the chosen mode does not use are refused, naming them', () => {
  it('issuer and audience without jwtJwksUrl or auth: not cognito in silence', () => {
    expect(() => authFromContext(ctx({ jwtIssuer: 'https://i/', jwtAudience: 'aud' }))).toThrow(
      /jwtIssuer, jwtAudience are not used by auth=cognito.*jwtJwksUrl.*auth=hs256/,
    );
    expect(() => authFromContext(ctx({ jwtAudience: 'aud' }))).toThrow(/jwtAudience are not used/);
  });

  it('auth=cognito refuses every jwt key', () => {
    expect(() => authFromContext(ctx({ auth: 'cognito', ...OIDC, jwtAlgorithms: 'RS256' }))).toThrow(
      'auth=cognito does not use jwtIssuer, jwtJwksUrl, jwtAudience, jwtAlgorithms',
    );
  });

  it('auth=hs256 refuses jwtJwksUrl and jwtAlgorithms (it checks no JWKS)', () => {
    expect(() => authFromContext(ctx({ auth: 'hs256', jwtJwksUrl: 'https://i/jwks' }))).toThrow(
      'auth=hs256 does not use jwtJwksUrl',
    );
    expect(() =>
      authFromContext(ctx({ jwtSecretArn: ARN, jwtAlgorithms: 'RS256', jwtJwksUrl: 'https://i/jwks' })),
    ).toThrow(/jwtSecretArn.*jwtJwksUrl/);
    expect(() => authFromContext(ctx({ auth: 'hs256', jwtAlgorithms: 'RS256' }))).toThrow(
      'auth=hs256 does not use jwtAlgorithms',
    );
  });

  it('auth=oidc refuses jwtSecretArn', () => {
    expect(() => authFromContext(ctx({ auth: 'oidc', ...OIDC, jwtSecretArn: ARN }))).toThrow(
      'auth=oidc does not use jwtSecretArn',
    );
  });

  it('oidc and hs256 refuse the Cognito mail keys', () => {
    expect(() =>
      authFromContext(ctx({ ...OIDC, sesFromEmail: 'a@example.com', sesRegion: 'eu-west-1' })),
    ).toThrow('auth=oidc does not use sesFromEmail, sesRegion');
    expect(() => authFromContext(ctx({ auth: 'hs256', sesFromName: 'Chat' }))).toThrow(
      'auth=hs256 does not use sesFromName',
    );
  });

  it('OIDC keys without the ones they need name every missing key', () => {
    expect(() => authFromContext(ctx({ jwtJwksUrl: 'https://i/jwks' }))).toThrow(
      'auth=oidc needs jwtIssuer, jwtAudience',
    );
    expect(() => authFromContext(ctx({ jwtAlgorithms: 'ES256' }))).toThrow(
      'auth=oidc needs jwtIssuer, jwtJwksUrl, jwtAudience',
    );
    expect(() => authFromContext(ctx({ auth: 'oidc', jwtIssuer: 'https://i/', jwtAudience: 'aud' }))).toThrow(
      'auth=oidc needs jwtJwksUrl',
    );
  });

  it('what each mode uses still synthesizes', () => {
    expect(authFromContext(ctx({ ...OIDC, jwtAlgorithms: 'ES256' }))).toMatchObject({ mode: 'oidc' });
    expect(authFromContext(ctx({ auth: 'hs256', jwtIssuer: 'https://i/', jwtAudience: 'aud' }))).toEqual({
      mode: 'hs256',
      issuer: 'https://i/',
      audience: 'aud',
    });
    expect(authFromContext(ctx({ jwtSecretArn: ARN, jwtIssuer: 'https://i/' }))).toMatchObject({
      mode: 'hs256',
      secretArn: ARN,
    });
    expect(authFromContext(ctx({ sesFromEmail: 'a@example.com', sesRegion: 'eu-west-1' }))).toMatchObject({
      mode: 'cognito',
    });
  });
});

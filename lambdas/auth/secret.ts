/**
 * Resolves the HS256 secret from AWS Secrets Manager at cold start (`JWT_SECRET_ARN`), so the secret
 * never sits in plain environment variables or the template. Loaded only in that auth mode.
 */
export async function loadSecret(secretId: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('../shared/secrets-commands.ts');
  const client = new SecretsManagerClient({});
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!out.SecretString) throw new Error('the JWT secret has no string value');
  return out.SecretString;
}

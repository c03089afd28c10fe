/**
 * Reads the HS256 secret from AWS Secrets Manager (`JWT_SECRET_ARN`), so the secret never sits in plain
 * environment variables or the template: its AWSCURRENT and AWSPREVIOUS versions, at cold start and
 * again after a rotation (lambdas/auth/rotating.ts). Loaded only in that auth mode.
 */

/** The secret's AWSCURRENT value and its AWSPREVIOUS one (none before the first rotation). */
export interface SecretValues {
  readonly current: string;
  readonly previous: string | undefined;
}

type Client = InstanceType<typeof import('../shared/secrets-commands.ts').SecretsManagerClient>;
let client: Client | undefined;

/** Reads the secret's current and previous values (`VersionStage` needs no other IAM action). */
export async function loadSecrets(secretId: string): Promise<SecretValues> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('../shared/secrets-commands.ts');
  client ??= new SecretsManagerClient({});
  const sm = client;
  const read = (VersionStage: string) =>
    sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage })).then((out) => out.SecretString);
  const [current, previous] = await Promise.all([
    read('AWSCURRENT'),
    read('AWSPREVIOUS').catch((error: Error) => {
      if (error.name !== 'ResourceNotFoundException') throw error; // else: never rotated
    }),
  ]);
  if (!current) throw new Error('the JWT secret has no string value');
  return { current, previous: previous || undefined };
}

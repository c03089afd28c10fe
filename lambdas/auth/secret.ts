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

/**
 * Reads the secret's current value, then its previous one (`VersionStage` needs no other IAM action).
 * One after the other, not side by side: a `put-secret-value` landing between two parallel reads
 * could be seen by AWSCURRENT only (the new value and the one before the value in use: the issuer,
 * still signing with the value in use for a minute after the put, refused for a minute). In this
 * order a put between the reads gives the value in use twice (its tokens accepted), and tokens of
 * the new value, issued after the read, make the container read again (rotating.ts).
 */
export async function loadSecrets(secretId: string): Promise<SecretValues> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('../shared/secrets-commands.ts');
  client ??= new SecretsManagerClient({});
  const sm = client;
  const read = (VersionStage: string) =>
    sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage })).then((out) => out.SecretString);
  const current = await read('AWSCURRENT');
  if (!current) throw new Error('the JWT secret has no string value');
  const previous = await read('AWSPREVIOUS').catch((error: Error) => {
    if (error.name !== 'ResourceNotFoundException') throw error; // else: never rotated
  });
  return { current, previous: previous || undefined };
}

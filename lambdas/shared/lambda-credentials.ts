/**
 * Stands in for `@aws-sdk/credential-provider-node` in the deployed bundles only (lib/bundling.ts
 * aliases it here; tests and `npm run dev` use the real package).
 *
 * On Lambda the execution role's credentials are always in the environment
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), and the SDK's default chain
 * answers from its first link, `fromEnv`, there too. The other links (SSO, ini files, processes, web
 * identity, container and instance metadata) never run on Lambda but are bundled and parsed at every
 * cold start: about 90 KB of each handler. The clients memoize what this returns, as they do the chain's.
 */

/** The credentials shape the SDK clients accept. */
export interface EnvCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Same signature as the package's `defaultProvider`: options in, credential provider out. */
export function defaultProvider(_init: unknown = {}): () => Promise<EnvCredentials> {
  return async () => {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new Error(
        'No AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): this bundle is built for Lambda.',
      );
    }
    const sessionToken = process.env.AWS_SESSION_TOKEN;
    const expiry = process.env.AWS_CREDENTIAL_EXPIRATION;
    return {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
      ...(expiry ? { expiration: new Date(expiry) } : {}),
    };
  };
}

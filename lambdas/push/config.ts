/**
 * The push configuration, read once per container. Credentials come from AWS Secrets Manager on AWS
 * (`PUSH_APNS_SECRET_ARN`, `PUSH_FCM_SECRET_ARN`: the stack passes only the ARNs) or, for the local
 * stand-ins, straight from `PUSH_APNS_CREDENTIALS` / `PUSH_FCM_CREDENTIALS` (JSON). A provider without
 * credentials is off. docs/push.md describes both secrets.
 *
 * - APNs secret: `{"teamId","keyId","privateKey" (the .p8 file's PEM),"topic" (the app's bundle id),
 *   "environment": "production"|"sandbox"}`.
 * - FCM secret: the Firebase service-account JSON as downloaded (`project_id`, `client_email`,
 *   `private_key`, `private_key_id`, `token_uri`).
 */

export interface ApnsCredentials {
  readonly teamId: string;
  readonly keyId: string;
  /** PKCS#8 PEM of the .p8 signing key (ES256). */
  readonly privateKey: string;
  /** The app's bundle id (`apns-topic`). */
  readonly topic: string;
  /** Where requests go: production or sandbox host, or a local stand-in (`PUSH_APNS_ENDPOINT`). */
  readonly endpoint: string;
}

export interface FcmCredentials {
  readonly projectId: string;
  readonly clientEmail: string;
  /** PKCS#8 PEM of the service account's key (RS256). */
  readonly privateKey: string;
  readonly privateKeyId: string | undefined;
  /** The OAuth 2 token endpoint. */
  readonly tokenUri: string;
  /** The FCM API origin (`PUSH_FCM_ENDPOINT`, default https://fcm.googleapis.com). */
  readonly endpoint: string;
}

export interface PushConfig {
  readonly apns: ApnsCredentials | undefined;
  readonly fcm: FcmCredentials | undefined;
  /**
   * Privacy mode: notifications carry ids only (no text, no names) and the app fetches the content
   * when woken (APNs `mutable-content`, FCM data messages). `PUSH_ID_ONLY=true`.
   */
  readonly idOnly: boolean;
}

export const APNS_HOSTS = {
  production: 'https://api.push.apple.com',
  sandbox: 'https://api.sandbox.push.apple.com',
} as const;
export const FCM_ENDPOINT = 'https://fcm.googleapis.com';
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

type Env = Readonly<Record<string, string | undefined>>;
export type SecretReader = (secretId: string) => Promise<string>;

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new Error(`push credentials: ${what} is missing`);
  return value;
}

export function apnsFromJson(json: string, env: Env): ApnsCredentials {
  const raw = JSON.parse(json) as Record<string, unknown>;
  const environment = raw.environment === 'sandbox' ? 'sandbox' : 'production';
  return {
    teamId: text(raw.teamId, 'APNs teamId'),
    keyId: text(raw.keyId, 'APNs keyId'),
    privateKey: text(raw.privateKey, 'APNs privateKey'),
    topic: text(raw.topic, 'APNs topic'),
    endpoint: env.PUSH_APNS_ENDPOINT || APNS_HOSTS[environment],
  };
}

export function fcmFromJson(json: string, env: Env): FcmCredentials {
  const raw = JSON.parse(json) as Record<string, unknown>;
  return {
    projectId: text(raw.project_id, 'FCM project_id'),
    clientEmail: text(raw.client_email, 'FCM client_email'),
    privateKey: text(raw.private_key, 'FCM private_key'),
    privateKeyId: typeof raw.private_key_id === 'string' ? raw.private_key_id : undefined,
    tokenUri: typeof raw.token_uri === 'string' && raw.token_uri ? raw.token_uri : GOOGLE_TOKEN_URI,
    endpoint: env.PUSH_FCM_ENDPOINT || FCM_ENDPOINT,
  };
}

async function secretsManager(secretId: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('../shared/secrets-commands.ts');
  const client = new SecretsManagerClient({});
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!out.SecretString) throw new Error(`secret ${secretId} has no string value`);
    return out.SecretString;
  } finally {
    client.destroy();
  }
}

/** Reads the configuration from the environment (and the secrets it names). */
export async function loadPushConfig(
  env: Env = process.env,
  readSecret: SecretReader = secretsManager,
): Promise<PushConfig> {
  const source = async (arn: string | undefined, inline: string | undefined) =>
    arn ? readSecret(arn) : inline || undefined;
  const [apns, fcm] = await Promise.all([
    source(env.PUSH_APNS_SECRET_ARN, env.PUSH_APNS_CREDENTIALS),
    source(env.PUSH_FCM_SECRET_ARN, env.PUSH_FCM_CREDENTIALS),
  ]);
  return {
    apns: apns ? apnsFromJson(apns, env) : undefined,
    fcm: fcm ? fcmFromJson(fcm, env) : undefined,
    idOnly: env.PUSH_ID_ONLY === 'true' || env.PUSH_ID_ONLY === '1',
  };
}

/**
 * The Secrets Manager client and the one command this project sends, loaded on first use (`await
 * import` of this module): named imports let the bundler keep only these, where importing the
 * package itself would keep all of it (every command, error and schema).
 */
export { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

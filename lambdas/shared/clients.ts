/**
 * AWS SDK clients, created once per container on first use and injectable in tests.
 *
 * With `AWS_CALL_LOG_DIR` set (the test run only), every client created or injected here records the
 * AWS calls it makes (lambdas/shared/call-recorder.ts), for the IAM check of `scripts/check-iam.ts`.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CALL_LOG_DIR_ENV, recordCalls } from './call-recorder.ts';
import { config } from './config.ts';

let documentClient: DynamoDBDocumentClient | undefined;
let managementClient: ApiGatewayManagementApiClient | undefined;

/** Adds the call recorder to `client` when the environment asks for it; returns the client. */
export function instrument<T extends object>(client: T): T {
  const dir = process.env[CALL_LOG_DIR_ENV];
  return dir ? recordCalls(client, dir) : client;
}

export function getDocumentClient(): DynamoDBDocumentClient {
  if (!documentClient) {
    const { dynamoEndpoint } = config();
    const base = new DynamoDBClient({
      ...(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}),
      maxAttempts: 3,
    });
    documentClient = instrument(
      DynamoDBDocumentClient.from(base, {
        marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
        unmarshallOptions: { wrapNumbers: false },
      }),
    );
  }
  return documentClient;
}

export function getManagementClient(): ApiGatewayManagementApiClient {
  if (!managementClient) {
    const { managementEndpoint } = config();
    if (!managementEndpoint) throw new Error('WS_MANAGEMENT_ENDPOINT is not configured');
    managementClient = instrument(
      new ApiGatewayManagementApiClient({ endpoint: managementEndpoint, maxAttempts: 1 }),
    );
  }
  return managementClient;
}

/** Replace the container's clients (tests, the local stack). Pass `undefined` to recreate lazily. */
export function setClients(clients: {
  documentClient?: DynamoDBDocumentClient | undefined;
  managementClient?: ApiGatewayManagementApiClient | undefined;
}): void {
  if ('documentClient' in clients)
    documentClient = clients.documentClient && instrument(clients.documentClient);
  if ('managementClient' in clients)
    managementClient = clients.managementClient && instrument(clients.managementClient);
}

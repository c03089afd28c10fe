/**
 * A Management API client for unit tests whose calls never leave the process (aws-sdk-client-mock
 * or a middleware answers them): a fixed stage endpoint and static example credentials.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';

export function testManagementClient(): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint: 'https://example.execute-api.eu-west-1.amazonaws.com/prod',
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
}

/** A Management API client for the handlers that records every post attempt and its HTTP status. */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';

export interface PostRecord {
  readonly connectionId: string;
  readonly status: number;
  /** performance.now() when the attempt finished. */
  readonly at: number;
}

export function countingClient(endpoint: string, posts: PostRecord[]): ApiGatewayManagementApiClient {
  const client = new ApiGatewayManagementApiClient({ endpoint, maxAttempts: 1 });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PostToConnectionCommand') return next(args);
      const connectionId = String((args.input as { ConnectionId?: string }).ConnectionId);
      try {
        const out = await next(args);
        posts.push({ connectionId, status: 200, at: performance.now() });
        return out;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
        posts.push({ connectionId, status, at: performance.now() });
        throw error;
      }
    },
    { step: 'initialize', name: 'countPosts' },
  );
  return client;
}

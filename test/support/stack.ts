/** Test helpers: a local stack per test file on the shared DynamoDB Local, tokens, table peeks. */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';
import { type DevTokenOptions, devToken } from '../../local/token.ts';

export interface TestStack extends LocalStack {
  /** Every item of a partition (for asserting what was written). */
  items(pk: string): Promise<Record<string, unknown>[]>;
  token(userId: string, options?: DevTokenOptions): Promise<string>;
  /** ws URL with a fresh token for `userId`. */
  urlFor(userId: string, options?: DevTokenOptions): Promise<string>;
}

export function uniqueId(prefix = 'u'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  const stack = await startLocalStack({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `test-${randomBytes(4).toString('hex')}`,
    // The event pipeline (stream poller, push stand-ins) only where a suite asks for it.
    pipeline: false,
    ...options,
  });
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  const tokenDefaults: DevTokenOptions = {
    ...(options.env?.JWT_ISSUER ? { issuer: options.env.JWT_ISSUER } : {}),
    ...(options.env?.JWT_AUDIENCE ? { audience: options.env.JWT_AUDIENCE } : {}),
  };
  return {
    ...stack,
    async items(pk) {
      const out = await doc.send(
        new QueryCommand({
          TableName: stack.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
        }),
      );
      return out.Items ?? [];
    },
    token: (userId, opts) => devToken(userId, { ...tokenDefaults, ...opts }),
    async urlFor(userId, opts) {
      return `${stack.url}/?token=${await devToken(userId, { ...tokenDefaults, ...opts })}`;
    },
    async stop() {
      doc.destroy();
      await stack.stop();
    },
  };
}

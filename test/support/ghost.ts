/**
 * Sockets that vanished after being open a while (a phone that lost its network): the gateway drops
 * them without `$disconnect`, and their records look older than `HANDSHAKE_SECONDS`, so the next post
 * that gets 410 forgets them. A socket that vanishes within its first 60 s (`HANDSHAKE_SECONDS`) is not forgotten on a 410
 * (it may still be inside its `$connect`), which is why the cleanup suites age their ghosts first.
 * Aging rewrites the expiry (connection time + TTL) of the socket's connection record and of every
 * roster entry it has (a Scan of the test's own table: fine for a test, never in the product).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { HANDSHAKE_SECONDS } from '../../lambdas/data/items.ts';
import { TTL_ATTRIBUTE } from '../../lambdas/data/keys.ts';
import type { TestStack } from './stack.ts';

export interface SocketRef {
  readonly userId: string;
  readonly connectionId: string;
}

/** Makes the socket's records look `seconds` older (default: just past the handshake window). */
export async function ageSocket(
  stack: TestStack,
  socket: SocketRef,
  seconds = HANDSHAKE_SECONDS + 5,
): Promise<number> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  try {
    const sks = [`CONN#${socket.connectionId}`, `ONLINE#${socket.userId}#${socket.connectionId}`];
    const found = await doc.send(
      new ScanCommand({
        TableName: stack.tableName,
        FilterExpression: 'sk IN (:a, :b)',
        ExpressionAttributeValues: { ':a': sks[0], ':b': sks[1] },
        ConsistentRead: true,
      }),
    );
    const items = found.Items ?? [];
    await Promise.all(
      items.map((item) =>
        doc.send(
          new UpdateCommand({
            TableName: stack.tableName,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET #ttl = #ttl - :s',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':s': seconds },
          }),
        ),
      ),
    );
    return items.length;
  } finally {
    doc.destroy();
  }
}

/** Ages the socket's records, then drops it at the gateway without a close or `$disconnect`. */
export async function vanishSocket(stack: TestStack, socket: SocketRef): Promise<void> {
  await ageSocket(stack, socket);
  stack.gateway.vanish(socket.connectionId);
}

/** A writer that allocated a chat's next seq (and version) ten minutes ago and died before its put. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export async function abandonAllocation(
  stack: { readonly dynamoEndpoint: string; readonly tableName: string },
  chatId: string,
): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  try {
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: `CHAT#${chatId}`, sk: 'META' },
        UpdateExpression: 'SET lastSeq = lastSeq + :one, lastVer = lastVer + :one, lastAllocAt = :old',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1, ':old': Date.now() - 600_000 },
      }),
    );
  } finally {
    doc.destroy();
  }
}

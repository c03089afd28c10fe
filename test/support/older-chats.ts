/**
 * Direct chats and blocks as they were stored before the blocks' mirror (`blockedSenders` and
 * `blocksMirrored` on a direct chat's META, lambdas/domain/block-mirror.ts), or before the pair on
 * it (`pair`, lambdas/domain/views.ts `peerFor`), staged by raw writes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TestStack } from './stack.ts';

async function write(stack: TestStack, command: PutCommand | UpdateCommand): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  try {
    await (command instanceof PutCommand ? doc.send(command) : doc.send(command));
  } finally {
    doc.destroy();
  }
}

/** Removes the mirror from a chat's META, as if it was created before the mirror existed. */
export function olderThanTheMirror(stack: TestStack, chatId: string): Promise<void> {
  return write(
    stack,
    new UpdateCommand({
      TableName: stack.tableName,
      Key: { pk: `CHAT#${chatId}`, sk: 'META' },
      UpdateExpression: 'REMOVE blocksMirrored, blockedSenders',
      ConditionExpression: 'attribute_exists(pk)',
    }),
  );
}

/** Removes the pair from a direct chat's META, as if it was created before META named it. */
export function olderThanThePair(stack: TestStack, chatId: string): Promise<void> {
  return write(
    stack,
    new UpdateCommand({
      TableName: stack.tableName,
      Key: { pk: `CHAT#${chatId}`, sk: 'META' },
      UpdateExpression: 'REMOVE pair',
      ConditionExpression: 'attribute_exists(pk)',
    }),
  );
}

/** Stores a block item alone, as blocks were stored before the mirror. */
export function blockBeforeTheMirror(stack: TestStack, blockerId: string, blockedId: string): Promise<void> {
  return write(
    stack,
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        pk: `USER#${blockerId}`,
        sk: `BLOCK#${blockedId}`,
        itemType: 'block',
        blockerId,
        blockedId,
        createdAt: new Date().toISOString(),
      },
    }),
  );
}

/** A chat's META item as stored. */
export async function metaOf(stack: TestStack, chatId: string): Promise<Record<string, unknown>> {
  const meta = (await stack.items(`CHAT#${chatId}`)).find((item) => item.sk === 'META');
  if (!meta) throw new Error(`no META for chat ${chatId}`);
  return meta;
}

/** The test stack's table as the handlers see it, for tests that read or write around the API. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { ChatStore } from '../../lambdas/data/store.ts';
import { standIn, type TestStack } from './stack.ts';

export interface TableStore {
  readonly doc: DynamoDBDocumentClient;
  readonly store: ChatStore;
}

/** A document client and a ChatStore on `stack`'s table: made before the file's tests, destroyed after. */
export function useTableStore(stack: TestStack): TableStore {
  let current: TableStore | undefined;
  beforeAll(() => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
    current = { doc, store: new ChatStore(doc, stack.tableName) };
  });
  afterAll(() => {
    current?.doc.destroy();
    current = undefined;
  });
  return standIn(() => current, 'The table store is not ready: use it in a hook or a test.');
}

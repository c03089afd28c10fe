/**
 * The data layer over a mocked document client (aws-sdk-client-mock): AWS cannot run here, and these
 * tests pin each access pattern's request shape; the end-to-end suites run the same code against
 * DynamoDB Local.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach } from 'vitest';
import { ChatStore } from '../../../lambdas/data/store.ts';
import { TableClient } from '../../../lambdas/data/table-client.ts';

export const TABLE_NAME = 'chat-test';

/** A mocked document client, reset before each test, and a store and table client on it. */
export function useMockTable() {
  const ddb = mockClient(DynamoDBDocumentClient);
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
  beforeEach(() => {
    ddb.reset();
  });
  afterAll(() => {
    ddb.restore();
  });
  return { ddb, store: new ChatStore(client, TABLE_NAME), table: new TableClient(client, TABLE_NAME) };
}

/** An item in DynamoDB's wire format, as refused writes return it. */
export type WireItem = Record<
  string,
  { S: string } | { N: string } | { BOOL: boolean } | { NULL: true } | { SS: string[] }
>;

/** A refused single write; `item` is what `ALL_OLD` returns. */
export const conditionFailed = (item?: WireItem) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: item } : {}),
  });

/** A cancelled transaction, one reason per action. */
export const cancelled = (...reasons: { Code: string; Item?: WireItem }[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons,
  });

export const ok = { Code: 'None' } as const;
export const refused = (Item?: WireItem) => ({ Code: 'ConditionalCheckFailed', ...(Item ? { Item } : {}) });

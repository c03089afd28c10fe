/**
 * A data-layer store whose reads are metered, for tests of what an access pattern costs: each Query
 * in read units as DynamoDB Local reports them (`ReturnConsumedCapacity`), each BatchGetItem key at 0.5
 * (a key of at most 4 KB, eventually consistent, found or not: DynamoDB Local reports 0 for absent
 * ones, AWS bills them), and the number of Queries (DynamoDB Local bills an empty Query 0 units, AWS
 * 0.5, so a test of "one Query" counts them).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ChatStore } from '../../lambdas/data/store.ts';

export interface MeteredStore {
  readonly store: ChatStore;
  /** Read units since the store was made. */
  units(): number;
  /** Queries since the store was made. */
  queries(): number;
  close(): void;
}

export function meteredStore(stack: {
  readonly dynamoEndpoint: string;
  readonly tableName: string;
}): MeteredStore {
  const raw = new DynamoDBClient({ endpoint: stack.dynamoEndpoint });
  let units = 0;
  let queries = 0;
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (context.commandName === 'QueryCommand') {
        input.ReturnConsumedCapacity = 'TOTAL';
        queries += 1;
      }
      if (context.commandName === 'BatchGetItemCommand') {
        const requests = Object.values(input.RequestItems as Record<string, { Keys: unknown[] }>);
        units += requests.reduce((sum, r) => sum + r.Keys.length * 0.5, 0);
      }
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
      if (context.commandName === 'QueryCommand') units += consumed?.CapacityUnits ?? 0;
      return out;
    },
    { step: 'initialize', name: 'meterReads' },
  );
  const doc = DynamoDBDocumentClient.from(raw);
  return {
    store: new ChatStore(doc, stack.tableName),
    units: () => units,
    queries: () => queries,
    close: () => doc.destroy(),
  };
}

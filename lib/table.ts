/**
 * The one DynamoDB table of the product (single-table design).
 *
 * Both the CDK stack and the local stack (DynamoDB Local) build the table from this definition, so
 * the key schema, the secondary indexes and the TTL attribute cannot drift between the two.
 * The key layout of every item kind lives in `lambdas/data/keys.ts`.
 */
export interface IndexDefinition {
  /** Index name, as used in Query's `IndexName`. */
  readonly indexName: string;
  /** Partition key attribute (always a string). */
  readonly partitionKey: string;
  /** Sort key attribute (always a string). */
  readonly sortKey: string;
  /**
   * Non-key attributes projected into the index (an INCLUDE projection). Only attributes that never
   * change after the item is written belong here, so that updates of other attributes (such as a
   * member's read cursor) do not also write the index.
   */
  readonly nonKeyAttributes: readonly string[];
}

/**
 * A local secondary index: same partition key as the table, another sort key. Reads can be strongly
 * consistent (a GSI's cannot), which is why the change feed and the clientMessageId lookup use LSIs.
 * LSIs exist only if they are created with the table, and they cap each partition (one chat) at
 * 10 GB of items: docs/data-model.md has the numbers.
 */
export interface LocalIndexDefinition {
  readonly indexName: string;
  /** Sort key attribute (always a string); only items that carry it are in the index. */
  readonly sortKey: string;
}

export interface TableDefinition {
  /** Partition key attribute of the base table (string). */
  readonly partitionKey: string;
  /** Sort key attribute of the base table (string). */
  readonly sortKey: string;
  /** Attribute holding an epoch-seconds expiry; DynamoDB TTL deletes expired items. */
  readonly ttlAttribute: string;
  /** Global secondary indexes (INCLUDE projections). */
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
  /** Local secondary indexes (KEYS_ONLY projections; queries fetch the rest from the table). */
  readonly localSecondaryIndexes: readonly LocalIndexDefinition[];
  /**
   * The table's DynamoDB Stream: which images each change record carries. Stream consumers
   * (lambdas/pipeline, lib/stream-consumers.ts) read it: on AWS through Lambda event source mappings,
   * locally through the stream poller of local/streams.ts.
   */
  readonly streamViewType?: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';
}

export const TABLE: TableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  globalSecondaryIndexes: [
    /** gsi1: a user's chat memberships (`USER#<userId>` → `CHAT#<chatId>`), with the chat's kind and peer. */
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', nonKeyAttributes: ['kind', 'peerId'] },
    /**
     * gsi2: the due index of scheduled messages (`DUE#<shard>` → send time), keys only. Sparse: only
     * scheduled messages still to go out carry its keys, so a sweep reads what is due and nothing else.
     */
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', nonKeyAttributes: [] },
  ],
  localSecondaryIndexes: [
    /** lsi1: a chat's messages by the version of their latest change (`VER#<ver>`): `sync`. */
    { indexName: 'lsi1', sortKey: 'lsi1sk' },
    /** lsi2: a chat's messages by sender and clientMessageId (`CMID#<sender>#<id>`): exactly-once. */
    { indexName: 'lsi2', sortKey: 'lsi2sk' },
  ],
  streamViewType: 'NEW_AND_OLD_IMAGES',
};

/** The environment variable through which every function learns the table name. */
export const TABLE_NAME_ENV = 'TABLE_NAME';
/** The environment variable carrying the API Gateway Management API endpoint (https://…/stage). */
export const MANAGEMENT_ENDPOINT_ENV = 'WS_MANAGEMENT_ENDPOINT';

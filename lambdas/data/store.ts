/**
 * The data-access module: every DynamoDB access pattern of the product, by name. Nothing else in
 * the code base talks to DynamoDB. Every pattern is a key lookup, a Query or a (transactional)
 * write on known keys: there is no Scan.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { getDocumentClient } from '../shared/clients.ts';
import { config } from '../shared/config.ts';
import { keys, PREFIX, stripPrefix, userPk } from './keys.ts';

/** Connections live a little past API Gateway's 2-hour hard limit, then TTL removes leftovers. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 10 * 60;

export interface ConnectionRecord {
  readonly userId: string;
  readonly connectionId: string;
  readonly connectedAt: string;
}

export interface Profile {
  readonly userId: string;
  readonly name: string;
  readonly lastSeenAt: string | null;
}

/** Named access patterns over the single table. */
export class ChatStore {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    readonly now: () => Date = () => new Date(),
  ) {}

  // ── Connections ────────────────────────────────────────────────────────────────────────────

  /** AP: store a connection in its user's connection index (`$connect`). */
  async putConnection(conn: ConnectionRecord): Promise<void> {
    const ttl = Math.floor(Date.parse(conn.connectedAt) / 1000) + CONNECTION_TTL_SECONDS;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.connection(conn.userId, conn.connectionId), ...conn, kind: 'connection', ttl },
      }),
    );
  }

  /** AP: remove one connection (`$disconnect`, or a stale one found by fan-out). */
  async deleteConnection(userId: string, connectionId: string): Promise<boolean> {
    const out = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.connection(userId, connectionId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }

  /** AP: a user's open connections (Query on `USER#<id>`, `CONN#` prefix; expired ones skipped). */
  async listConnections(userId: string): Promise<string[]> {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: '#ttl > :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':pk': userPk(userId),
            ':prefix': PREFIX.connection,
            ':now': nowSeconds,
          },
          ProjectionExpression: 'sk',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) ids.push(stripPrefix(String(item.sk), PREFIX.connection));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return ids;
  }

  /** AP: record the user's display name and last-seen time on their profile. */
  async touchProfile(userId: string, name: string, lastSeenAt: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.profile(userId),
        UpdateExpression: 'SET #name = :name, lastSeenAt = :seen, userId = :uid, kind = :kind',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':name': name, ':seen': lastSeenAt, ':uid': userId, ':kind': 'profile' },
      }),
    );
  }
}

let shared: ChatStore | undefined;

/** The container's store, built on the shared document client. */
export function store(): ChatStore {
  shared ??= new ChatStore(getDocumentClient(), config().tableName);
  return shared;
}

/** Replace the container's store (tests). */
export function setStore(next: ChatStore | undefined): void {
  shared = next;
}

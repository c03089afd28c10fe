/**
 * The open connections in a user's partition (`USER#<userId>`; the profile: profiles.ts).
 * Every public method is one access pattern (all of them are listed in docs/data-model.md).
 */
import { CONNECTION, CONNECTION_TTL_SECONDS, type ConnectionRecord } from './items.ts';
import { type Key, keys, PREFIX, stripPrefix, TTL_ATTRIBUTE, userPk } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

const notExpired = '#ttl > :now';

/** An open connection of a user and when its record expires (epoch seconds). */
export interface OpenConnection {
  readonly connectionId: string;
  readonly expiresAt: number;
}

export class ConnectionRepository {
  constructor(private readonly table: TableClient) {}

  /** Stores a connection in its user's partition (`$connect`); TTL removes it if `$disconnect` never comes. */
  async put(connection: ConnectionRecord): Promise<void> {
    await this.table.put({ Item: CONNECTION.toItem(connection) });
  }

  /**
   * Removes one connection (`$disconnect`). Whether this delete removed it (the one that does gives
   * its socket slot back: not when a 410 cleanup removed it first, which gave it back itself).
   */
  async delete(userId: string, connectionId: string): Promise<boolean> {
    const old = await this.table.delete({
      Key: keys.connection(userId, connectionId),
      ReturnValues: 'ALL_OLD',
    });
    return old !== undefined;
  }

  /**
   * Removes a connection that answered 410, unless it was stored after `connectedBefore` (epoch
   * seconds): such a socket may still be inside its `$connect` (not open yet, so also 410), and its
   * record must stay. One conditional DeleteItem on the record's expiry (its connection time plus
   * the TTL). `young` when it was kept; `absent` when nothing was there (someone else removed it:
   * only the delete that removes the record gets `removed`, so its slot is given back once).
   */
  async deleteIfSettled(
    userId: string,
    connectionId: string,
    connectedBefore: number,
  ): Promise<SettledDelete> {
    return deleteIfSettled(this.table, keys.connection(userId, connectionId), connectedBefore);
  }

  /**
   * The ids of a user's open connections (Query `USER#<id>`, prefix `CONN#`; expired ones skipped).
   * Fan-out and presence decisions read consistently; `getPresence` may read eventually consistent.
   */
  async listIds(userId: string, options: { consistent?: boolean } = {}): Promise<string[]> {
    return (await this.list(userId, options)).map((c) => c.connectionId);
  }

  /**
   * A user's open connections with their expiry (epoch seconds): the same Query as `listIds`. Group
   * rosters list a socket until its connection expires.
   */
  async list(userId: string, options: { consistent?: boolean } = {}): Promise<OpenConnection[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: notExpired,
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: {
        ':pk': userPk(userId),
        ':prefix': PREFIX.connection,
        ':now': Math.floor(Date.now() / 1000),
      },
      ProjectionExpression: 'sk, #ttl',
      ConsistentRead: options.consistent ?? false,
    });
    return items.map((item) => ({
      connectionId: stripPrefix(String(item.sk), PREFIX.connection),
      expiresAt: Number(item[TTL_ATTRIBUTE]),
    }));
  }
}

/** What a conditional delete of a socket's record did: removed it, found nothing, or kept it (too young). */
export type SettledDelete = 'removed' | 'absent' | 'young';

/**
 * The conditional delete of a socket's record (its connection or a roster entry: both expire at
 * the connection time plus `CONNECTION_TTL_SECONDS`): only when the socket connected at or before
 * `connectedBefore` (epoch seconds), or when the record is not there (`absent`: the old item,
 * `ALL_OLD`, tells whether this delete removed it).
 */
export function deleteIfSettled(
  table: TableClient,
  Key: Key,
  connectedBefore: number,
): Promise<SettledDelete> {
  return ifConditionFails(
    table
      .delete({
        Key,
        ConditionExpression: 'attribute_not_exists(#ttl) OR #ttl <= :limit',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':limit': connectedBefore + CONNECTION_TTL_SECONDS },
        ReturnValues: 'ALL_OLD',
      })
      .then((old) => (old === undefined ? 'absent' : 'removed')),
    () => 'young' as const,
  );
}

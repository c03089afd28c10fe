/**
 * Group rosters: the open sockets of a group's members, kept in the group's own partition
 * (`ROSTER#<chatId>`, one small item per socket) so that one Query finds every socket a group event
 * goes to. Its cost follows the members who are online, not the member count. `$connect` adds the
 * new socket to the roster of each of the user's groups, `$disconnect` removes it; invite adds the
 * sockets of new members, removeMember drops the removed member's, deleteChat the whole roster, and
 * a post answered 410 the gone socket's entry. Entries expire with their connection (TTL).
 *
 * Join markers (`USER#<userId>`/`JOINED#<chatId>`, 15 minutes) close the one race the membership
 * index cannot: a user who connects while being added to a group. The inviter writes the membership
 * and the marker, then reads the user's sockets (consistently); `$connect` writes its connection,
 * then reads the markers (consistently). Whichever comes second sees the other, so the new socket
 * ends up in the roster either way (the membership index alone may lag behind the membership).
 * Every public method is one access pattern (all of them are listed in docs/data-model.md).
 */
import { deleteIfSettled, type SettledDelete } from './connections.ts';
import type { Item } from './item.ts';
import { JOIN_MARKER, JOIN_MARKER_TTL_SECONDS, ROSTER_ENTRY } from './items.ts';
import { keys, onlinePrefix, PREFIX, rosterPk, stripPrefix, TTL_ATTRIBUTE, userPk } from './keys.ts';
import type { TableClient } from './table-client.ts';

/** A socket listed in a roster. */
export interface RosterSocket {
  readonly userId: string;
  readonly connectionId: string;
}

/** A socket to list in a group's roster, until `expiresAt` (epoch seconds, its connection's TTL). */
export interface RosterEntry extends RosterSocket {
  readonly chatId: string;
  readonly expiresAt: number;
}

const notExpired = '#ttl > :now';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** `ONLINE#<userId>#<connectionId>` → its socket (ids never contain `#`). */
function socketOf(sk: string): RosterSocket | undefined {
  const rest = stripPrefix(sk, PREFIX.online);
  const cut = rest.indexOf('#');
  if (cut <= 0 || cut === rest.length - 1) return undefined;
  return { userId: rest.slice(0, cut), connectionId: rest.slice(cut + 1) };
}

export class RosterRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Every unexpired socket in a group's roster (Query `ROSTER#<chatId>`, consistent: a socket
   * whose `$connect` finished before this read is in it). `consistent: false` reads at half the
   * price for who may be online (the push plan), where a just-listed socket may be missed.
   */
  async list(chatId: string, options: { consistent?: boolean } = {}): Promise<RosterSocket[]> {
    return this.#query(rosterPk(chatId), PREFIX.online, options.consistent ?? true).then((items) =>
      items.flatMap((item) => socketOf(String(item.sk)) ?? []),
    );
  }

  /**
   * Up to `max` unexpired sockets of a group's roster, read eventually consistently (`consistent`:
   * strongly); undefined when it lists more. Pages of `max + 1` entries, stopping at the first that
   * brings more than `max`: a big group costs about `max` entries (plus expired ones TTL has not
   * removed yet), not its whole roster. What a best-effort event reads (`typing`:
   * lambdas/fanout/ephemeral.ts), and, consistently, a receipt (lambdas/domain/receipts.ts).
   */
  async listUpTo(
    chatId: string,
    max: number,
    options: { consistent?: boolean } = {},
  ): Promise<RosterSocket[] | undefined> {
    const found: RosterSocket[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.table.queryPage({
        ...this.#queryInput(rosterPk(chatId), PREFIX.online, options.consistent ?? false),
        Limit: max + 1,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      found.push(...page.items.flatMap((item) => socketOf(String(item.sk)) ?? []));
      if (found.length > max) return undefined;
      startKey = page.lastKey;
    } while (startKey);
    return found;
  }

  /** One member's sockets in a group's roster (Query, prefix `ONLINE#<userId>#`, consistent). */
  async listMember(chatId: string, userId: string): Promise<RosterSocket[]> {
    return this.#query(rosterPk(chatId), onlinePrefix(userId)).then((items) =>
      items.flatMap((item) => socketOf(String(item.sk)) ?? []),
    );
  }

  /** Lists sockets in rosters (BatchWriteItem puts, 25 a call, a few calls in parallel). */
  async add(entries: readonly RosterEntry[]): Promise<void> {
    await this.#batches(entries.map((e) => ({ PutRequest: { Item: ROSTER_ENTRY.toItem(e) } })));
  }

  /** Removes sockets from rosters (BatchWriteItem deletes). */
  async remove(entries: readonly (RosterSocket & { readonly chatId: string })[]): Promise<void> {
    await this.#batches(
      entries.map((e) => ({ DeleteRequest: { Key: keys.rosterEntry(e.chatId, e.userId, e.connectionId) } })),
    );
  }

  /**
   * Removes one socket from one roster after a 410, unless the socket connected after
   * `connectedBefore` (epoch seconds; see `ConnectionRepository.deleteIfSettled`).
   */
  async removeIfSettled(
    chatId: string,
    socket: RosterSocket,
    connectedBefore: number,
  ): Promise<SettledDelete> {
    return deleteIfSettled(
      this.table,
      keys.rosterEntry(chatId, socket.userId, socket.connectionId),
      connectedBefore,
    );
  }

  /** Removes a whole roster (a deleted group): its Query, then BatchWriteItem deletes. */
  async clear(chatId: string): Promise<void> {
    await this.remove((await this.list(chatId)).map((s) => ({ ...s, chatId })));
  }

  /** Notes in each user's partition that they just joined `chatId` (BatchWriteItem puts). */
  async markJoined(userIds: readonly string[], chatId: string): Promise<void> {
    const expiresAt = nowSeconds() + JOIN_MARKER_TTL_SECONDS;
    await this.#batches(
      userIds.map((userId) => ({ PutRequest: { Item: JOIN_MARKER.toItem({ userId, chatId, expiresAt }) } })),
    );
  }

  /** The groups a user joined in the last minutes (Query `USER#<id>`, prefix `JOINED#`, consistent). */
  async recentJoins(userId: string): Promise<string[]> {
    const items = await this.#query(userPk(userId), PREFIX.joined);
    return items.map((item) => stripPrefix(String(item.sk), PREFIX.joined));
  }

  #query(pk: string, prefix: string, consistent = true): Promise<Item[]> {
    return this.table.queryAll(this.#queryInput(pk, prefix, consistent));
  }

  #queryInput(pk: string, prefix: string, consistent: boolean) {
    return {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: notExpired,
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix, ':now': nowSeconds() },
      ProjectionExpression: 'sk',
      ConsistentRead: consistent,
    };
  }

  async #batches(
    requests: ({ PutRequest: { Item: Item } } | { DeleteRequest: { Key: { pk: string; sk: string } } })[],
  ): Promise<void> {
    if (requests.length > 0) await this.table.batchWrite(requests);
  }
}

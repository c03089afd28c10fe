/**
 * Group rosters: the open sockets of a group's members, kept in the group's own partition
 * (`ROSTER#<chatId>`, one small item per socket) so that one Query finds every socket a group event
 * goes to. Its cost follows the members who are online, not the member count. `$connect` adds the
 * new socket to the roster of each of the user's groups, `$disconnect` removes it; invite adds the
 * sockets of new members, removeMember drops the removed member's, deleteChat the whole roster, and
 * a post answered 410 the gone socket's entry. Entries expire with their connection (TTL).
 *
 * Join markers (`USER#<userId>`/`JOINED#<expiry>#<chatId>`, 15 minutes) close the one race the
 * membership index cannot: a user who connects while being added to a group. The inviter writes the
 * membership and the marker, then reads the user's sockets (consistently); `$connect` writes its
 * connection, then reads the markers (consistently). Whichever comes second sees the other, so the
 * new socket ends up in the roster either way (the membership index alone may lag behind the
 * membership). A marker outlives a removal, so `$connect` lists a marked group the index does not
 * show only once a consistent read finds the membership (lambdas/domain/rosters.ts). Other users write a user's markers (20 createChat and 20 invite a minute each) and
 * TTL deletes them up to ~48 h after they expired, so `$connect` reads the live ones only: the
 * expiry leads the sort key, and the Query's key range starts at the present (`recentJoins`).
 * Every public method is one access pattern (all of them are listed in docs/data-model.md).
 */
import { deleteIfSettled, type SettledDelete } from './connections.ts';
import type { Item } from './item.ts';
import { JOIN_MARKER, JOIN_MARKER_TTL_SECONDS, ROSTER_ENTRY } from './items.ts';
import {
  keys,
  numbered,
  onlinePrefix,
  PREFIX,
  rosterPk,
  stripPrefix,
  TTL_ATTRIBUTE,
  userPk,
} from './keys.ts';
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

/**
 * The most join markers `$connect` reads: far more groups than a person joins in 15 minutes. Only
 * someone adding a user to groups in bulk (and deleting them, or removing the user, since: the
 * markers stay) has more live at once; then the newest are read, and the membership index has the
 * older ones by then.
 */
export const RECENT_JOINS_MAX = 100;

/** Above every marker keyed by its expiry (`:` follows the digits), below every one from before. */
const JOINED_DIGITS_END = 'JOINED#:';
/** Above every join marker's sort key (`$` follows `#`). */
const JOINED_END = 'JOINED$';

/** `JOINED#<expiry, 12 digits>#<chatId>`, or from before `JOINED#<chatId>` (ids never contain `#`). */
const JOINED_SK = /^JOINED#(?:\d+#)?([^#]+)$/;

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

  /**
   * The groups a user joined in the last minutes: two consistent Queries of `USER#<id>`, side by side,
   * at most `RECENT_JOINS_MAX` markers each (one page). One reads sort keys from `JOINED#<now + 1>` to
   * `JOINED#:` (digits only), newest first: the live markers, however many expired ones TTL has not
   * deleted yet. The other reads the markers from before the expiry led the key (`JOINED#<chatId>`;
   * ids start with a letter, so they sort after `JOINED#:`), filtered on the expiry, so that a join an
   * older invite marked during an update is not missed and their expired ones cannot hide the live
   * ones of the first range. Once every such marker has expired (15 minutes after the update), the
   * second finds nothing; it can go in a later release, once TTL has deleted them (~2 days:
   * docs/deploy.md, "Upgrading").
   */
  async recentJoins(userId: string): Promise<string[]> {
    const now = nowSeconds();
    const markers = (from: string, newestFirst: boolean) =>
      this.table.query({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        FilterExpression: notExpired,
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':pk': userPk(userId),
          ':from': from,
          ':to': newestFirst ? JOINED_DIGITS_END : JOINED_END,
          ':now': now,
        },
        ProjectionExpression: 'sk',
        ConsistentRead: true,
        ScanIndexForward: !newestFirst,
        Limit: RECENT_JOINS_MAX,
      });
    const pages = await Promise.all([
      markers(numbered(PREFIX.joined, now + 1), true),
      markers(JOINED_DIGITS_END, false),
    ]);
    return [...new Set(pages.flat().flatMap((item) => JOINED_SK.exec(String(item.sk))?.[1] ?? []))];
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

/**
 * Where the fan-out finds sockets: per user (the connection records in each user's partition: one
 * Query per user, for direct chats and presence) or per group (the group's roster: one Query for
 * the whole group), and how it forgets a socket that turned out to be gone.
 */
import { HANDSHAKE_SECONDS } from '../data/items.ts';
import type { ChatStore } from '../data/store.ts';
import { mapSettled } from '../shared/concurrency.ts';
import type { Target } from './delivery.ts';

export interface SocketDirectory {
  /** The open sockets of these users (one consistent lookup per user). */
  socketsOfUsers(userIds: readonly string[]): Promise<Target[]>;
  /** The sockets a group's roster lists (one Query, consistent). */
  socketsOfGroup(chatId: string): Promise<Target[]>;
  /**
   * A socket answered 410: forget its connection record and, when the post was for a group, its
   * entry in that group's roster. Exactly those items, nothing else; and not while the socket may
   * still be inside its `$connect` (stored within `HANDSHAKE_SECONDS`: the gateway answers 410 for
   * it too). Whether it was forgotten (false: too young, kept).
   */
  gone(target: Target, chatId: string | undefined): Promise<boolean>;
}

/** The directory over the table (what the handlers and the worker use). */
export class StoreDirectory implements SocketDirectory {
  constructor(
    private readonly store: Pick<ChatStore, 'connections' | 'rosters'>,
    /** Connection lookups in flight at once. */
    private readonly concurrency = 16,
  ) {}

  async socketsOfUsers(userIds: readonly string[]): Promise<Target[]> {
    const targets: Target[] = [];
    await mapSettled([...new Set(userIds)], this.concurrency, async (userId) => {
      // Consistent, as rosters are: a socket stored before the lookup is found (send.ts's argument).
      for (const connectionId of await this.store.connections.listIds(userId, { consistent: true })) {
        targets.push({ userId, connectionId });
      }
    });
    return targets;
  }

  socketsOfGroup(chatId: string): Promise<Target[]> {
    return this.store.rosters.list(chatId);
  }

  async gone(target: Target, chatId: string | undefined): Promise<boolean> {
    const connectedBefore = Math.floor(Date.now() / 1000) - HANDSHAKE_SECONDS;
    const outcomes = await Promise.all([
      this.store.connections.deleteIfSettled(target.userId, target.connectionId, connectedBefore),
      chatId === undefined ? undefined : this.store.rosters.removeIfSettled(chatId, target, connectedBefore),
    ]);
    return !outcomes.includes('young');
  }
}

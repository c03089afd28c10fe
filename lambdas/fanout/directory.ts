/**
 * Where the fan-out finds sockets: per user (the connection records in each user's partition: one
 * Query per user, for direct chats and presence) or per group (the group's roster: one Query for
 * the whole group), and how it forgets a socket that turned out to be gone.
 *
 * A lookup that fails is never skipped in silence: a user's Query is tried `LOOKUP_ATTEMPTS` times
 * (the shared backoff, on top of the SDK client's own retries), then the whole call fails with
 * `SocketLookupFailed`, naming those users and carrying the sockets found of the others, as a
 * failed roster Query fails the call. The fan-out hands such users to its queue (fanout.ts).
 */
import { HANDSHAKE_SECONDS } from '../data/items.ts';
import type { ChatStore } from '../data/store.ts';
import { mapSettled } from '../shared/concurrency.ts';
import { logger } from '../shared/logger.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import type { Target } from './delivery.ts';

/** Tries of one user's connection lookup, and the backoff between them. */
export const LOOKUP_ATTEMPTS = 3;
const LOOKUP_BACKOFF: Backoff = { baseMs: 50, capMs: 500 };

/** Some users' sockets could not be looked up (after the retries): who, and what was found. */
export class SocketLookupFailed extends Error {
  override readonly name = 'SocketLookupFailed';
  constructor(
    /** The users whose connections could not be read. */
    readonly userIds: readonly string[],
    /** The sockets of the other users. */
    readonly found: readonly Target[],
    options?: { cause?: unknown },
  ) {
    super(`The sockets of ${userIds.length} user(s) could not be looked up ("userIds").`, options);
  }
}

export interface SocketDirectory {
  /**
   * The open sockets of these users (one consistent lookup per user, retried); rejects with
   * `SocketLookupFailed` when some could not be looked up. `bestEffort` (ephemeral events): one
   * eventually consistent try per user, and a user whose lookup failed is left out (logged).
   */
  socketsOfUsers(userIds: readonly string[], options?: { readonly bestEffort?: boolean }): Promise<Target[]>;
  /** The sockets a group's roster lists (one Query, consistent). */
  socketsOfGroup(chatId: string): Promise<Target[]>;
  /**
   * Up to `max` sockets a group's roster lists, read eventually consistently (`consistent`:
   * strongly); undefined when it lists more (ephemeral events: lambdas/fanout/ephemeral.ts; receipts:
   * lambdas/domain/receipts.ts).
   */
  someSocketsOfGroup(
    chatId: string,
    max: number,
    options?: { readonly consistent?: boolean },
  ): Promise<Target[] | undefined>;
  /**
   * A socket answered 410: forget its connection record and, when the post was for a group, its
   * entry in that group's roster. Exactly those items, nothing else; and not while the socket may
   * still be inside its `$connect` (stored within `HANDSHAKE_SECONDS`: the gateway answers 410 for
   * it too). When this removed the record, the user's socket slot is given back (socket-count.ts):
   * the socket's `$disconnect`, if it comes, then finds no record and gives back nothing; and when
   * that was the user's last socket, their going offline is checked (`lastSocketGone`), unless this
   * is a presence `probe` (presence.ts decides that itself). Whether it was forgotten (false: too
   * young, kept).
   */
  gone(target: Target, chatId: string | undefined, options?: { readonly probe?: boolean }): Promise<boolean>;
}

export interface StoreDirectoryHooks {
  /**
   * A gone socket's record was removed and a consistent read found no other socket of the user:
   * its `$disconnect` may never come, so this runs what it would (deps.ts: a job for the fan-out
   * worker, which runs presence.ts `wentOffline`).
   */
  readonly lastSocketGone?: (userId: string) => Promise<void>;
}

/** The directory over the table (what the handlers and the worker use). */
export class StoreDirectory implements SocketDirectory {
  constructor(
    private readonly store: Pick<ChatStore, 'connections' | 'rosters' | 'socketCount'>,
    /** Connection lookups in flight at once. */
    private readonly concurrency = 16,
    private readonly hooks: StoreDirectoryHooks = {},
  ) {}

  async socketsOfUsers(
    userIds: readonly string[],
    options: { readonly bestEffort?: boolean } = {},
  ): Promise<Target[]> {
    const targets: Target[] = [];
    const missed: string[] = [];
    let cause: unknown;
    // Consistent, as rosters are: a socket stored before the lookup is found (send.ts's argument).
    // Not for a best-effort event: tried once, eventually consistent.
    const consistent = !options.bestEffort;
    const attempts = options.bestEffort ? 1 : LOOKUP_ATTEMPTS;
    await mapSettled([...new Set(userIds)], this.concurrency, async (userId) => {
      for (let attempt = 1; ; attempt++) {
        try {
          for (const connectionId of await this.store.connections.listIds(userId, { consistent })) {
            targets.push({ userId, connectionId });
          }
          return;
        } catch (error) {
          if (attempt >= attempts) {
            missed.push(userId);
            cause = error;
            return;
          }
          await backOff(LOOKUP_BACKOFF, attempt);
        }
      }
    });
    if (missed.length > 0) {
      if (!options.bestEffort) throw new SocketLookupFailed(missed, targets, { cause });
      logger.warn('best-effort event: some users not looked up, left out', {
        users: missed.length,
        error: cause,
      });
    }
    return targets;
  }

  socketsOfGroup(chatId: string): Promise<Target[]> {
    return this.store.rosters.list(chatId);
  }

  someSocketsOfGroup(
    chatId: string,
    max: number,
    options: { readonly consistent?: boolean } = {},
  ): Promise<Target[] | undefined> {
    return this.store.rosters.listUpTo(chatId, max, options);
  }

  async gone(
    target: Target,
    chatId: string | undefined,
    options: { readonly probe?: boolean } = {},
  ): Promise<boolean> {
    const connectedBefore = Math.floor(Date.now() / 1000) - HANDSHAKE_SECONDS;
    const [record, entry] = await Promise.all([
      this.store.connections.deleteIfSettled(target.userId, target.connectionId, connectedBefore),
      chatId === undefined ? undefined : this.store.rosters.removeIfSettled(chatId, target, connectedBefore),
    ]);
    if (record === 'removed') {
      // Left too high, the count is repaired by the next refused claim's recount (connections.ts).
      await this.store.socketCount.release(target.userId).catch((error: unknown) => {
        logger.warn('could not give back the socket slot of a gone socket', { error });
      });
      if (!options.probe) await this.#maybeOffline(target.userId);
    }
    return record !== 'young' && entry !== 'young';
  }

  /** After removing a gone socket's record: whether it was the user's last (consistent Query). */
  async #maybeOffline(userId: string): Promise<void> {
    const hook = this.hooks.lastSocketGone;
    if (!hook) return;
    try {
      if ((await this.store.connections.listIds(userId, { consistent: true })).length === 0)
        await hook(userId);
    } catch (error) {
      logger.warn('a gone socket: could not check whether its user went offline', { error });
    }
  }
}

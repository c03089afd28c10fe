/**
 * The profile in a user's partition (`USER#<userId>`, `PROFILE`): display name, last seen, and the
 * marks of presence announcements. Every public method is one access pattern (all of them are listed
 * in docs/data-model.md).
 */
import type { Item } from './item.ts';
import { PROFILE, type ProfileRecord } from './items.ts';
import { keys } from './keys.ts';
import { ifConditionFails, type TableClient } from './table-client.ts';

/** What `claimPresenceAnnouncement` decided (see there). */
export type PresenceClaim =
  | { readonly outcome: 'announce' | 'same-or-pending' }
  | { readonly outcome: 'recheck'; readonly delaySeconds: number };

type ProfileUpdate = Partial<Pick<ProfileRecord, 'name' | 'lastSeenAt'>>;

export class ProfileRepository {
  constructor(private readonly table: TableClient) {}

  /** Records the user's display name and last-seen time (`$connect`). */
  async touch(userId: string, name: string, lastSeenAt: string): Promise<void> {
    await this.#set(userId, { name, lastSeenAt });
  }

  /** Sets a user's display name without touching presence (demo data, directory imports). */
  async setName(userId: string, name: string): Promise<void> {
    await this.#set(userId, { name });
  }

  /**
   * Records when the user was last seen (their last socket closed): on a profile there is only (the
   * socket's `$connect` made it), so a deleted account's closing socket does not bring it back.
   */
  async setLastSeen(userId: string, lastSeenAt: string): Promise<void> {
    await ifConditionFails(this.#set(userId, { lastSeenAt }, 'attribute_exists(pk)'), () => undefined);
  }

  /** Deletes the profile (an account's deletion: lambdas/domain/account-deletion.ts); one DeleteItem. */
  async remove(userId: string): Promise<void> {
    await this.table.delete({ Key: keys.profile(userId) });
  }

  /**
   * Decides whether the user's presence change to `online` is announced, by conditional UpdateItems
   * on the profile (`presenceShown`: the state last announced; `presenceWindow`, the window's start
   * in epoch seconds, and `presenceCount`: a fixed window of `windowSeconds` from its first
   * announcement, `max` in it; `presencePending`: when a recheck was queued that has not run yet,
   * the window's start for a refused change's, the time of marking for a put-off's).
   * - `announce`: the state differs from the one last announced and a slot was left (one write
   *   while the window lasts, a second starting a new window): it is recorded as announced.
   * - `same-or-pending`: it is the state last announced (a duplicate: no slot taken, nothing to
   *   send), or refused with a recheck already pending (below): either way nothing to do.
   * - `recheck`: refused (the window is used up) and the first refusal of this window: the caller
   *   queues one recheck to run at the window's end, `delaySeconds` from now (third write).
   * - (`same-or-pending` too) refused, and a recheck is already pending (marked in this window: a
   *   put-off's decides the change too; a mark of an earlier window does not count, a new window can
   *   start only when it is over).
   * A failed condition costs its write unit too.
   */
  async claimPresenceAnnouncement(
    userId: string,
    online: boolean,
    now: number,
    limits: { readonly windowSeconds: number; readonly max: number },
  ): Promise<PresenceClaim> {
    const key = keys.profile(userId);
    const floor = now - limits.windowSeconds;
    const differs = '(attribute_not_exists(presenceShown) OR presenceShown <> :s)';
    const counted = await ifConditionFails(
      this.table.update({
        Key: key,
        UpdateExpression: 'SET presenceShown = :s ADD presenceCount :one',
        ConditionExpression: `presenceWindow > :floor AND presenceCount < :max AND ${differs}`,
        ExpressionAttributeValues: { ':one': 1, ':floor': floor, ':max': limits.max, ':s': online },
      }),
      () => false as const,
    );
    if (counted !== false) return { outcome: 'announce' };
    const started = await ifConditionFails(
      this.table.update({
        Key: key,
        UpdateExpression:
          'SET presenceWindow = :now, presenceCount = :one, presenceShown = :s, #u = :userId, #t = :itemType',
        // An offline change never creates the profile (a deleted account's closing socket).
        ConditionExpression: `(attribute_not_exists(presenceWindow) OR presenceWindow <= :floor) AND ${differs}${online ? '' : ' AND attribute_exists(pk)'}`,
        ExpressionAttributeNames: { '#u': 'userId', '#t': 'itemType' },
        ExpressionAttributeValues: {
          ':now': now,
          ':one': 1,
          ':floor': floor,
          ':s': online,
          ':userId': userId,
          ':itemType': PROFILE.itemType,
        },
      }),
      () => false as const,
    );
    if (started !== false) return { outcome: 'announce' };
    const marked = await ifConditionFails(
      this.table.update({
        Key: key,
        UpdateExpression: 'SET presencePending = presenceWindow',
        ConditionExpression: `presenceWindow > :floor AND ${differs} AND (attribute_not_exists(presencePending) OR presencePending < presenceWindow)`,
        ExpressionAttributeValues: { ':floor': floor, ':s': online },
        ReturnValues: 'UPDATED_NEW',
      }),
      () => false as const,
    );
    if (marked === false) return { outcome: 'same-or-pending' };
    const windowStart = Number(marked?.presencePending ?? now);
    const delaySeconds = Math.min(
      limits.windowSeconds,
      Math.max(1, windowStart + limits.windowSeconds - now),
    );
    return { outcome: 'recheck', delaySeconds };
  }

  /**
   * Takes back the mark of an announcement whose post failed (`presenceShown`: one conditional
   * UpdateItem that removes it while it still is `online`, nothing when another announcement changed
   * it since): the next claim of that state is announced again, not deduplicated away. The slot it
   * took of the window stays taken.
   */
  async unmarkPresenceShown(userId: string, online: boolean): Promise<void> {
    await ifConditionFails(
      this.table.update({
        Key: keys.profile(userId),
        UpdateExpression: 'REMOVE presenceShown',
        ConditionExpression: 'presenceShown = :s',
        ExpressionAttributeValues: { ':s': online },
      }),
      () => undefined,
    );
  }

  /** Clears the pending recheck mark (`presencePending`) before a recheck reads the user's sockets. */
  async clearPresencePending(userId: string): Promise<void> {
    await ifConditionFails(
      this.table.update({
        Key: keys.profile(userId),
        UpdateExpression: 'REMOVE presencePending',
        ConditionExpression: 'attribute_exists(pk)',
      }),
      () => undefined,
    );
  }

  /**
   * Marks a recheck as pending (`presencePending = now`) before a put-off recheck is queued: one
   * conditional UpdateItem, on an existing profile with no recheck pending. A mark set before the
   * current window started does not count (as for `claimPresenceAnnouncement`), nor does one
   * `lifetimeSeconds` old or older: its recheck should have run and cleared it, so it was lost (the
   * send failed and so did the clear, or the Lambda died between the two), and it must not refuse
   * every later put-off. Whether it marked: false when a recheck is pending (it decides instead of a
   * second one) or there is no profile.
   */
  async markPresencePending(userId: string, now: number, lifetimeSeconds: number): Promise<boolean> {
    return ifConditionFails(
      this.table
        .update({
          Key: keys.profile(userId),
          UpdateExpression: 'SET presencePending = :now',
          // Spelled out, not left to `<` against a missing window (DynamoDB Local reads some as true).
          ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(presencePending) OR
            presencePending <= :lost OR (attribute_exists(presenceWindow) AND presencePending < presenceWindow))`,
          ExpressionAttributeValues: { ':now': now, ':lost': now - lifetimeSeconds },
        })
        .then(() => true),
      () => false,
    );
  }

  /**
   * Profiles by user id (BatchGet, 100 a call; `consistent` when deciding who may have sockets).
   * Users never seen are absent from the map.
   */
  async getMany(
    userIds: readonly string[],
    options: { consistent?: boolean } = {},
  ): Promise<Map<string, ProfileRecord>> {
    const items = await this.table.batchGet(
      userIds.map((id) => keys.profile(id)),
      options,
    );
    return new Map(items.map((item) => PROFILE.fromItem(item)).map((p) => [p.userId, p]));
  }

  /** An UpdateItem that sets the given attributes (creating the profile if needed, unless `condition`). */
  async #set(userId: string, update: ProfileUpdate, condition?: string): Promise<void> {
    const values: Item = { ...update, userId, itemType: PROFILE.itemType };
    const names = Object.keys(values);
    await this.table.update({
      Key: keys.profile(userId),
      ...(condition === undefined ? {} : { ConditionExpression: condition }),
      UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
      ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, values[n]])),
    });
  }
}

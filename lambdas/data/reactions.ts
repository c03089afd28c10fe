/**
 * Reactions (issue 14): who has which emoji on a message (`REACTION` items, one per message, user
 * and emoji) and the message's bounded summary (`reactions` on its `MSG#` item). Adding or removing
 * one is a single transaction of the user's item and the message's summary, guarded on the message
 * being at the version the summary was computed from: parallel reactions never lose an update
 * (the loser reads again and retries: lambdas/domain/reactions.ts). Access patterns in
 * docs/data-model.md ("Reactions").
 */
import type { Item } from './item.ts';
import { MESSAGE, type MessageRecord, REACTION, type ReactionRef, type StoredReaction } from './items.ts';
import { keys, VERSION_INDEX, verSk } from './keys.ts';
import {
  ifConditionFails,
  itemAbsent,
  itemExists,
  type RequestOptions,
  type TableClient,
} from './table-client.ts';

/** A reaction change under version `ver` (allocated by `sequence.allocateVersion`). */
export interface ReactionChange {
  readonly userId: string;
  readonly emoji: string;
  readonly remove: boolean;
  readonly ver: number;
  /** Epoch ms when the allocation of `ver` was answered (the settle rule, as for edits). */
  readonly allocAt: number;
  /** The message's summary after the change. */
  readonly reactions: readonly StoredReaction[];
  readonly at: string;
}

export type ReactionOutcome =
  | { readonly status: 'applied'; readonly message: MessageRecord }
  /** The user's item was not as expected (another of their sockets raced): read it again. */
  | { readonly status: 'raced' }
  /** The message changed (or was deleted, or is gone) since it was read: it as it is now. */
  | { readonly status: 'moved'; readonly current: MessageRecord | undefined };

const messageOf = (item: Item | undefined): MessageRecord | undefined =>
  item && item.void !== true ? MESSAGE.fromItem(item) : undefined;

export class ReactionRepository {
  constructor(private readonly table: TableClient) {}

  /** Whether the user has this emoji on the message (key lookup, strongly consistent). */
  async has(ref: ReactionRef): Promise<boolean> {
    return (await this.table.get(REACTION.key(ref), { consistent: true })) !== undefined;
  }

  /**
   * Adds (Put, condition: absent) or removes (Delete, condition: present) the user's item and sets
   * the message's summary and version (Update, condition: the message named, not deleted, still at
   * the version `seen` it was read at), all or nothing (TransactWriteItems).
   */
  async apply(
    seen: MessageRecord,
    change: ReactionChange,
    options?: RequestOptions,
  ): Promise<ReactionOutcome> {
    const ref: ReactionRef = {
      chatId: seen.chatId,
      seq: seen.seq,
      userId: change.userId,
      emoji: change.emoji,
    };
    const userItem = change.remove
      ? { Delete: { Key: REACTION.key(ref), ConditionExpression: itemExists } }
      : {
          Put: {
            Item: REACTION.toItem({ ...ref, reactedAt: change.at }),
            ConditionExpression: itemAbsent,
          },
        };
    const written = this.table.transact(
      [
        userItem,
        {
          Update: {
            Key: keys.message(seen.chatId, seen.seq),
            UpdateExpression: change.reactions.length
              ? 'SET #r = :r, ver = :ver, allocAt = :at, #vsk = :vsk'
              : 'REMOVE #r SET ver = :ver, allocAt = :at, #vsk = :vsk',
            ConditionExpression: 'messageId = :id AND deleted = :false AND ver = :seen',
            ExpressionAttributeNames: { '#r': 'reactions', '#vsk': VERSION_INDEX.sortKey },
            ExpressionAttributeValues: {
              ...(change.reactions.length ? { ':r': change.reactions } : {}),
              ':ver': change.ver,
              ':at': change.allocAt,
              ':vsk': verSk(change.ver),
              ':id': seen.messageId,
              ':false': false,
              ':seen': seen.ver,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ],
      options,
    );
    return ifConditionFails(
      // The guard held: the message is what was read, with this change on top.
      // The guard held: the message is what was read, with this change on top.
      written.then((): ReactionOutcome => {
        const { reactions: _before, ...rest } = seen;
        const summary = change.reactions.length ? { reactions: [...change.reactions] } : {};
        return {
          status: 'applied',
          message: { ...rest, ...summary, ver: change.ver, allocAt: change.allocAt },
        };
      }),
      async ({ reasons: [mine, onMessage] }): Promise<ReactionOutcome> => {
        if (mine?.conditionFailed) return { status: 'raced' };
        if (onMessage?.conditionFailed) return { status: 'moved', current: messageOf(onMessage.item) };
        // A transaction conflict (a parallel reaction on the same message): read it again.
        return {
          status: 'moved',
          current: messageOf(await this.table.get(keys.message(seen.chatId, seen.seq), { consistent: true })),
        };
      },
    );
  }
}

/**
 * The one read of a chat's messages by their author: an account deletion that erases the user's
 * messages (lambdas/domain/account-deletion-job.ts) pages through the chat's `MSG#` range with a
 * filter on the sender. There is no author index (a message's sender is no key), so the Query reads
 * every message of the range it covers, the author's or not: its read units are those of the whole
 * range (about 0.5 a 4 KB of items, eventually consistent), the filter only trims what comes back.
 * `MessageRepository` (messages.ts) extends this class: callers reach it as `store.messages.*`.
 */
import { chatPk, PREFIX } from './keys.ts';
import type { RetentionKey } from './retention.ts';
import type { TableClient } from './table-client.ts';

/** A message of the author's found by `authoredPage`: its key (where a later page may start) and id. */
export interface AuthoredMessage {
  readonly key: RetentionKey;
  readonly messageId: string;
}

export interface AuthoredPage {
  /** The author's messages not deleted, in seq order. */
  readonly messages: AuthoredMessage[];
  /** Where the next page starts (the Query's LastEvaluatedKey); none: the range is done. */
  readonly next: RetentionKey | undefined;
}

export class AuthoredMessageReads {
  constructor(protected readonly table: TableClient) {}

  /**
   * One page of `CHAT#<chatId>`, `begins_with(sk, 'MSG#')`, after `startKey`: at most `limit` items
   * read (voids and others' messages included), of which those sent by `senderId` and not deleted
   * come back (a FilterExpression; keys and messageId only). Eventually consistent: the job runs after
   * the account's tombstone, when the author can store nothing more (their sockets closed and refused).
   */
  async authoredPage(
    chatId: string,
    senderId: string,
    options: { readonly startKey?: RetentionKey | undefined; readonly limit: number },
  ): Promise<AuthoredPage> {
    const { items, lastKey } = await this.table.queryPage({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
      FilterExpression: 'senderId = :sender AND deleted = :false',
      ProjectionExpression: 'pk, sk, messageId',
      ExpressionAttributeValues: {
        ':pk': chatPk(chatId),
        ':msg': PREFIX.message,
        ':sender': senderId,
        ':false': false,
      },
      Limit: options.limit,
      ...(options.startKey ? { ExclusiveStartKey: { ...options.startKey } } : {}),
    });
    return {
      messages: items.map((item) => ({
        key: { pk: String(item.pk), sk: String(item.sk) },
        messageId: String(item.messageId),
      })),
      next: lastKey ? { pk: String(lastKey.pk), sk: String(lastKey.sk) } : undefined,
    };
  }
}

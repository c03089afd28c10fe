/**
 * Messages (`MSG#<seq>` in the chat partition) and the clientMessageId claims that make sends
 * exactly-once. Every public method is one access pattern (all of them are listed in
 * docs/data-model.md).
 */
import type { Item } from './item.ts';
import { CHAT, type ChatRecord, CLIENT_MESSAGE_CLAIM, MESSAGE, type MessageRecord } from './items.ts';
import { chatPk, keys, MAX_SEQ, seqSk } from './keys.ts';
import { ifConditionFails, itemAbsent, type TableClient, type TransactAction } from './table-client.ts';

export type AppendOutcome =
  | { readonly status: 'stored'; readonly message: MessageRecord }
  /** The sender's clientMessageId is already claimed by the message at `seq`. */
  | { readonly status: 'duplicate'; readonly seq: number }
  /** Another message took the seq; `lastSeq` is the chat's current one when DynamoDB returned it. */
  | { readonly status: 'seq-conflict'; readonly lastSeq?: number }
  | { readonly status: 'chat-gone' };

export interface HistoryPage {
  readonly messages: MessageRecord[];
  /** More messages exist in the direction asked. */
  readonly hasMore: boolean;
}

const seqUnchanged = 'lastSeq = :prev';
const sameLiveMessage = 'messageId = :id AND senderId = :sender AND deleted = :false';

export class MessageRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Appends a message. One transaction moves the chat's `lastSeq` from the value read before
   * (optimistic lock: sequence numbers are strictly increasing and never burned), stores the
   * message and, with a clientMessageId, claims it for that sender (exactly-once under races).
   * A refused transaction returns the claim or `META` as they are (`ALL_OLD`): no re-read.
   */
  async append(message: MessageRecord, previousSeq: number): Promise<AppendOutcome> {
    const actions: TransactAction[] = [
      {
        Update: {
          Key: keys.chat(message.chatId),
          UpdateExpression: 'SET lastSeq = :seq, lastActivityAt = :at',
          ConditionExpression: seqUnchanged,
          ExpressionAttributeValues: { ':seq': message.seq, ':prev': previousSeq, ':at': message.createdAt },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      { Put: { Item: MESSAGE.toItem(message), ConditionExpression: itemAbsent } },
    ];
    const { clientMessageId } = message;
    if (clientMessageId) {
      const claim = { ...message, clientMessageId };
      actions.push({
        Put: {
          Item: CLIENT_MESSAGE_CLAIM.toItem(claim),
          ConditionExpression: itemAbsent,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    const stored = this.table.transact(actions).then(() => ({ status: 'stored', message }) as const);
    return ifConditionFails(stored, (failure): AppendOutcome => {
      const [head, , claim] = failure.reasons;
      if (claim?.conditionFailed && claim.item) {
        return { status: 'duplicate', seq: CLIENT_MESSAGE_CLAIM.fromItem(claim.item).seq };
      }
      if (head?.conditionFailed) {
        return head.item
          ? { status: 'seq-conflict', lastSeq: CHAT.fromItem(head.item).lastSeq }
          : { status: 'chat-gone' };
      }
      return { status: 'seq-conflict' };
    });
  }

  /** The chat's current `lastSeq` (consistent key lookup), or undefined if the chat is gone. */
  async getLastSeq(chatId: string): Promise<number | undefined> {
    const item = await this.table.get(keys.chat(chatId), { consistent: true, projection: 'lastSeq' });
    return item ? Number(item.lastSeq) : undefined;
  }

  /** One message by seq (key lookup). */
  async get(
    chatId: string,
    seq: number,
    options: { consistent?: boolean } = {},
  ): Promise<MessageRecord | undefined> {
    const item = await this.table.get(keys.message(chatId, seq), { consistent: options.consistent ?? false });
    return item && MESSAGE.fromItem(item);
  }

  /** The newest message of each chat that has one (BatchGet by `MSG#<lastSeq>`), by chatId. */
  async getLastMessages(
    chats: readonly Pick<ChatRecord, 'chatId' | 'lastSeq'>[],
  ): Promise<Map<string, MessageRecord>> {
    const items = await this.table.batchGet(
      chats.filter((c) => c.lastSeq > 0).map((c) => keys.message(c.chatId, c.lastSeq)),
    );
    return new Map(items.map((item) => MESSAGE.fromItem(item)).map((m) => [m.chatId, m]));
  }

  /**
   * A page of history (Query on `MSG#` keys). Newest `limit` without bounds; `before` pages
   * back, `after` pages forward. Always ascending; `hasMore` in the direction asked.
   */
  async getHistoryPage(
    chatId: string,
    page: { before?: number | undefined; after?: number | undefined; limit: number },
  ): Promise<HistoryPage> {
    if (page.before !== undefined && page.before <= 1) return { messages: [], hasMore: false };
    const forward = page.after !== undefined;
    const items = await this.table.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': chatPk(chatId),
        ':from': seqSk(page.after !== undefined ? page.after + 1 : 1),
        ':to': seqSk(page.before !== undefined ? page.before - 1 : MAX_SEQ),
      },
      ScanIndexForward: forward,
      Limit: page.limit + 1,
    });
    const messages = items.slice(0, page.limit).map((item) => MESSAGE.fromItem(item));
    if (!forward) messages.reverse();
    return { messages, hasMore: items.length > page.limit };
  }

  /** Edits a message's text, guarded on author, id and not deleted; the edited message, if any. */
  async edit(message: MessageRecord, text: string, editedAt: string): Promise<MessageRecord | undefined> {
    const edited = this.#updateLive(message, 'SET #text = :text, editedAt = :at', {
      ':text': text,
      ':at': editedAt,
    });
    return ifConditionFails(
      edited.then((item) => item && MESSAGE.fromItem(item)),
      () => undefined,
    );
  }

  /**
   * Soft-deletes a message (text and attachments cleared, seq and id kept), guarded on author and id.
   * Whether it did.
   */
  async softDelete(message: MessageRecord): Promise<boolean> {
    const deleted = this.#updateLive(message, 'SET #text = :empty, deleted = :true REMOVE attachments', {
      ':empty': '',
      ':true': true,
    });
    return ifConditionFails(
      deleted.then(() => true),
      () => false,
    );
  }

  /** An update of a message guarded on its id and author and on it not being deleted; the item after. */
  #updateLive(message: MessageRecord, update: string, values: Item): Promise<Item | undefined> {
    return this.table.update({
      Key: keys.message(message.chatId, message.seq),
      UpdateExpression: update,
      ConditionExpression: sameLiveMessage,
      ExpressionAttributeNames: { '#text': 'text' },
      ExpressionAttributeValues: {
        ...values,
        ':id': message.messageId,
        ':sender': message.senderId,
        ':false': false,
      },
      ReturnValues: 'ALL_NEW',
    });
  }
}

/**
 * Messages (`MSG#<seq>` in the chat partition; a seq whose message will never be stored holds a
 * void), the version index that `sync` reads and the client-id index that makes sends exactly-once.
 * Every public method is one access pattern (all of them are listed in docs/data-model.md).
 */
import { AuthoredMessageReads } from './authored-messages.ts';
import type { Item } from './item.ts';
import { type ChatRecord, MESSAGE, type MessageRecord, type Slot, slotOf } from './items.ts';
import { CLIENT_ID_INDEX, chatPk, clientIdSk, keys, MAX_SEQ, seqSk, VERSION_INDEX, verSk } from './keys.ts';
import { ifConditionFails, itemAbsent, type RequestOptions } from './table-client.ts';

export type PutOutcome =
  /**
   * `chatGB`: the upper bound of DynamoDB's estimate of the chat partition's size (its items and
   * their local-index entries, in GB; 10 GB is the most it can hold: docs/data-model.md), when
   * DynamoDB gave one (AWS does; DynamoDB Local does not).
   */
  | { readonly status: 'stored'; readonly chatGB: number | undefined }
  /** The seq was already taken (a reader filled it with a void): the item there. */
  | { readonly status: 'occupied'; readonly slot: Slot };

/** A run of `MSG#` items in key order (forwards or backwards), voids included. */
export interface SlotRun {
  readonly slots: Slot[];
  /** Nothing more exists in the direction read. */
  readonly exhausted: boolean;
}

export interface ChangePage {
  /** Messages by the version of their latest change: ascending from `changesSince`, descending from `newestChanges`. */
  readonly messages: MessageRecord[];
  readonly hasMore: boolean;
}

/** A change to a message under a new version (`ver`, allocated by `sequence.allocateVersion`). */
export interface MessageChange {
  readonly ver: number;
  /** Epoch ms when the allocation of `ver` was sent. */
  readonly allocAt: number;
  /** Attributes to set. */
  readonly set: Readonly<Record<string, unknown>>;
  /** Who may change it: only its author (edit, delete) or any member (reactions). */
  readonly guard: 'author' | 'member';
}

export type ChangeOutcome =
  | { readonly status: 'applied'; readonly message: MessageRecord }
  /** A guard failed (deleted, another author, a newer version): the message as it is, if any. */
  | { readonly status: 'refused'; readonly current: MessageRecord | undefined };

/** The message is the one named, not deleted, and not changed under a newer version. */
const liveAndOlder = 'messageId = :id AND deleted = :false AND (attribute_not_exists(ver) OR ver < :ver)';
const byAuthor = 'senderId = :sender';

const messageOf = (item: Item | undefined): MessageRecord | undefined => {
  const slot = item && slotOf(item);
  return slot?.kind === 'message' ? slot.message : undefined;
};

/** The author-filtered page (authored-messages.ts) is reached here too. */
export class MessageRepository extends AuthoredMessageReads {
  /**
   * Stores a message at its seq (PutItem, condition: the seq is free), asking for the size of the
   * chat's partition (free). When a reader filled the seq with a void first, the void comes back
   * (`ALL_OLD`) and nothing is written. A full chat throws `ChatFull` (table-client.ts).
   */
  async put(message: MessageRecord, options?: RequestOptions): Promise<PutOutcome> {
    const put = this.table.put(
      {
        Item: MESSAGE.toItem(message),
        ConditionExpression: itemAbsent,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ReturnItemCollectionMetrics: 'SIZE',
      },
      options,
    );
    return ifConditionFails(
      put.then(({ collectionGB }): PutOutcome => ({ status: 'stored', chatGB: collectionGB })),
      ({ reasons: [refused], error }): PutOutcome => {
        if (!refused?.item) throw error;
        return { status: 'occupied', slot: slotOf(refused.item) };
      },
    );
  }

  /** One message by seq (key lookup); a void or nothing is undefined. */
  async get(
    chatId: string,
    seq: number,
    options: { consistent?: boolean } = {},
  ): Promise<MessageRecord | undefined> {
    return messageOf(
      await this.table.get(keys.message(chatId, seq), { consistent: options.consistent ?? false }),
    );
  }

  /** What a seq holds, read consistently (key lookup): a message, a void, or nothing (yet). */
  async getSlot(chatId: string, seq: number): Promise<Slot | undefined> {
    const item = await this.table.get(keys.message(chatId, seq), { consistent: true });
    return item && slotOf(item);
  }

  /**
   * The message a sender stored with a clientMessageId (Query on the client-id index, strongly
   * consistent, the item fetched from the table), or undefined.
   */
  async findByClientId(
    chatId: string,
    senderId: string,
    clientMessageId: string,
  ): Promise<MessageRecord | undefined> {
    const items = await this.table.query({
      IndexName: CLIENT_ID_INDEX.indexName,
      KeyConditionExpression: 'pk = :pk AND #sk = :sk',
      ExpressionAttributeNames: { '#sk': CLIENT_ID_INDEX.sortKey },
      ExpressionAttributeValues: { ':pk': chatPk(chatId), ':sk': clientIdSk(senderId, clientMessageId) },
      ConsistentRead: true,
      Select: 'ALL_ATTRIBUTES',
    });
    return messageOf(items[0]);
  }

  /**
   * `MSG#` items from `from` to `to` (inclusive) in key order, forwards or backwards, page after
   * page until `messages` messages (voids not counted) were read or the range is exhausted
   * (Query, eventually consistent: callers re-read a missing seq consistently).
   */
  async readSlots(
    chatId: string,
    range: { from: number; to: number; forward: boolean; messages: number },
  ): Promise<SlotRun> {
    const slots: Slot[] = [];
    if (range.from > range.to) return { slots, exhausted: true };
    let startKey: Item | undefined;
    let found = 0;
    do {
      const page = await this.table.queryPage({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': chatPk(chatId),
          ':from': seqSk(range.from),
          ':to': seqSk(range.to),
        },
        ScanIndexForward: range.forward,
        Limit: range.messages - found,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      for (const item of page.items) {
        const slot = slotOf(item);
        slots.push(slot);
        if (slot.kind === 'message') found++;
      }
      startKey = page.lastKey;
    } while (startKey && found < range.messages);
    return { slots, exhausted: !startKey };
  }

  /**
   * The newest message of each chat that has one, by chatId: BatchGet of `MSG#<lastSeq>`; for the
   * rare chat whose newest seq is a void or still in flight, a short Query backwards.
   */
  async getLastMessages(
    chats: readonly Pick<ChatRecord, 'chatId' | 'lastSeq'>[],
  ): Promise<Map<string, MessageRecord>> {
    const withMessages = chats.filter((c) => c.lastSeq > 0);
    const items = await this.table.batchGet(withMessages.map((c) => keys.message(c.chatId, c.lastSeq)));
    const last = new Map<string, MessageRecord>();
    for (const item of items) {
      const message = messageOf(item);
      if (message) last.set(message.chatId, message);
    }
    for (const chat of withMessages.filter((c) => !last.has(c.chatId))) {
      const run = await this.readSlots(chat.chatId, {
        from: 1,
        to: chat.lastSeq,
        forward: false,
        messages: 1,
      });
      const newest = run.slots.find((s) => s.kind === 'message');
      if (newest?.kind === 'message') last.set(chat.chatId, newest.message);
    }
    return last;
  }

  /**
   * Messages whose latest change is after `sinceVer`, ascending by version (Query on the version
   * index, strongly consistent, items fetched from the table), `limit` at most.
   */
  async changesSince(chatId: string, sinceVer: number, limit: number): Promise<ChangePage> {
    const page = await this.table.queryPage({
      IndexName: VERSION_INDEX.indexName,
      KeyConditionExpression: 'pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#sk': VERSION_INDEX.sortKey },
      ExpressionAttributeValues: {
        ':pk': chatPk(chatId),
        ':from': verSk(sinceVer + 1),
        ':to': verSk(MAX_SEQ),
      },
      ConsistentRead: true,
      Select: 'ALL_ATTRIBUTES',
      Limit: limit + 1,
    });
    const messages = page.items.flatMap((item) => messageOf(item) ?? []);
    // More exist when the page held more than `limit`, or stopped early (DynamoDB's 1 MB page cap).
    return {
      messages: messages.slice(0, limit),
      hasMore: messages.length > limit || page.lastKey !== undefined,
    };
  }

  /**
   * The `limit` messages changed last within versions `aboveVer` (exclusive) to `upToVer`, newest
   * first (Query on the version index backwards, strongly consistent, items fetched from the table):
   * where a `sync` reset finds a settled version, a page at a time (`hasMore`: older ones may follow).
   */
  async newestChanges(
    chatId: string,
    range: { readonly aboveVer: number; readonly upToVer: number },
    limit: number,
  ): Promise<ChangePage> {
    const page = await this.table.queryPage({
      IndexName: VERSION_INDEX.indexName,
      KeyConditionExpression: 'pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#sk': VERSION_INDEX.sortKey },
      ExpressionAttributeValues: {
        ':pk': chatPk(chatId),
        ':from': verSk(range.aboveVer + 1),
        ':to': verSk(range.upToVer),
      },
      ConsistentRead: true,
      Select: 'ALL_ATTRIBUTES',
      ScanIndexForward: false,
      Limit: limit,
    });
    return {
      messages: page.items.flatMap((item) => messageOf(item) ?? []),
      hasMore: page.lastKey !== undefined,
    };
  }

  /**
   * Applies a change under version `ver` (UpdateItem): sets the attributes, `ver`, `allocAt` and the
   * version index key, guarded on the message being the one named, not deleted, older than `ver`
   * and (for `author` changes) the caller's. A refused change returns the message as it is.
   */
  async applyChange(
    message: Pick<MessageRecord, 'chatId' | 'seq' | 'messageId' | 'senderId'>,
    change: MessageChange,
    options?: RequestOptions,
  ): Promise<ChangeOutcome> {
    const set: Record<string, unknown> = {
      ...change.set,
      ver: change.ver,
      allocAt: change.allocAt,
      [VERSION_INDEX.sortKey]: verSk(change.ver),
    };
    const names = Object.keys(set);
    const updated = this.table.update(
      {
        Key: keys.message(message.chatId, message.seq),
        UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :a${i}`).join(', ')}`,
        ConditionExpression: change.guard === 'author' ? `${liveAndOlder} AND ${byAuthor}` : liveAndOlder,
        ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#a${i}`, n])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((n, i) => [`:a${i}`, set[n]])),
          ':id': message.messageId,
          ':false': false,
          ':ver': change.ver,
          ...(change.guard === 'author' ? { ':sender': message.senderId } : {}),
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
      options,
    );
    return ifConditionFails(
      updated.then((item): ChangeOutcome => {
        const applied = messageOf(item);
        if (!applied) throw new Error('a message update returned no message');
        return { status: 'applied', message: applied };
      }),
      ({ reasons: [refused] }): ChangeOutcome => ({ status: 'refused', current: messageOf(refused?.item) }),
    );
  }
}

/**
 * The data-access module: every DynamoDB access pattern of the product, by name. Nothing else in
 * the code base talks to DynamoDB. Every pattern is a key lookup, a Query or a (transactional)
 * write on known keys: there is no Scan, and no request reads more than the chat at hand (its
 * members and the messages asked for) or the caller's own items.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { getDocumentClient } from '../shared/clients.ts';
import { config } from '../shared/config.ts';
import {
  chatPk,
  type Key,
  keys,
  membershipIndexKeys,
  PREFIX,
  pairKey,
  seqSk,
  stripPrefix,
  userPk,
} from './keys.ts';

/** Connections live a little past API Gateway's 2-hour hard limit, then TTL removes leftovers. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 10 * 60;
/** DynamoDB's limit of actions in one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;

export type ChatKind = 'direct' | 'group';
export type Role = 'owner' | 'member';

export interface ConnectionRecord {
  readonly userId: string;
  readonly connectionId: string;
  readonly connectedAt: string;
}

export interface ProfileRecord {
  readonly userId: string;
  readonly name: string;
  readonly lastSeenAt: string | null;
}

export interface ChatRecord {
  readonly chatId: string;
  readonly kind: ChatKind;
  readonly name: string | null;
  readonly ownerId: string;
  readonly lastSeq: number;
  readonly memberCount: number;
  readonly createdAt: string;
  readonly lastActivityAt: string;
  /** The chat's latest version (every change takes the next one). */
  readonly lastVer?: number;
}

export interface MemberRecord {
  readonly chatId: string;
  readonly userId: string;
  readonly role: Role;
  readonly lastReadSeq: number;
  readonly joinedAt: string;
  readonly kind: ChatKind;
  readonly lastDeliveredSeq?: number;
  /** For direct chats: the other member (presence goes to direct-chat peers). */
  readonly peerId?: string;
}

export interface MessageRecord {
  readonly chatId: string;
  readonly messageId: string;
  readonly seq: number;
  readonly senderId: string;
  readonly text: string;
  readonly replyTo: string | null;
  readonly clientMessageId: string | null;
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly deleted: boolean;
  /** The chat version of the message's latest change. */
  readonly ver?: number;
}

/** A membership as the user index holds it. */
export interface MembershipRef {
  readonly chatId: string;
  readonly userId: string;
  readonly kind: ChatKind;
  readonly peerId?: string;
}

/** A chat with all its members: what one Query over the chat partition's head returns. */
export interface ChatWithMembers {
  readonly chat: ChatRecord | undefined;
  readonly members: MemberRecord[];
}

export type SendOutcome =
  | { readonly status: 'stored'; readonly message: MessageRecord }
  | { readonly status: 'duplicate'; readonly seq: number }
  | { readonly status: 'seq-conflict' }
  | { readonly status: 'chat-gone' };

type WriteRequest = {
  PutRequest?: { Item: Record<string, unknown> };
  DeleteRequest?: { Key: Key };
};

const pick = <T>(item: Record<string, unknown>, fields: readonly (keyof T & string)[]): T => {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = item[f] ?? null;
  return out as T;
};

const CHAT_FIELDS = [
  'chatId',
  'kind',
  'name',
  'ownerId',
  'lastSeq',
  'memberCount',
  'createdAt',
  'lastActivityAt',
] as const;
const MESSAGE_FIELDS = [
  'chatId',
  'messageId',
  'seq',
  'senderId',
  'text',
  'replyTo',
  'clientMessageId',
  'createdAt',
  'editedAt',
  'deleted',
] as const;

function toChat(item: Record<string, unknown>): ChatRecord {
  return pick<ChatRecord>(item, CHAT_FIELDS);
}

function toMember(item: Record<string, unknown>): MemberRecord {
  return {
    chatId: String(item.chatId),
    userId: String(item.userId),
    role: item.role === 'owner' ? 'owner' : 'member',
    lastReadSeq: Number(item.lastReadSeq ?? 0),
    joinedAt: String(item.joinedAt),
    kind: item.kind === 'direct' ? 'direct' : 'group',
    ...(typeof item.peerId === 'string' ? { peerId: item.peerId } : {}),
  };
}

function toMessage(item: Record<string, unknown>): MessageRecord {
  const m = pick<MessageRecord>(item, MESSAGE_FIELDS);
  return { ...m, deleted: item.deleted === true };
}

/** Members in the order they joined (ties by user id), the same in every ack and event. */
export function byJoined(a: MemberRecord, b: MemberRecord): number {
  return a.joinedAt.localeCompare(b.joinedAt) || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The cancellation reason codes of a failed transaction, one per action (or [] if not a cancel). */
export function cancellationCodes(error: unknown): string[] {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name !== 'TransactionCanceledException') return [];
  return (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}

export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** Named access patterns over the single table. */
export class ChatStore {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  // ── Connections and profiles ───────────────────────────────────────────────────────────────

  /** AP: store a connection in its user's connection index (`$connect`). */
  async putConnection(conn: ConnectionRecord): Promise<void> {
    const ttl = Math.floor(Date.parse(conn.connectedAt) / 1000) + CONNECTION_TTL_SECONDS;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.connection(conn.userId, conn.connectionId), ...conn, itemType: 'connection', ttl },
      }),
    );
  }

  /** AP: remove one connection (`$disconnect`, or a stale one found by fan-out). */
  async deleteConnection(userId: string, connectionId: string): Promise<boolean> {
    const out = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.connection(userId, connectionId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }

  /**
   * AP: a user's open connections (Query `USER#<id>`, prefix `CONN#`; expired ones skipped).
   * Fan-out reads eventually consistent (half the cost); presence decisions read consistently.
   */
  async listConnections(userId: string, consistent = false): Promise<string[]> {
    const items = await this.#queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':pk': userPk(userId),
        ':prefix': PREFIX.connection,
        ':now': Math.floor(Date.now() / 1000),
      },
      ProjectionExpression: 'sk',
      ConsistentRead: consistent,
    });
    return items.map((item) => stripPrefix(String(item.sk), PREFIX.connection));
  }

  /** AP: record the user's display name and last-seen time on their profile. */
  async touchProfile(userId: string, name: string, lastSeenAt: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.profile(userId),
        UpdateExpression: 'SET #name = :name, lastSeenAt = :seen, userId = :uid, itemType = :type',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':name': name, ':seen': lastSeenAt, ':uid': userId, ':type': 'profile' },
      }),
    );
  }

  /** AP: set a user's display name without touching presence (demo data, directory imports). */
  async putProfileName(userId: string, name: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.profile(userId),
        UpdateExpression: 'SET #name = :name, userId = :uid, itemType = :type',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':name': name, ':uid': userId, ':type': 'profile' },
      }),
    );
  }

  /** AP: record when the user was last seen (their last socket closed). */
  async setLastSeen(userId: string, lastSeenAt: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.profile(userId),
        UpdateExpression: 'SET lastSeenAt = :seen, userId = :uid, itemType = :type',
        ExpressionAttributeValues: { ':seen': lastSeenAt, ':uid': userId, ':type': 'profile' },
      }),
    );
  }

  /** AP: profiles by user id (BatchGet). Users never seen are absent from the map. */
  async getProfiles(userIds: readonly string[]): Promise<Map<string, ProfileRecord>> {
    const items = await this.#batchGet(userIds.map((id) => keys.profile(id)));
    const out = new Map<string, ProfileRecord>();
    for (const item of items) {
      const userId = String(item.userId);
      out.set(userId, {
        userId,
        name: typeof item.name === 'string' ? item.name : userId,
        lastSeenAt: typeof item.lastSeenAt === 'string' ? item.lastSeenAt : null,
      });
    }
    return out;
  }

  // ── Chats and memberships ──────────────────────────────────────────────────────────────────

  /**
   * AP: a chat and all its members in one Query (`CHAT#<id>`, sk between `MEMBER#` and `META`).
   * `consistent` for read-modify-write paths.
   */
  async getChatWithMembers(chatId: string, consistent = false): Promise<ChatWithMembers> {
    const items = await this.#queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': chatPk(chatId), ':from': PREFIX.member, ':to': 'META' },
      ConsistentRead: consistent,
    });
    let chat: ChatRecord | undefined;
    const members: MemberRecord[] = [];
    for (const item of items) {
      if (item.sk === 'META') chat = toChat(item);
      else members.push(toMember(item));
    }
    members.sort(byJoined);
    return { chat, members };
  }

  /** AP: one membership (key lookup). */
  async getMember(chatId: string, userId: string): Promise<MemberRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.member(chatId, userId) }),
    );
    return out.Item ? toMember(out.Item) : undefined;
  }

  /**
   * AP: the caller's memberships (Query on gsi1: `USER#<id>`, prefix `CHAT#`). The index carries
   * keys, kind and peer only (so read-cursor updates never write it): `lastReadSeq`, `role` and
   * `joinedAt` come from `getMemberships`.
   */
  async listMemberships(userId: string): Promise<MembershipRef[]> {
    const items = await this.#queryAll({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
      ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': PREFIX.chat },
    });
    return items.map((item) => ({
      chatId: stripPrefix(String(item.gsi1sk), PREFIX.chat),
      userId,
      kind: item.kind === 'direct' ? 'direct' : 'group',
      ...(typeof item.peerId === 'string' ? { peerId: item.peerId } : {}),
    }));
  }

  /** AP: full membership items and their chats' `META` items, in one batched read. */
  async getMembershipsAndChats(
    refs: readonly MembershipRef[],
  ): Promise<{ members: Map<string, MemberRecord>; chats: Map<string, ChatRecord> }> {
    const items = await this.#batchGet(
      refs.flatMap((r) => [keys.member(r.chatId, r.userId), keys.chat(r.chatId)]),
    );
    const members = new Map<string, MemberRecord>();
    const chats = new Map<string, ChatRecord>();
    for (const item of items) {
      if (item.sk === 'META') chats.set(String(item.chatId), toChat(item));
      else members.set(String(item.chatId), toMember(item));
    }
    return { members, chats };
  }

  /** AP: the direct chat of a pair, through its pair pointer (key lookup). */
  async getDirectChatId(a: string, b: string): Promise<string | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: pairKey(a, b), ConsistentRead: true }),
    );
    return typeof out.Item?.chatId === 'string' ? out.Item.chatId : undefined;
  }

  /**
   * AP: create a chat with its members. Direct chats also claim their pair pointer, replacing a
   * pointer to a deleted chat (`replacesChatId`). Returns false when the pair already has a chat.
   * Chats with more members than one transaction holds write the members first and the `META`
   * item last: until `META` exists the chat does not exist for any reader.
   */
  async createChat(
    chat: ChatRecord,
    members: readonly MemberRecord[],
    replacesChatId?: string,
  ): Promise<boolean> {
    const meta = {
      TableName: this.tableName,
      Item: { ...keys.chat(chat.chatId), ...chat, itemType: 'chat' },
    };
    const memberPuts = members.map((m) => ({
      TableName: this.tableName,
      Item: memberItem(m),
    }));
    if (chat.kind === 'direct') {
      const [a, b] = members.map((m) => m.userId) as [string, string];
      const pointer = {
        TableName: this.tableName,
        Item: { ...pairKey(a, b), chatId: chat.chatId, itemType: 'pair' },
        ...(replacesChatId
          ? { ConditionExpression: 'chatId = :old', ExpressionAttributeValues: { ':old': replacesChatId } }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      };
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [{ Put: pointer }, { Put: meta }, ...memberPuts.map((Put) => ({ Put }))],
          }),
        );
        return true;
      } catch (error) {
        if (cancellationCodes(error)[0] === 'ConditionalCheckFailed') return false;
        throw error;
      }
    }
    if (memberPuts.length + 1 <= MAX_TRANSACTION_ITEMS) {
      await this.client.send(
        new TransactWriteCommand({ TransactItems: [...memberPuts.map((Put) => ({ Put })), { Put: meta }] }),
      );
    } else {
      await this.#batchWrite(memberPuts.map((p) => ({ PutRequest: { Item: p.Item } })));
      await this.client.send(new PutCommand({ ...meta, ConditionExpression: 'attribute_not_exists(pk)' }));
    }
    return true;
  }

  /**
   * AP: add members to a group in one transaction, guarded by the member count read before
   * (optimistic concurrency). Returns false when the chat changed meanwhile.
   */
  async addMembers(chat: ChatRecord, members: readonly MemberRecord[]): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.chat(chat.chatId),
                UpdateExpression: 'SET memberCount = :next',
                ConditionExpression: 'memberCount = :count',
                ExpressionAttributeValues: {
                  ':count': chat.memberCount,
                  ':next': chat.memberCount + members.length,
                },
              },
            },
            ...members.map((m) => ({
              Put: {
                TableName: this.tableName,
                Item: memberItem(m),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error).length > 0) return false;
      throw error;
    }
  }

  /**
   * AP: remove a member in one transaction, guarded by the member count; hands ownership to
   * `newOwnerId` when given; deletes the chat with its last member.
   */
  async removeMember(chat: ChatRecord, userId: string, newOwnerId: string | undefined): Promise<boolean> {
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Delete: {
          TableName: this.tableName,
          Key: keys.member(chat.chatId, userId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
    ];
    if (chat.memberCount <= 1) {
      items.push({ Delete: { TableName: this.tableName, Key: keys.chat(chat.chatId) } });
    } else {
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keys.chat(chat.chatId),
          UpdateExpression: newOwnerId
            ? 'SET memberCount = :next, ownerId = :owner'
            : 'SET memberCount = :next',
          ConditionExpression: 'memberCount = :count',
          ExpressionAttributeValues: {
            ':count': chat.memberCount,
            ':next': chat.memberCount - 1,
            ...(newOwnerId ? { ':owner': newOwnerId } : {}),
          },
        },
      });
      if (newOwnerId) {
        items.push({
          Update: {
            TableName: this.tableName,
            Key: keys.member(chat.chatId, newOwnerId),
            UpdateExpression: 'SET #role = :owner',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#role': 'role' },
            ExpressionAttributeValues: { ':owner': 'owner' },
          },
        });
      }
    }
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (cancellationCodes(error).length > 0) return false;
      throw error;
    }
  }

  /**
   * AP: delete a chat. Other members' items go first (batched), then the owner's membership, the
   * `META` item and the pair pointer in one transaction guarded by the owner; the chat stays
   * visible to its owner until that last step, so a failed delete can simply be retried.
   * Messages are left unreachable under the deleted partition (see docs/data-model.md).
   */
  async deleteChat(chat: ChatRecord, members: readonly MemberRecord[]): Promise<void> {
    const others = members.filter((m) => m.userId !== chat.ownerId);
    await this.#batchWrite(
      others.map((m) => ({ DeleteRequest: { Key: keys.member(chat.chatId, m.userId) } })),
    );
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      { Delete: { TableName: this.tableName, Key: keys.member(chat.chatId, chat.ownerId) } },
      {
        Delete: {
          TableName: this.tableName,
          Key: keys.chat(chat.chatId),
          ConditionExpression: 'ownerId = :owner',
          ExpressionAttributeValues: { ':owner': chat.ownerId },
        },
      },
    ];
    if (chat.kind === 'direct') {
      const pair = members.map((m) => m.userId);
      if (pair.length === 2) {
        items.push({
          Delete: {
            TableName: this.tableName,
            Key: pairKey(pair[0] as string, pair[1] as string),
            ConditionExpression: 'attribute_not_exists(pk) OR chatId = :chat',
            ExpressionAttributeValues: { ':chat': chat.chatId },
          },
        });
      }
    }
    await this.client.send(new TransactWriteCommand({ TransactItems: items }));
  }

  /** AP: move a member's read cursor forward only. Returns the new value, or undefined if not moved. */
  async advanceReadCursor(chatId: string, userId: string, seq: number): Promise<number | undefined> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.member(chatId, userId),
          UpdateExpression: 'SET lastReadSeq = :seq',
          ConditionExpression: 'attribute_exists(pk) AND lastReadSeq < :seq',
          ExpressionAttributeValues: { ':seq': seq },
        }),
      );
      return seq;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  // ── Messages ───────────────────────────────────────────────────────────────────────────────

  /**
   * AP: append a message. One transaction moves the chat's `lastSeq` from the value read before
   * (optimistic lock: sequence numbers are strictly increasing and never burned), stores the
   * message and, with a clientMessageId, claims it for that sender (exactly-once under races).
   */
  async appendMessage(message: MessageRecord, previousSeq: number): Promise<SendOutcome> {
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Update: {
          TableName: this.tableName,
          Key: keys.chat(message.chatId),
          UpdateExpression: 'SET lastSeq = :seq, lastActivityAt = :at',
          ConditionExpression: 'lastSeq = :prev',
          ExpressionAttributeValues: { ':seq': message.seq, ':prev': previousSeq, ':at': message.createdAt },
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.message(message.chatId, message.seq), ...message, itemType: 'message' },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    if (message.clientMessageId) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: {
            ...keys.clientMessage(message.chatId, message.senderId, message.clientMessageId),
            seq: message.seq,
            messageId: message.messageId,
            itemType: 'clientMessage',
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return { status: 'stored', message };
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes.length === 0) throw error;
      if (codes[2] === 'ConditionalCheckFailed' && message.clientMessageId) {
        const seq = await this.getClientMessageSeq(message.chatId, message.senderId, message.clientMessageId);
        if (seq !== undefined) return { status: 'duplicate', seq };
      }
      if (codes[0] === 'ConditionalCheckFailed') {
        const meta = await this.client.send(
          new GetCommand({ TableName: this.tableName, Key: keys.chat(message.chatId), ConsistentRead: true }),
        );
        if (!meta.Item) return { status: 'chat-gone' };
      }
      return { status: 'seq-conflict' };
    }
  }

  /** AP: the seq a sender's clientMessageId was stored at, if any (key lookup, consistent). */
  async getClientMessageSeq(
    chatId: string,
    senderId: string,
    clientMessageId: string,
  ): Promise<number | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.clientMessage(chatId, senderId, clientMessageId),
        ConsistentRead: true,
      }),
    );
    return typeof out.Item?.seq === 'number' ? out.Item.seq : undefined;
  }

  /** AP: the chat's current `lastSeq` (consistent key lookup), or undefined if the chat is gone. */
  async getLastSeq(chatId: string): Promise<number | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.chat(chatId),
        ConsistentRead: true,
        ProjectionExpression: 'lastSeq',
      }),
    );
    return out.Item ? Number(out.Item.lastSeq) : undefined;
  }

  /** AP: one message by seq (key lookup). */
  async getMessage(chatId: string, seq: number, consistent = false): Promise<MessageRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.message(chatId, seq),
        ConsistentRead: consistent,
      }),
    );
    return out.Item ? toMessage(out.Item) : undefined;
  }

  /** AP: the newest message of each chat (BatchGet by `MSG#<lastSeq>`). */
  async getMessages(refs: readonly { chatId: string; seq: number }[]): Promise<Map<string, MessageRecord>> {
    const items = await this.#batchGet(refs.map((r) => keys.message(r.chatId, r.seq)));
    return new Map(items.map((item) => [`${item.chatId}#${item.seq}`, toMessage(item)]));
  }

  /**
   * AP: a page of history (Query on `MSG#` keys). Newest `limit` without bounds; `before` pages
   * back, `after` pages forward. Always ascending; `hasMore` in the direction asked.
   */
  async history(
    chatId: string,
    page: { before?: number | undefined; after?: number | undefined; limit: number },
  ): Promise<{ messages: MessageRecord[]; hasMore: boolean }> {
    const forward = page.after !== undefined;
    const from = forward ? seqSk((page.after as number) + 1) : seqSk(1);
    const to = page.before !== undefined ? seqSk(page.before - 1) : seqSk(10 ** 12 - 1);
    if (page.before !== undefined && page.before <= 1) return { messages: [], hasMore: false };
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': chatPk(chatId), ':from': from, ':to': to },
        ScanIndexForward: forward,
        Limit: page.limit + 1,
      }),
    );
    const items = (out.Items ?? []).map(toMessage);
    const hasMore = items.length > page.limit;
    const messages = items.slice(0, page.limit);
    if (!forward) messages.reverse();
    return { messages, hasMore };
  }

  /** AP: edit a message's text, guarded on author, id and not deleted. */
  async editMessage(
    message: MessageRecord,
    text: string,
    editedAt: string,
  ): Promise<MessageRecord | undefined> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.message(message.chatId, message.seq),
          UpdateExpression: 'SET #text = :text, editedAt = :at',
          ConditionExpression: 'messageId = :id AND senderId = :sender AND deleted = :false',
          ExpressionAttributeNames: { '#text': 'text' },
          ExpressionAttributeValues: {
            ':text': text,
            ':at': editedAt,
            ':id': message.messageId,
            ':sender': message.senderId,
            ':false': false,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? toMessage(out.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** AP: soft-delete a message (text cleared, seq and id kept), guarded on author and id. */
  async deleteMessage(message: MessageRecord): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.message(message.chatId, message.seq),
          UpdateExpression: 'SET #text = :empty, deleted = :true',
          ConditionExpression: 'messageId = :id AND senderId = :sender AND deleted = :false',
          ExpressionAttributeNames: { '#text': 'text' },
          ExpressionAttributeValues: {
            ':empty': '',
            ':true': true,
            ':false': false,
            ':id': message.messageId,
            ':sender': message.senderId,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  // ── Helpers ────────────────────────────────────────────────────────────────────────────────

  async #queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async #batchGet(keyList: readonly Key[]): Promise<Record<string, unknown>[]> {
    const unique = [...new Map(keyList.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
    const items: Record<string, unknown>[] = [];
    for (const batch of chunks(unique, 100)) {
      let pending: Record<string, unknown>[] | undefined = batch.map((k) => ({ pk: k.pk, sk: k.sk }));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt) * Math.random());
        const out = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }),
        );
        items.push(...(out.Responses?.[this.tableName] ?? []));
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
        if (attempt > 8 && pending?.length) throw new Error('BatchGet left keys unprocessed');
      }
    }
    return items;
  }

  async #batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    for (const batch of chunks(requests, 25)) {
      let pending: typeof batch | undefined = batch;
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt) * Math.random());
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = out.UnprocessedItems?.[this.tableName] as typeof batch | undefined;
        if (attempt > 8 && pending?.length) throw new Error('BatchWrite left items unprocessed');
      }
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function memberItem(m: MemberRecord): Record<string, unknown> {
  return {
    ...keys.member(m.chatId, m.userId),
    ...membershipIndexKeys(m.chatId, m.userId),
    ...m,
    itemType: 'member',
  };
}

let shared: ChatStore | undefined;

/** The container's store, built on the shared document client. */
export function store(): ChatStore {
  shared ??= new ChatStore(getDocumentClient(), config().tableName);
  return shared;
}

/** Replace the container's store (tests). */
export function setStore(next: ChatStore | undefined): void {
  shared = next;
}

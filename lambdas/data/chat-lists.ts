/**
 * A user's chats: the membership index (`USER#<id>`, prefix `CHAT#`) and the batched reads that
 * `listChats`, presence and push build on, and the membership-and-chat lookup of the reads that
 * need no member list. Read-only; every public method is one access pattern (docs/data-model.md).
 * `ChatRepository` (chats.ts) extends this class, so callers keep reaching these reads as
 * `store.chats.*`.
 */
import type { Item } from './item.ts';
import { CHAT, type ChatRecord, MEMBER, type MemberRecord, type MembershipRef } from './items.ts';
import { keys, MEMBERSHIP_INDEX, PREFIX, SK, stripPrefix, userPk } from './keys.ts';
import type { TableClient } from './table-client.ts';

/** The chat's `META` item (the rest of the chat partition's head is its members). */
export const isMeta = (item: Item) => item.sk === SK.chat;

/** A membership and its chat, either missing (`getMemberAndChat`). */
export interface MemberAndChat {
  readonly member: MemberRecord | undefined;
  readonly chat: ChatRecord | undefined;
}

export class ChatListReads {
  constructor(protected readonly table: TableClient) {}

  /**
   * A user's memberships (Query on the membership index: `USER#<id>`, prefix `CHAT#`). The index
   * carries keys, kind and peer only (so read-cursor updates never write it): `lastReadSeq`, `role`
   * and `joinedAt` come from `getMembershipsAndChats`.
   */
  async listMemberships(userId: string): Promise<MembershipRef[]> {
    const items = await this.table.queryAll({
      IndexName: MEMBERSHIP_INDEX.indexName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': MEMBERSHIP_INDEX.partitionKey, '#sk': MEMBERSHIP_INDEX.sortKey },
      ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': PREFIX.chat },
    });
    return items.map((item) => {
      const peerId = MEMBER.fields.peerId(item.peerId);
      return {
        chatId: stripPrefix(String(item[MEMBERSHIP_INDEX.sortKey]), PREFIX.chat),
        userId,
        kind: MEMBER.fields.kind(item.kind),
        ...(peerId !== undefined ? { peerId } : {}),
      };
    });
  }

  /** How many chats a user is in (the membership index, keys only; issue 17's per-user cap). */
  async countMemberships(userId: string): Promise<number> {
    const items = await this.table.queryAll({
      IndexName: MEMBERSHIP_INDEX.indexName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ProjectionExpression: '#sk',
      ExpressionAttributeNames: { '#pk': MEMBERSHIP_INDEX.partitionKey, '#sk': MEMBERSHIP_INDEX.sortKey },
      ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': PREFIX.chat },
    });
    return items.length;
  }

  /**
   * One membership and the chat's `META`, in one BatchGetItem (strongly consistent: a member told
   * `chat.joined` reads at once): the access check of the reads that need no member list (history,
   * uploads, downloads), which must also see a chat marked for deletion as gone.
   */
  async getMemberAndChat(chatId: string, userId: string): Promise<MemberAndChat> {
    const items = await this.table.batchGet([keys.member(chatId, userId), keys.chat(chatId)], {
      consistent: true,
    });
    const meta = items.find(isMeta);
    const member = items.find((item) => !isMeta(item));
    return { member: member && MEMBER.fromItem(member), chat: meta && CHAT.fromItem(meta) };
  }

  /**
   * Whether a user is a member of a chat now (GetItem `CHAT#c`,`MEMBER#u`, strongly consistent,
   * keys only): the check a roster dismissal makes after its deletes (lambdas/domain/rosters.ts).
   */
  async isMember(chatId: string, userId: string): Promise<boolean> {
    const item = await this.table.get(keys.member(chatId, userId), { consistent: true, projection: 'pk' });
    return item !== undefined;
  }

  /**
   * Full membership items and their chats' `META` items, in one batched read (eventually consistent
   * unless `consistent`: the push badge's recount, which must see a read cursor just moved); maps by
   * chatId.
   */
  async getMembershipsAndChats(
    refs: readonly MembershipRef[],
    options: { readonly consistent?: boolean } = {},
  ): Promise<{ members: Map<string, MemberRecord>; chats: Map<string, ChatRecord> }> {
    const items = await this.table.batchGet(
      refs.flatMap((r) => [keys.member(r.chatId, r.userId), keys.chat(r.chatId)]),
      options,
    );
    const members = new Map<string, MemberRecord>();
    const chats = new Map<string, ChatRecord>();
    for (const item of items) {
      if (isMeta(item)) chats.set(String(item.chatId), CHAT.fromItem(item));
      else members.set(String(item.chatId), MEMBER.fromItem(item));
    }
    return { members, chats };
  }

  /**
   * Chats' `META` items by id (one batched read, strongly consistent): `listChats` orders by them,
   * and a reconnecting client decides from their `lastVer`/`lastSeq` which chats to catch up. An
   * eventually consistent read could answer a head from before a message that the client's old
   * socket missed, and the client would not ask for it until the chat's next event.
   */
  async getChats(chatIds: readonly string[]): Promise<Map<string, ChatRecord>> {
    const items = await this.table.batchGet(
      chatIds.map((id) => keys.chat(id)),
      { consistent: true },
    );
    return new Map(items.map((item) => [String(item.chatId), CHAT.fromItem(item)]));
  }

  /**
   * One user's membership items in the given chats (one batched read; `consistent`: strongly, what
   * `$connect` reads of the groups only a join marker names); by chatId.
   */
  async getMemberships(
    userId: string,
    chatIds: readonly string[],
    options: { readonly consistent?: boolean } = {},
  ): Promise<Map<string, MemberRecord>> {
    const items = await this.table.batchGet(
      chatIds.map((id) => keys.member(id, userId)),
      options,
    );
    return new Map(items.map((item) => [String(item.chatId), MEMBER.fromItem(item)]));
  }
}

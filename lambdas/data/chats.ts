/**
 * Chats (`META`), their memberships and the direct-chat pair pointers. Membership changes are
 * transactions guarded by the `memberCount` and the `memberVer` read before (optimistic
 * concurrency: the count alone would let a change commit on a stale list after a leave and a join
 * that left the count as it was): a lost race is the value `'chat-changed'`, and the caller reads
 * again and retries. Each one sets `memberVer` to the version allocated for it
 * (`sequence.allocateVersion`), which invalidates senders' cached member lists. A big group's change
 * also puts its member-log entry (member-log.ts), chained to the `memberVer` it required, so that
 * senders bring their lists up to date from the log.
 * Every public method is one access pattern (all of them are listed in docs/data-model.md). A user's
 * chats (the membership index, batched reads) are inherited from chat-lists.ts, the deletion's writes
 * from chat-deletion-writes.ts.
 */

import { isChatFull } from '../shared/errors.ts';
import { blocksAsRead, isConflict, type PairBlocks } from './blocks.ts';
import { ChatDeletionWrites } from './chat-deletion-writes.ts';
import { isMeta } from './chat-lists.ts';
import { createdInSteps } from './group-steps.ts';
import { byJoined, CHAT, type ChatRecord, DIRECT_PAIR, MEMBER, type MemberRecord } from './items.ts';
import { chatPk, keys, PREFIX, SK } from './keys.ts';
import { type LoggedChange, loggedChange, type MembersAsOf, membersAt } from './member-log.ts';
import {
  ifConditionFails,
  itemAbsent,
  itemExists,
  type RequestOptions,
  type TransactAction,
} from './table-client.ts';

/** A chat with all its members: what one Query over the chat partition's head returns. */
export interface ChatWithMembers {
  readonly chat: ChatRecord | undefined;
  readonly members: MemberRecord[];
}

export type CreateChatOutcome =
  | { readonly status: 'created' }
  /** The pair's pointer names another chat (`chatId`), or no longer the one to replace (undefined). */
  | { readonly status: 'pair-taken'; readonly chatId: string | undefined }
  /** A direct chat's pair's block items are no longer as read: read them again. */
  | { readonly status: 'blocks-changed' };

/** The membership change was written, or the chat changed since it was read. */
export type MembershipChange = 'changed' | 'chat-changed';

const countUnchanged = 'memberCount = :count';
/** The chat is not being deleted (`deleteChat` marks it first): nobody joins a chat on its way out. */
const notDeleting = 'attribute_not_exists(deletedAt)';
/** The membership change's version is newer than the last one applied. */
const versionNewer = '(attribute_not_exists(memberVer) OR memberVer < :ver)';
/**
 * No membership change since the read: `memberVer` is the one read (`:prevVer`; a chat stored before
 * members had a version has none and reads as 0).
 */
const versionAsRead = '(attribute_not_exists(memberVer) OR memberVer = :prevVer)';
const pairPointsAtReplaced = 'chatId = :old';

/**
 * A chat's own reads and writes; its deletion's writes are in `ChatDeletionWrites`, a user's chats
 * (the membership index) in `ChatListReads`.
 */
export class ChatRepository extends ChatDeletionWrites {
  /**
   * A chat and all its members in one Query (`CHAT#<id>`, sk between `MEMBER#` and `META`).
   * `consistent` for read-modify-write paths. Read backwards, `META` first: a membership change
   * committed while the Query runs can then only show newer members under an older `memberVer`
   * (a Query is read-committed per item), which a sender's `memberVer` condition rejects, never
   * older members under a newer `memberVer`.
   */
  async getWithMembers(chatId: string, options: { consistent?: boolean } = {}): Promise<ChatWithMembers> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': chatPk(chatId), ':from': PREFIX.member, ':to': SK.chat },
      ScanIndexForward: false,
      ConsistentRead: options.consistent ?? false,
    });
    const meta = items.find(isMeta);
    const members = items.filter((item) => !isMeta(item)).map((item) => MEMBER.fromItem(item));
    return { chat: meta && CHAT.fromItem(meta), members: members.sort(byJoined) };
  }

  /**
   * A big group's members at version `toVer`, from a list read at `fromVer` and the member log
   * between (member-log.ts); undefined when the log cannot say (the caller reads the members).
   */
  membersAt(chatId: string, from: MembersAsOf, toVer: number): Promise<MemberRecord[] | undefined> {
    return membersAt(this.table, chatId, from, toVer);
  }

  /** A chat's `META` item alone (key lookup). */
  async getChat(chatId: string, options: { consistent?: boolean } = {}): Promise<ChatRecord | undefined> {
    const item = await this.table.get(keys.chat(chatId), { consistent: options.consistent ?? false });
    return item && CHAT.fromItem(item);
  }

  /** The id of the direct chat of a pair, through its pair pointer (consistent key lookup). */
  async getDirectChatId(a: string, b: string): Promise<string | undefined> {
    const item = await this.table.get(DIRECT_PAIR.key({ a, b }), { consistent: true });
    return typeof item?.chatId === 'string' ? item.chatId : undefined;
  }

  /**
   * Creates a chat with its members. A direct chat also claims its pair pointer, replacing a
   * pointer to a deleted chat (`replacesChatId`); when the pointer is taken the outcome names the
   * chat it points at (read from the refused write, not re-read). Chats with more members than one
   * transaction holds write the members first and `META` last: until `META` exists the chat does
   * not exist for any reader. A direct chat's `pairBlocks` (its pair's block items as read, which
   * its `blockedSenders` mirror) are checked in the same transaction (`blocks.ts`).
   */
  async create(
    chat: ChatRecord,
    members: readonly MemberRecord[],
    replacesChatId?: string,
    pairBlocks?: PairBlocks,
  ): Promise<CreateChatOutcome> {
    const guards = pairBlocks ? blocksAsRead(pairBlocks) : [];
    const meta = CHAT.toItem(chat);
    const memberItems = members.map((m) => MEMBER.toItem(m));
    if (chat.kind === 'direct') {
      const [a, b] = members.map((m) => m.userId) as [string, string];
      const pointer: TransactAction = {
        Put: {
          Item: DIRECT_PAIR.toItem({ a, b, chatId: chat.chatId }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...(replacesChatId
            ? {
                ConditionExpression: pairPointsAtReplaced,
                ExpressionAttributeValues: { ':old': replacesChatId },
              }
            : { ConditionExpression: itemAbsent }),
        },
      };
      const created = this.table
        .transact([
          pointer,
          { Put: { Item: meta } },
          ...memberItems.map((Item) => ({ Put: { Item } })),
          ...guards,
        ])
        .then(() => ({ status: 'created' }) as const);
      return ifConditionFails(created, (failure) => {
        const [refused] = failure.reasons;
        if (!refused?.conditionFailed) {
          // A block change meanwhile (a failed check, or its transaction holding a block item).
          const blockItems = guards.length > 0 ? failure.reasons.slice(-guards.length) : [];
          if (blockItems.some((r) => r.conditionFailed || isConflict(r)))
            return { status: 'blocks-changed' } as const;
          throw failure.error;
        }
        const chatId = refused.item && DIRECT_PAIR.fromItem(refused.item).chatId;
        return { status: 'pair-taken', chatId } as const;
      });
    }
    if (!createdInSteps(memberItems.length, false)) {
      await this.table.transact([...memberItems.map((Item) => ({ Put: { Item } })), { Put: { Item: meta } }]);
    } else {
      await this.table.batchWrite(memberItems.map((Item) => ({ PutRequest: { Item } })));
      await this.table.put({ Item: meta, ConditionExpression: itemAbsent });
    }
    return { status: 'created' };
  }

  /**
   * Adds members to a chat in one transaction, guarded by the member count and version read before;
   * the change takes version `ver` (`memberVer`). One brought back into a direct chat (its `peerId`
   * the member who stayed) makes them each other's peer again: the one who stayed gets `peerId` back,
   * and the pair's block items are checked as read (`pairBlocks`, as a new direct chat's are: a
   * block made since the caller read them makes it `'chat-changed'`, and the caller reads again).
   */
  async addMembers(
    chat: ChatRecord,
    members: readonly MemberRecord[],
    ver: number,
    options?: RequestOptions,
    pairBlocks?: PairBlocks,
  ): Promise<MembershipChange> {
    const logged = loggedChange(chat, ver, { added: members, removed: [] });
    const write = this.table.transact(
      [
        {
          Update: {
            Key: keys.chat(chat.chatId),
            UpdateExpression: 'SET memberCount = :next, memberVer = :ver',
            ConditionExpression: [countUnchanged, versionAsRead, versionNewer, notDeleting].join(' AND '),
            ExpressionAttributeValues: {
              ':count': chat.memberCount,
              ':prevVer': chat.memberVer,
              ':next': chat.memberCount + members.length,
              ':ver': ver,
            },
          },
        },
        ...members.map((m) => ({ Put: { Item: MEMBER.toItem(m), ConditionExpression: itemAbsent } })),
        ...members.flatMap((m) => (chat.kind === 'direct' && m.peerId ? [pairAgain(chat, m)] : [])),
        ...(logged ? [logged.put] : []),
        ...(pairBlocks ? blocksAsRead(pairBlocks) : []),
      ],
      options,
    );
    return ifConditionFails(
      write.then(() => 'changed' as const),
      () => 'chat-changed' as const,
    );
  }

  /**
   * Removes a member in one transaction, guarded by the member count and version read before and
   * by a chat not being deleted (so ownership never moves under `deleteChat`, whose last step
   * requires the owner); hands ownership to `newOwnerId` when given; deletes the chat's `META` with
   * its last member (the caller then expires the rest, as `deleteChat` does). The change takes
   * version `ver`. `stayingPeerId`: the member who stays in a direct chat the other leaves, whose
   * `peerId` goes with the leave (the two are no longer each other's direct-chat peers: presence).
   */
  async removeMember(
    chat: ChatRecord,
    userId: string,
    newOwnerId: string | undefined,
    ver: number,
    options?: RequestOptions,
    stayingPeerId?: string,
  ): Promise<MembershipChange> {
    const actions: TransactAction[] = [
      { Delete: { Key: keys.member(chat.chatId, userId), ConditionExpression: itemExists } },
    ];
    let logged: LoggedChange | undefined;
    if (chat.memberCount <= 1) {
      // Only while it is still the last member (an invite that landed since makes it a removal)
      // and the chat is not being deleted (deleteChat finishes that itself).
      actions.push({
        Delete: {
          Key: keys.chat(chat.chatId),
          ConditionExpression: `${countUnchanged} AND ${versionAsRead} AND ${notDeleting}`,
          ExpressionAttributeValues: { ':count': chat.memberCount, ':prevVer': chat.memberVer },
        },
      });
    } else {
      logged = loggedChange(chat, ver, { added: [], removed: [userId], newOwnerId });
      actions.push({
        Update: {
          Key: keys.chat(chat.chatId),
          UpdateExpression: newOwnerId
            ? 'SET memberCount = :next, memberVer = :ver, ownerId = :owner'
            : 'SET memberCount = :next, memberVer = :ver',
          ConditionExpression: [countUnchanged, versionAsRead, versionNewer, notDeleting].join(' AND '),
          ExpressionAttributeValues: {
            ':count': chat.memberCount,
            ':prevVer': chat.memberVer,
            ':next': chat.memberCount - 1,
            ':ver': ver,
            ...(newOwnerId ? { ':owner': newOwnerId } : {}),
          },
        },
      });
      if (logged) actions.push(logged.put);
      const stays = newOwnerId ?? stayingPeerId;
      if (stays)
        actions.push(handedOver(chat.chatId, stays, newOwnerId !== undefined, stayingPeerId === stays));
    }
    const applied = (list: readonly TransactAction[]) =>
      ifConditionFails(
        this.table.transact(list, options).then(() => 'changed' as const),
        () => 'chat-changed' as const,
      );
    try {
      return await applied(actions);
    } catch (error) {
      const entry = logged?.put;
      if (!isChatFull(error) || !entry) throw error;
      // A full chat refuses the log entry (a new item): the leave goes without it. The log then has
      // a gap at this version, and readers replaying it read the members instead (member-log.ts).
      return applied(actions.filter((action) => action !== entry));
    }
  }
}

/** The member who stays after a leave: made the owner, and (in a direct chat) no one's peer now. */
function handedOver(chatId: string, userId: string, owner: boolean, unpaired: boolean): TransactAction {
  const set = owner ? ['SET #role = :owner'] : [];
  return {
    Update: {
      Key: keys.member(chatId, userId),
      UpdateExpression: [...set, ...(unpaired ? ['REMOVE peerId'] : [])].join(' '),
      ConditionExpression: itemExists,
      ...(owner
        ? { ExpressionAttributeNames: { '#role': 'role' }, ExpressionAttributeValues: { ':owner': 'owner' } }
        : {}),
    },
  };
}

/** The member who stayed in a direct chat, the peer again of `back`, brought back into it. */
const pairAgain = (chat: ChatRecord, back: MemberRecord): TransactAction => ({
  Update: {
    Key: keys.member(chat.chatId, back.peerId as string),
    UpdateExpression: 'SET peerId = :peer',
    ConditionExpression: itemExists,
    ExpressionAttributeValues: { ':peer': back.userId },
  },
});

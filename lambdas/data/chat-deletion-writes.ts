/**
 * A chat's deletion writes, as `ChatRepository` access patterns (chats.ts inherits them): each
 * delegates to the step of the same name in chat-deletion.ts.
 */
import {
  deleteChatMeta,
  deleteMembersButOwner,
  deleteMembersWithoutChat,
  deleteOwnerAndPointer,
  markChatDeleted,
} from './chat-deletion.ts';
import { ChatListReads } from './chat-lists.ts';
import type { ChatRecord, MemberRecord } from './items.ts';

export class ChatDeletionWrites extends ChatListReads {
  /**
   * Deleting a chat, excluding any concurrent `invite` (issue 17), in four steps the domain runs in
   * order (chat-deletion.ts): first `deletedAt` on `META` (guarded by the owner), so every later
   * `addMembers` fails its condition; then every membership but the owner's (of the members the domain
   * read again after the mark, consistently: one added before the mark is seen) deleted (batched);
   * then the owner's membership and a direct chat's pair pointer in one transaction requiring `META`;
   * last `META` itself, once the chat's retention job is queued. From the mark on the chat is gone for
   * every reader but `deleteChat` and the deletion's finish job, which finish it. The rest of the
   * partition (messages, claims, reactions…) is given a TTL by its retention job (retention.ts).
   */
  markDeleted(chat: ChatRecord, deletedAt: string): Promise<boolean> {
    return markChatDeleted(this.table, chat, deletedAt);
  }

  /** Every membership of `members` (read after the mark) but the owner's, deleted. */
  deleteMembersButOwner(chat: ChatRecord, members: readonly MemberRecord[]): Promise<void> {
    return deleteMembersButOwner(this.table, chat, members);
  }

  /**
   * The owner's membership and a direct chat's pair pointer, requiring `META`: `'gone'` when `META`
   * was gone already (another run finished the deletion).
   */
  deleteOwnerAndPointer(chat: ChatRecord, members: readonly MemberRecord[]): Promise<'deleted' | 'gone'> {
    return deleteOwnerAndPointer(this.table, chat, members);
  }

  /** The memberships of a chat whose `META` was never written, while it is still absent. */
  deleteMembersWithoutChat(chatId: string, userIds: readonly string[]): Promise<'deleted' | 'chat-exists'> {
    return deleteMembersWithoutChat(this.table, chatId, userIds);
  }

  /** The deletion's last write: the marked `META` (key lookup delete). */
  deleteMeta(chatId: string): Promise<void> {
    return deleteChatMeta(this.table, chatId);
  }
}

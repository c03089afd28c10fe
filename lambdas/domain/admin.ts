/**
 * Administrators (issue 14): a caller whose token's roles claim holds `admin` (`Caller.admin`) may
 * remove members, delete messages and delete chats in any chat, member or not. Each action that
 * needed the role (the caller was not a member, or not the owner or author) is recorded: who, what,
 * when and the target (`AuditRepository`; `npm run audit`). For everyone else the rules stay as
 * they are: a chat the caller is not a member of is NOT_FOUND.
 */
import { randomBytes } from 'node:crypto';
import type { AuditAction, ChatRecord, MemberRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { logger } from '../shared/logger.ts';
import { chatNotFound, loadAsMember } from './access.ts';
import type { Deps } from './deps.ts';

export interface ChatAccess {
  readonly chat: ChatRecord;
  readonly members: MemberRecord[];
  /** The caller's membership; undefined for an administrator who is not a member. */
  readonly me: MemberRecord | undefined;
}

/**
 * The chat and its members for a member, or for an administrator whether a member or not
 * (NOT_FOUND for anyone else, and for a chat that does not exist).
 */
export async function loadForAction(
  deps: Deps,
  caller: Caller,
  chatId: string,
  options: { consistent?: boolean } = {},
): Promise<ChatAccess> {
  if (!caller.admin) return loadAsMember(deps, caller, chatId, options);
  const { chat, members } = await deps.store.chats.getWithMembers(chatId, options);
  if (!chat || chat.deletedAt !== undefined) throw chatNotFound(chatId);
  return { chat, members, me: members.find((m) => m.userId === caller.userId) };
}

/** What an administrator did, and to what. */
export interface AdminAction {
  readonly action: AuditAction;
  /** Absent for an action on a user (deactivateUser, reactivateUser). */
  readonly chatId?: string;
  readonly userId?: string;
  readonly messageId?: string;
  /** An account's deletion that erases the user's messages (deleteAccount, deleteUser). */
  readonly eraseMessages?: true;
}

/**
 * Records an action done under the administrator role (after it was done). Never fails: the action
 * is done, and a retry would find nothing to do (no chat, no member, a deleted message), so a failed
 * write must not skip what follows it (the events, the roster) nor turn a done action into an
 * error. It is logged as an error with the record (`audit record not stored`), which can be put by
 * hand; the INFO line before it has the record too (docs/data-model.md, "Audit records").
 */
export async function recordAdminAction(deps: Deps, caller: Caller, done: AdminAction): Promise<void> {
  const record = {
    auditId: randomBytes(8).toString('base64url'),
    at: deps.now().toISOString(),
    actorId: caller.userId,
    action: done.action,
    chatId: done.chatId ?? null,
    userId: done.userId ?? null,
    messageId: done.messageId ?? null,
    ...(done.eraseMessages ? { eraseMessages: true as const } : {}),
  };
  logger.info('administrator action', { audit: record });
  try {
    await deps.store.audit.record(record);
  } catch (error) {
    logger.error('audit record not stored', { audit: record, error });
  }
}

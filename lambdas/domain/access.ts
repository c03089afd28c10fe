/** Membership checks shared by the chat-scoped actions. */
import type { ChatRecord, ChatWithMembers, MemberRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { notFound } from '../shared/errors.ts';
import type { Deps } from './deps.ts';

interface MemberAccess {
  readonly chat: ChatRecord;
  readonly members: MemberRecord[];
  readonly me: MemberRecord;
}

export const chatNotFound = (chatId: string) => notFound(`Chat "${chatId}" was not found.`);

/** A chat the caller is not a member of does not exist for them: NOT_FOUND either way. */
export function loadedAsMember(loaded: ChatWithMembers, chatId: string, userId: string): MemberAccess {
  const me = loaded.members.find((m) => m.userId === userId);
  // A chat marked for deletion is gone already (deleteChat removes its members next).
  if (!loaded.chat || loaded.chat.deletedAt !== undefined || !me) throw chatNotFound(chatId);
  return { chat: loaded.chat, members: loaded.members, me };
}

/**
 * Reads a chat with its members for a caller who must be one of them (NOT_FOUND otherwise).
 * `consistent` before a guarded write (a read-modify-write).
 */
export async function loadAsMember(
  deps: Deps,
  caller: Caller,
  chatId: string,
  options: { consistent?: boolean } = {},
): Promise<MemberAccess> {
  return loadedAsMember(await deps.store.chats.getWithMembers(chatId, options), chatId, caller.userId);
}

/**
 * The caller's membership, for the reads that need no member list (one key lookup of it and of
 * `META`): NOT_FOUND when they are not a member or the chat is gone or marked for deletion.
 */
export async function loadMembership(deps: Deps, caller: Caller, chatId: string): Promise<MemberRecord> {
  return (await loadMemberAndChat(deps, caller, chatId)).member;
}

/** The caller's membership and the chat's `META` (one consistent BatchGet), as `loadMembership`. */
export async function loadMemberAndChat(
  deps: Deps,
  caller: Caller,
  chatId: string,
): Promise<{ member: MemberRecord; chat: ChatRecord }> {
  const { member, chat } = await deps.store.chats.getMemberAndChat(chatId, caller.userId);
  if (!member || !chat || chat.deletedAt !== undefined) throw chatNotFound(chatId);
  return { member, chat };
}

export const userIdsOf = (members: readonly MemberRecord[]): string[] => members.map((m) => m.userId);

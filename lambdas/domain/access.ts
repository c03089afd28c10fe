/** Membership checks shared by the chat-scoped actions. */
import type { ChatRecord, ChatWithMembers, MemberRecord } from '../data/store.ts';
import { notFound } from '../shared/errors.ts';

export interface MemberAccess {
  readonly chat: ChatRecord;
  readonly members: MemberRecord[];
  readonly me: MemberRecord;
}

/** A chat the caller is not a member of does not exist for them: NOT_FOUND either way. */
export function requireMember(loaded: ChatWithMembers, chatId: string, userId: string): MemberAccess {
  const me = loaded.members.find((m) => m.userId === userId);
  if (!loaded.chat || !me) throw notFound(`Chat "${chatId}" was not found.`);
  return { chat: loaded.chat, members: loaded.members, me };
}

export const userIdsOf = (members: readonly MemberRecord[]): string[] => members.map((m) => m.userId);

/**
 * Chats and memberships: getChat, invite, removeMember, deleteChat (createChat and the group an
 * invite into a direct chat starts: create-chat.ts; listChats: chat-list.ts).
 */

import type { ChatRecord, MemberRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict, forbidden, notFound } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { chatNotFound, loadAsMember, userIdsOf } from './access.ts';
import { loadForAction, recordAdminAction } from './admin.ts';
import { refuseBlockedInvite } from './blocking.ts';
import { epochSeconds, expireDeletedChat, finishChatDeletion, queueDeletionFinish } from './chat-deletion.ts';
import { groupFromDirect } from './create-chat.ts';
import type { Deps } from './deps.ts';
import { applyMembershipChange, joinChat, tellJoined } from './joins.ts';
import { LIMITS } from './limits.ts';
import { RETENTION_JOB_VERSION } from './retention-jobs.ts';
import { admitAgain, disbandRoster, dismissFromRoster, socketsMayPredate } from './rosters.ts';
import { queueSafetyNet } from './safety-net-jobs.ts';
import { allocateVersion } from './versions.ts';
import { type ChatView, chatView } from './views.ts';

export { listChats } from './chat-list.ts';
export { type CreateChatInput, createChat } from './create-chat.ts';

export interface ChatRef {
  readonly chatId: string;
}

export interface InviteInput {
  readonly chatId: string;
  readonly userIds: readonly string[];
  /** Into a direct chat: its new group once per key (create-chat.ts `groupFromDirect`). */
  readonly clientChatId?: string | undefined;
}

export interface RemoveMemberInput {
  readonly chatId: string;
  readonly userId: string;
}

export async function getChat(deps: Deps, caller: Caller, input: ChatRef): Promise<{ chat: ChatView }> {
  const { chat, members } = await loadAsMember(deps, caller, input.chatId);
  return { chat: chatView(chat, members, [caller.userId], caller.userId) };
}

export async function invite(deps: Deps, caller: Caller, input: InviteInput): Promise<{ chat: ChatView }> {
  const { chatId, userIds, clientChatId } = input;
  for (let attempt = 0; attempt < LIMITS.membershipAttempts; attempt++) {
    const { chat, members } = await loadAsMember(deps, caller, chatId, { consistent: true });
    if (chat.kind === 'direct')
      return { chat: await groupFromDirect(deps, caller, members, userIds, clientChatId) };
    if (chat.ownerId !== caller.userId) throw forbidden('Only the owner of this chat can invite people.');
    const current = new Set(userIdsOf(members));
    const fresh = userIds.filter((id) => !current.has(id));
    // Everyone asked for, members already included: a repeat tells them again (`inviteAgain`),
    // which nobody who has blocked the caller may be sent (one BatchGet, as for the fresh ones).
    await refuseBlockedInvite(deps, caller.userId, userIds);
    if (fresh.length === 0) return { chat: await inviteAgain(deps, caller, chat, members, userIds) };
    if (chat.memberCount + fresh.length > LIMITS.groupMaxMembers) {
      throw badRequest(`A group holds at most ${LIMITS.groupMaxMembers} members.`);
    }
    const view = await joinChat(deps, caller.userId, { chat, members }, fresh, 'userIds');
    if (view) return { chat: view };
  }
  throw conflict('The chat changed while people were being invited. Please retry.');
}

/**
 * An invite whose people are all members already: the ack is the unchanged chat. It may be the
 * retry of an invite that stored the memberships and then failed (the caller got INTERNAL) before
 * their sockets were listed in the roster or told: so those who joined within a socket's lifetime
 * (whose sockets may predate the join) are admitted again (the same entries, put again) and told
 * again, as events are delivered at least once: `chat.joined` to them, `member.joined` (at the
 * chat's current members' version) to the other members. Older members are left alone: every socket
 * they have open was listed by its own `$connect`.
 */
async function inviteAgain(
  deps: Deps,
  caller: Caller,
  chat: ChatRecord,
  members: readonly MemberRecord[],
  userIds: readonly string[],
): Promise<ChatView> {
  const asked = new Set(userIds);
  const view = chatView(chat, members, userIds);
  const again = members
    .filter((m) => asked.has(m.userId) && m.userId !== caller.userId && socketsMayPredate(deps, m.joinedAt))
    .map((m) => m.userId);
  if (again.length === 0) return view;
  // One who left since the read above is not told they joined (`admitAgain`).
  const { memberVer: ver } = chat;
  const stayed = await admitAgain(deps, chat, again);
  if (stayed.length === 0) return view;
  const others = userIdsOf(members).filter((id) => !again.includes(id));
  await tellJoined(deps, chat, [{ userIds: stayed, chat: view }], others, ver);
  return view;
}

export async function removeMember(
  deps: Deps,
  caller: Caller,
  input: RemoveMemberInput,
): Promise<{ chatId: string; userId: string }> {
  const { chatId, userId } = input;
  for (let attempt = 0; attempt < LIMITS.membershipAttempts; attempt++) {
    const { chat, members, me } = await loadForAction(deps, caller, chatId, { consistent: true });
    // Nobody may remove anyone else from a direct chat, so the administrator's role gives no power
    // there: to one who is not in it, it is a chat they are not a member of, NOT_FOUND as a missing
    // chat, before its members are looked at (who is in it is not theirs to learn). Its members may
    // leave it (protocol, Rules), as a group: its other member then stays in it alone.
    if (!me && chat.kind === 'direct') throw chatNotFound(chatId);
    const target = members.find((m) => m.userId === userId);
    if (!target) throw notFound(`User "${userId}" is not a member of this chat.`);
    if (chat.kind === 'direct' && userId !== caller.userId) {
      throw forbidden('In a direct chat you can remove only yourself: "userId" names the other member.');
    }
    // An administrator may remove anyone (recorded below); others need membership and the rule.
    const asAdmin = !me || (userId !== caller.userId && chat.ownerId !== caller.userId);
    if (asAdmin && !caller.admin) {
      throw forbidden('Only the owner can remove other members; you can remove yourself.');
    }
    const remaining = members.filter((m) => m.userId !== userId);
    const newOwner = userId === chat.ownerId ? remaining[0]?.userId : undefined;
    // The one who stays in a direct chat is no longer the leaver's direct-chat peer (presence).
    const stayingPeer = chat.kind === 'direct' ? remaining[0]?.userId : undefined;
    // Its last member leaving deletes the chat (its `META` with the membership).
    const lastOut = chat.memberCount <= 1;
    // Before the last leave's transaction, the delayed job that queues the partition's retention
    // once META is gone (safety-net-jobs.ts): a request stopped after the transaction leaves no
    // partition without its TTL. Queued, it is the retention; refused, the leave queues it below.
    const expiresAt = epochSeconds(deps.now());
    const netQueued =
      lastOut &&
      (await queueSafetyNet(deps, { v: RETENTION_JOB_VERSION, kind: 'expireLeft', chatId, expiresAt }));
    const version = await allocateVersion(deps, chatId);
    const applied = await applyMembershipChange(
      deps,
      chatId,
      version,
      (signal) =>
        deps.store.chats.removeMember(
          chat,
          userId,
          newOwner,
          version.ver,
          { abortSignal: signal },
          stayingPeer,
        ),
      lastOut,
    );
    if (!applied) continue;
    // Done: a retry would find the member (or the chat) gone and do nothing, so nothing below may
    // skip what follows it. Its last member left: the chat is deleted (protocol, Rules), so the rest
    // of its partition (messages, claims, reactions, uploads) and its media go as after deleteChat,
    // by the delayed job queued above, or queued here when the queue refused it (expired here as far
    // as the request's time allows when refused again: chat-deletion.ts). Then the administrator's
    // record; neither of them fails (logged instead).
    if (lastOut && !netQueued) await expireDeletedChat(deps, chatId, expiresAt);
    if (asAdmin) await recordAdminAction(deps, caller, { action: 'removeMember', chatId, userId });
    await deps.fanOut.toUsers(
      [...userIdsOf(remaining), userId],
      event('member.left', { chatId, userId, ver: version.ver }),
      { chat },
    );
    if (lastOut) await disbandRoster(deps, chat);
    else await dismissFromRoster(deps, chat, userId);
    return { chatId, userId };
  }
  throw conflict('The chat changed while the member was being removed. Please retry.');
}

export async function deleteChat(deps: Deps, caller: Caller, input: ChatRef): Promise<{ chatId: string }> {
  const { chatId } = input;
  // Not `loadAsMember`: a chat whose deletion was interrupted (marked, not yet gone) stays
  // deletable by its owner (or an administrator), so the delete can be retried.
  const { chat, members: before } = await deps.store.chats.getWithMembers(chatId, { consistent: true });
  if (!chat || !(caller.admin || before.some((m) => m.userId === caller.userId))) throw chatNotFound(chatId);
  const asAdmin = chat.ownerId !== caller.userId;
  if (asAdmin && !caller.admin) {
    // To any other member a marked chat is gone already, as to every other action (access.ts).
    if (chat.deletedAt !== undefined) throw chatNotFound(chatId);
    throw forbidden('Only the owner can delete this chat; you can leave it (removeMember of yourself).');
  }
  const now = deps.now();
  // Before the mark, the delayed job that finishes this deletion should the request stop after it
  // (chat-deletion.ts): the chat is then gone for everyone but this request and that job.
  await queueDeletionFinish(deps, chatId);
  if (!(await deps.store.chats.markDeleted(chat, now.toISOString()))) {
    // Marked when read, gone now: another run of this deletion (a retry, its finish job) finished it.
    if (chat.deletedAt !== undefined) return { chatId };
    throw conflict('The chat changed while it was being deleted. Please retry.');
  }
  // Marked: the chat is deleted (every read is NOT_FOUND), so the administrator's record now (a
  // failure is logged). Then its members told, their memberships deleted, its retention job (its
  // messages, claims, reactions, uploads… expire, DynamoDB's TTL removes them, its media objects are
  // deleted first: issue 17, item 8), META, its roster disbanded: the steps the finish job also runs.
  if (asAdmin) await recordAdminAction(deps, caller, { action: 'deleteChat', chatId });
  await finishChatDeletion(deps, chat, epochSeconds(now));
  return { chatId };
}

/** Chats and memberships: createChat, getChat, invite, removeMember, deleteChat (listChats: chat-list.ts). */

import type { Request } from '../contract/index.ts';
import { blockedSendersOf } from '../data/blocks.ts';
import type { ChatKind, ChatRecord, MemberRecord, Role } from '../data/store.ts';
import { isAborted } from '../data/table-client.ts';
import type { Caller } from '../shared/caller.ts';
import { cleanName, fallbackName } from '../shared/clean-name.ts';
import { badRequest, conflict, forbidden, notFound } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { chatNotFound, loadAsMember, userIdsOf } from './access.ts';
import { loadForAction, recordAdminAction } from './admin.ts';
import { blockedDirect, refuseBlockedDirect, refuseBlockedInvite } from './blocking.ts';
import type { Deps } from './deps.ts';
import { newChatId } from './ids.ts';
import { LIMITS } from './limits.ts';
import { refuseOverChatCap } from './membership-cap.ts';
import { expireDeletedChat } from './retention-jobs.ts';
import { admitToRoster, disbandRoster, dismissFromRoster } from './rosters.ts';
import { type AllocatedVersion, allocateVersion } from './versions.ts';
import { type ChatView, chatView } from './views.ts';

export { listChats } from './chat-list.ts';

export interface ChatRef {
  readonly chatId: string;
}

export interface InviteInput {
  readonly chatId: string;
  readonly userIds: readonly string[];
}

export interface RemoveMemberInput {
  readonly chatId: string;
  readonly userId: string;
}

export type CreateChatInput = Request<'createChat'>;

function member(chat: ChatRecord, userId: string, role: Role, peerId?: string): MemberRecord {
  return {
    chatId: chat.chatId,
    userId,
    role,
    lastReadSeq: 0,
    lastDeliveredSeq: 0,
    joinedAt: chat.createdAt,
    kind: chat.kind,
    ...(peerId ? { peerId } : {}),
  };
}

/**
 * A new chat. Its creation is version 1, also its members' version (so `sync` from 0 returns the
 * members); a direct chat carries each member's newest own message (`sentSeq`) for read cursors.
 */
function newChat(
  deps: Deps,
  kind: ChatKind,
  name: string | null,
  ownerId: string,
  count: number,
): ChatRecord {
  const now = deps.now().toISOString();
  return {
    chatId: newChatId(),
    kind,
    name,
    ownerId,
    lastSeq: 0,
    memberCount: count,
    createdAt: now,
    lastActivityAt: now,
    lastVer: 1,
    memberVer: 1,
    lastAllocAt: 0,
    minSyncVer: 0,
    ...(kind === 'direct' ? { sentSeq: {} } : {}),
  };
}

export async function createChat(
  deps: Deps,
  caller: Caller,
  input: CreateChatInput,
): Promise<{ chat: ChatView; created: boolean }> {
  if (input.kind === 'direct') return createDirectChat(deps, caller, input.userId);
  const others = input.memberIds.filter((id) => id !== caller.userId);
  if (others.length + 1 > LIMITS.groupMaxMembers) {
    throw badRequest(`A group holds at most ${LIMITS.groupMaxMembers} members (you included).`);
  }
  return { chat: await createGroup(deps, caller.userId, input.name, others), created: true };
}

async function createGroup(
  deps: Deps,
  ownerId: string,
  name: string,
  others: readonly string[],
): Promise<ChatView> {
  await refuseBlockedInvite(deps, ownerId, others);
  await refuseOverChatCap(deps, ownerId, [ownerId, ...others]);
  const chat = newChat(deps, 'group', name, ownerId, others.length + 1);
  const members = [member(chat, ownerId, 'owner'), ...others.map((id) => member(chat, id, 'member'))];
  await deps.store.chats.create(chat, members);
  const view = chatView(chat, members);
  await admitToRoster(deps, chat, userIdsOf(members));
  await deps.fanOut.toUsers(userIdsOf(members), event('chat.created', { chat: view }), { chat });
  return view;
}

async function createDirectChat(
  deps: Deps,
  caller: Caller,
  peerId: string,
): Promise<{ chat: ChatView; created: boolean }> {
  if (peerId === caller.userId)
    throw badRequest('A direct chat needs another user: "userId" is your own id.');
  await refuseBlockedDirect(deps, caller, peerId);
  let existingId = await deps.store.chats.getDirectChatId(caller.userId, peerId);
  for (let attempt = 0; attempt < LIMITS.membershipAttempts; attempt++) {
    if (existingId) {
      const loaded = await deps.store.chats.getWithMembers(existingId, { consistent: true });
      if (loaded.chat && loaded.members.some((m) => m.userId === caller.userId)) {
        return { chat: chatView(loaded.chat, loaded.members), created: false };
      }
    }
    // The new chat mirrors the pair's blocks, checked in its own transaction (block-mirror.ts). The
    // peer's item about the caller was read (absent) above: the first attempt reads only the other.
    const [blocks] = await Promise.all([
      attempt === 0
        ? deps.store.blocks
            .isBlocked(caller.userId, peerId)
            .then((aBlocksB) => ({ a: caller.userId, b: peerId, aBlocksB, bBlocksA: false }))
        : deps.store.blocks.pairBlocks(caller.userId, peerId),
      refuseOverChatCap(deps, caller.userId, [caller.userId, peerId]),
    ]);
    if (blocks.bBlocksA) throw blockedDirect();
    const blockedSenders = blockedSendersOf(blocks);
    const chat: ChatRecord = {
      ...newChat(deps, 'direct', null, caller.userId, 2),
      blocksMirrored: true,
      ...(blockedSenders ? { blockedSenders } : {}),
    };
    const members = [
      member(chat, caller.userId, 'owner', peerId),
      member(chat, peerId, 'member', caller.userId),
    ];
    const outcome = await deps.store.chats.create(chat, members, existingId, blocks);
    if (outcome.status === 'created') {
      const view = chatView(chat, members);
      await deps.fanOut.toUsers(userIdsOf(members), event('chat.created', { chat: view }));
      return { chat: view, created: true };
    }
    // The chat that won the pair meanwhile (from the refused write), or a block changed: read again.
    if (outcome.status === 'pair-taken') existingId = outcome.chatId;
  }
  throw conflict('The direct chat changed while it was being created. Please retry.');
}

export async function getChat(deps: Deps, caller: Caller, input: ChatRef): Promise<{ chat: ChatView }> {
  const { chat, members } = await loadAsMember(deps, caller, input.chatId);
  return { chat: chatView(chat, members) };
}

export async function invite(deps: Deps, caller: Caller, input: InviteInput): Promise<{ chat: ChatView }> {
  const { chatId, userIds } = input;
  for (let attempt = 0; attempt < LIMITS.membershipAttempts; attempt++) {
    const { chat, members } = await loadAsMember(deps, caller, chatId, { consistent: true });
    if (chat.kind === 'direct') return { chat: await groupFromDirect(deps, caller, members, userIds) };
    if (chat.ownerId !== caller.userId) throw forbidden('Only the owner of this chat can invite people.');
    const current = new Set(userIdsOf(members));
    const fresh = userIds.filter((id) => !current.has(id));
    if (fresh.length === 0) return { chat: chatView(chat, members) };
    await refuseBlockedInvite(deps, caller.userId, fresh);
    if (chat.memberCount + fresh.length > LIMITS.groupMaxMembers) {
      throw badRequest(`A group holds at most ${LIMITS.groupMaxMembers} members.`);
    }
    await refuseOverChatCap(deps, caller.userId, fresh);
    const joinedAt = deps.now().toISOString();
    const added = fresh.map((id) => ({ ...member(chat, id, 'member'), joinedAt }));
    const version = await allocateVersion(deps, chatId);
    const applied = await applyMembershipChange(deps, chatId, version, (signal) =>
      deps.store.chats.addMembers(chat, added, version.ver, { abortSignal: signal }),
    );
    if (!applied) continue;
    const { ver } = version;
    const updated = { ...chat, memberCount: chat.memberCount + added.length, lastVer: ver, memberVer: ver };
    const view = chatView(updated, [...members, ...added]);
    await admitToRoster(deps, chat, fresh);
    await Promise.all([
      deps.fanOut.toUsers(fresh, event('chat.joined', { chat: view }), { chat }),
      deps.fanOut.toUsers([...current], event('member.joined', { chatId, userIds: fresh, ver }), { chat }),
    ]);
    return { chat: view };
  }
  throw conflict('The chat changed while people were being invited. Please retry.');
}

/** Inviting into a direct chat starts a new group; the direct chat stays private to its pair. */
async function groupFromDirect(
  deps: Deps,
  caller: Caller,
  pair: readonly MemberRecord[],
  userIds: readonly string[],
): Promise<ChatView> {
  const others = [...new Set([...userIdsOf(pair), ...userIds])].filter((id) => id !== caller.userId);
  if (others.length + 1 > LIMITS.groupMaxMembers) {
    throw badRequest(`A group holds at most ${LIMITS.groupMaxMembers} members.`);
  }
  const everyone = [caller.userId, ...others];
  const profiles = await deps.store.profiles.getMany(everyone);
  // Stored names were cleaned when stored; cleaned again here (names stored before that, the caller's).
  const names = everyone.map(
    (id) =>
      cleanName(
        (id === caller.userId ? caller.name : profiles.get(id)?.name) ?? '',
        LIMITS.groupNameMaxChars,
      ) ?? fallbackName(id),
  );
  const name = cleanName(names.join(', '), LIMITS.groupNameMaxChars) ?? fallbackName(caller.userId);
  return createGroup(deps, caller.userId, name, others);
}

export async function removeMember(
  deps: Deps,
  caller: Caller,
  input: RemoveMemberInput,
): Promise<{ chatId: string; userId: string }> {
  const { chatId, userId } = input;
  for (let attempt = 0; attempt < LIMITS.membershipAttempts; attempt++) {
    const { chat, members, me } = await loadForAction(deps, caller, chatId, { consistent: true });
    const target = members.find((m) => m.userId === userId);
    if (!target) throw notFound(`User "${userId}" is not a member of this chat.`);
    if (chat.kind === 'direct') throw forbidden('A direct chat cannot be left; delete it instead.');
    // An administrator may remove anyone (recorded below); others need membership and the rule.
    const asAdmin = !me || (userId !== caller.userId && chat.ownerId !== caller.userId);
    if (asAdmin && !caller.admin) {
      throw forbidden('Only the owner can remove other members; you can remove yourself.');
    }
    const remaining = members.filter((m) => m.userId !== userId);
    const newOwner = userId === chat.ownerId ? remaining[0]?.userId : undefined;
    const version = await allocateVersion(deps, chatId);
    const applied = await applyMembershipChange(deps, chatId, version, (signal) =>
      deps.store.chats.removeMember(chat, userId, newOwner, version.ver, { abortSignal: signal }),
    );
    if (!applied) continue;
    await deps.fanOut.toUsers(
      [...userIdsOf(remaining), userId],
      event('member.left', { chatId, userId, ver: version.ver }),
      { chat },
    );
    await dismissFromRoster(deps, chat, userId);
    if (asAdmin) await recordAdminAction(deps, caller, { action: 'removeMember', chatId, userId });
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
  if (asAdmin && !caller.admin) throw forbidden('Only the owner can delete this chat.');
  const now = deps.now();
  const members = await deps.store.chats.delete(chat, now.toISOString());
  if (!members) throw conflict('The chat changed while it was being deleted. Please retry.');
  // Its messages, claims, reactions, uploads…: expire now, DynamoDB's TTL removes them (issue 17,
  // item 8), and its media objects are deleted first; a queued job does both
  // (lambdas/domain/retention-jobs.ts), or this request when the queue refuses. Nothing signs a
  // download of them meanwhile: the chat and its memberships are gone, so every read is NOT_FOUND.
  await expireDeletedChat(deps, chatId, Math.floor(now.getTime() / 1000));
  await deps.fanOut.toUsers(userIdsOf(members), event('chat.deleted', { chatId }), { chat });
  await disbandRoster(deps, chat);
  if (asAdmin) await recordAdminAction(deps, caller, { action: 'deleteChat', chatId });
  return { chatId };
}

/**
 * Writes a membership change under its version before the write deadline (`versions.ts`). Whether
 * it was applied: false when the chat changed since it was read (the caller reads again) or when
 * the write did not land in time (its version is then never seen).
 */
async function applyMembershipChange(
  deps: Deps,
  chatId: string,
  version: AllocatedVersion,
  write: (signal: AbortSignal) => Promise<'changed' | 'chat-changed'>,
): Promise<boolean> {
  if (!version.open()) return false;
  try {
    return (await write(version.signal)) === 'changed';
  } catch (error) {
    if (!isAborted(error)) throw error;
    // It may have landed before the deadline: the chat's members' version tells.
    const { chat } = await deps.store.chats.getWithMembers(chatId, { consistent: true });
    return chat !== undefined && chat.memberVer === version.ver;
  }
}

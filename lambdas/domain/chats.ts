/** Chats and memberships: createChat, listChats, getChat, invite, removeMember, deleteChat. */
import type { Request } from '../contract/index.ts';
import type { ChatRecord, MemberRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict, forbidden, notFound } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { requireMember, userIdsOf } from './access.ts';
import type { Deps } from './deps.ts';
import { newChatId } from './ids.ts';
import { LIMITS } from './limits.ts';
import { type ChatSummaryView, type ChatView, chatSummaryView, chatView } from './views.ts';

export type { Caller };
export type CreateChatInput = Request<'createChat'>;

function member(chat: ChatRecord, userId: string, role: 'owner' | 'member', peerId?: string): MemberRecord {
  return {
    chatId: chat.chatId,
    userId,
    role,
    lastReadSeq: 0,
    joinedAt: chat.createdAt,
    kind: chat.kind,
    ...(peerId ? { peerId } : {}),
  };
}

function newChat(deps: Deps, kind: 'direct' | 'group', name: string | null, ownerId: string, count: number) {
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
  } satisfies ChatRecord;
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
  const chat = newChat(deps, 'group', name, ownerId, others.length + 1);
  const members = [member(chat, ownerId, 'owner'), ...others.map((id) => member(chat, id, 'member'))];
  await deps.store.createChat(chat, members);
  const view = chatView(chat, members);
  await deps.notifier.toUsers(userIdsOf(members), event('chat.created', { chat: view }));
  return view;
}

async function createDirectChat(
  deps: Deps,
  caller: Caller,
  peerId: string,
): Promise<{ chat: ChatView; created: boolean }> {
  if (peerId === caller.userId)
    throw badRequest('A direct chat needs another user: "userId" is your own id.');
  for (let attempt = 0; attempt < 3; attempt++) {
    const existingId = await deps.store.getDirectChatId(caller.userId, peerId);
    if (existingId) {
      const loaded = await deps.store.getChatWithMembers(existingId, true);
      if (loaded.chat && loaded.members.some((m) => m.userId === caller.userId)) {
        return { chat: chatView(loaded.chat, loaded.members), created: false };
      }
    }
    const chat = newChat(deps, 'direct', null, caller.userId, 2);
    const members = [
      member(chat, caller.userId, 'owner', peerId),
      member(chat, peerId, 'member', caller.userId),
    ];
    if (await deps.store.createChat(chat, members, existingId)) {
      const view = chatView(chat, members);
      await deps.notifier.toUsers(userIdsOf(members), event('chat.created', { chat: view }));
      return { chat: view, created: true };
    }
  }
  throw conflict('The direct chat changed while it was being created. Please retry.');
}

export async function listChats(deps: Deps, caller: Caller): Promise<{ chats: ChatSummaryView[] }> {
  const refs = await deps.store.listMemberships(caller.userId);
  const { members, chats } = await deps.store.getMembershipsAndChats(refs);
  const last = await deps.store.getMessages(
    [...chats.values()].filter((c) => c.lastSeq > 0).map((c) => ({ chatId: c.chatId, seq: c.lastSeq })),
  );
  const summaries: { view: ChatSummaryView; activity: string }[] = [];
  for (const ref of refs) {
    const chat = chats.get(ref.chatId);
    const membership = members.get(ref.chatId);
    if (!chat || !membership) continue; // a chat deleted while its memberships are being removed
    const lastMessage = last.get(`${chat.chatId}#${chat.lastSeq}`);
    summaries.push({ view: chatSummaryView(chat, membership, lastMessage), activity: chat.lastActivityAt });
  }
  summaries.sort(
    (a, b) => b.activity.localeCompare(a.activity) || a.view.chatId.localeCompare(b.view.chatId),
  );
  return { chats: summaries.map((s) => s.view) };
}

export async function getChat(deps: Deps, caller: Caller, chatId: string): Promise<{ chat: ChatView }> {
  const { chat, members } = requireMember(await deps.store.getChatWithMembers(chatId), chatId, caller.userId);
  return { chat: chatView(chat, members) };
}

export async function invite(
  deps: Deps,
  caller: Caller,
  chatId: string,
  userIds: readonly string[],
): Promise<{ chat: ChatView }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { chat, members } = requireMember(
      await deps.store.getChatWithMembers(chatId, true),
      chatId,
      caller.userId,
    );
    if (chat.kind === 'direct') return { chat: await groupFromDirect(deps, caller, members, userIds) };
    if (chat.ownerId !== caller.userId) throw forbidden('Only the owner of this chat can invite people.');
    const current = new Set(userIdsOf(members));
    const fresh = userIds.filter((id) => !current.has(id));
    if (fresh.length === 0) return { chat: chatView(chat, members) };
    if (chat.memberCount + fresh.length > LIMITS.groupMaxMembers) {
      throw badRequest(`A group holds at most ${LIMITS.groupMaxMembers} members.`);
    }
    const joinedAt = deps.now().toISOString();
    const added = fresh.map((id) => ({ ...member(chat, id, 'member'), joinedAt }));
    if (!(await deps.store.addMembers(chat, added))) continue;
    const updated = { ...chat, memberCount: chat.memberCount + added.length };
    const view = chatView(updated, [...members, ...added]);
    await Promise.all([
      deps.notifier.toUsers(fresh, event('chat.joined', { chat: view })),
      deps.notifier.toUsers([...current], event('member.joined', { chatId, userIds: fresh })),
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
  const profiles = await deps.store.getProfiles(everyone);
  const names = everyone.map((id) => (id === caller.userId ? caller.name : (profiles.get(id)?.name ?? id)));
  const name = [...names.join(', ')].slice(0, LIMITS.groupNameMaxChars).join('');
  return createGroup(deps, caller.userId, name, others);
}

export async function removeMember(
  deps: Deps,
  caller: Caller,
  chatId: string,
  userId: string,
): Promise<{ chatId: string; userId: string }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { chat, members } = requireMember(
      await deps.store.getChatWithMembers(chatId, true),
      chatId,
      caller.userId,
    );
    const target = members.find((m) => m.userId === userId);
    if (!target) throw notFound(`User "${userId}" is not a member of this chat.`);
    if (chat.kind === 'direct') throw forbidden('A direct chat cannot be left; delete it instead.');
    if (userId !== caller.userId && chat.ownerId !== caller.userId) {
      throw forbidden('Only the owner can remove other members; you can remove yourself.');
    }
    const remaining = members.filter((m) => m.userId !== userId);
    const newOwner = userId === chat.ownerId ? remaining[0]?.userId : undefined;
    if (!(await deps.store.removeMember(chat, userId, newOwner))) continue;
    await deps.notifier.toUsers([...userIdsOf(remaining), userId], event('member.left', { chatId, userId }));
    return { chatId, userId };
  }
  throw conflict('The chat changed while the member was being removed. Please retry.');
}

export async function deleteChat(deps: Deps, caller: Caller, chatId: string): Promise<{ chatId: string }> {
  const { chat, members } = requireMember(
    await deps.store.getChatWithMembers(chatId, true),
    chatId,
    caller.userId,
  );
  if (chat.ownerId !== caller.userId) throw forbidden('Only the owner can delete this chat.');
  await deps.store.deleteChat(chat, members);
  await deps.notifier.toUsers(userIdsOf(members), event('chat.deleted', { chatId }));
  return { chatId };
}

/**
 * New chats: createChat (a group, once per `clientChatId` when given: group-keys.ts; or the one
 * direct chat of a pair, which mirrors the pair's blocks: block-mirror.ts), and the group an invite
 * into a direct chat starts (`groupFromDirect`).
 */
import type { Request } from '../contract/index.ts';
import { blockedSendersOf, type PairBlocks } from '../data/blocks.ts';
import type { ChatRecord, MemberRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { cleanName, fallbackName } from '../shared/clean-name.ts';
import { badRequest, conflict } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { userIdsOf } from './access.ts';
import { blockedDirect, refuseBlockedDirect, refuseBlockedInvite, refuseBlockedReturn } from './blocking.ts';
import type { Deps } from './deps.ts';
import { announceGroup, createKeyedGroup, type GroupPlan, groupMembers, refuseGroup } from './group-keys.ts';
import { joinChat, returnAgain } from './joins.ts';
import { LIMITS } from './limits.ts';
import { refuseOverChatCap } from './membership-cap.ts';
import { member, newChat } from './new-chat.ts';
import { queueCreationCheck } from './safety-net-jobs.ts';
import { type ChatView, chatView } from './views.ts';

export { invitedMember, member, newChat } from './new-chat.ts';

export type CreateChatInput = Request<'createChat'>;

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
  if (input.clientChatId !== undefined) {
    const plan = { name: input.name, others, field: 'memberIds' } as const;
    return createKeyedGroup(deps, caller.userId, input.clientChatId, () => plan);
  }
  return { chat: await createGroup(deps, caller.userId, input.name, others), created: true };
}

async function createGroup(
  deps: Deps,
  ownerId: string,
  name: string,
  others: readonly string[],
  field: GroupPlan['field'] = 'memberIds',
): Promise<ChatView> {
  await refuseGroup(deps, ownerId, others, field);
  const chat = newChat(deps.now(), 'group', name, ownerId, others.length + 1);
  const members = groupMembers(chat, others);
  // Before a big group's memberships: the job that deletes them should the request stop before META.
  await queueCreationCheck(deps, chat.chatId, members);
  await deps.store.chats.create(chat, members);
  return announceGroup(deps, chat, members);
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
    // The pair's block items. The peer's about the caller was read (absent) above: the first attempt
    // reads only the other; a later one both (a block since then is why it is there).
    const readBlocks = (): Promise<PairBlocks> =>
      attempt === 0
        ? deps.store.blocks
            .isBlocked(caller.userId, peerId)
            .then((aBlocksB) => ({ a: caller.userId, b: peerId, aBlocksB, bBlocksA: false }))
        : deps.store.blocks.pairBlocks(caller.userId, peerId);
    if (existingId) {
      // A chat gone (both left), or marked for deletion (a deleteChat interrupted after its mark:
      // every action on it is NOT_FOUND) is replaced by a new one (protocol: `created: true`). One of
      // the pair who left it is brought back into it, as an invite would (joins.ts), history kept,
      // only while neither has blocked the other (a pair one of whom blocked the other stays apart):
      // the write checks both block items as read, as a new chat's transaction does.
      const loaded = await deps.store.chats.getWithMembers(existingId, { consistent: true });
      const { chat, members } = loaded;
      if (chat && chat.deletedAt === undefined && members.length > 0) {
        const missing = [caller.userId, peerId].filter((id) => !members.some((m) => m.userId === id));
        // Both in it: maybe the retry of a return that stopped before telling (joins.ts).
        if (missing.length === 0)
          return { chat: await returnAgain(deps, caller.userId, chat, members), created: false };
        const blocks = await readBlocks();
        refuseBlockedReturn(blocks);
        const view = await joinChat(deps, caller.userId, { chat, members }, missing, 'userId', blocks);
        if (view) return { chat: view, created: false };
        continue; // the chat, or the pair's blocks, changed meanwhile: read them again
      }
    }
    // The new chat mirrors the pair's blocks, checked in its own transaction (block-mirror.ts).
    const [blocks] = await Promise.all([
      readBlocks(),
      refuseOverChatCap(deps, caller.userId, [caller.userId, peerId], 'userId'),
    ]);
    if (blocks.bBlocksA) throw blockedDirect();
    const blockedSenders = blockedSendersOf(blocks);
    const chat: ChatRecord = {
      ...newChat(deps.now(), 'direct', null, caller.userId, 2),
      pair: new Set([caller.userId, peerId]),
      blocksMirrored: true,
      ...(blockedSenders ? { blockedSenders } : {}),
    };
    const members = [
      member(chat, caller.userId, 'owner', peerId),
      member(chat, peerId, 'member', caller.userId),
    ];
    const outcome = await deps.store.chats.create(chat, members, existingId, blocks);
    if (outcome.status === 'created') {
      // Each of the pair gets the Chat that names the other (`peerId`): one fan-out, a frame each.
      const viewOf = (id: string) => chatView(chat, members, [], id);
      const parts = userIdsOf(members).map((id) => ({
        userIds: [id],
        frame: event('chat.created', { chat: viewOf(id) }),
      }));
      await deps.fanOut.toEach(parts);
      return { chat: viewOf(caller.userId), created: true };
    }
    // The chat that won the pair meanwhile (from the refused write), or a block changed: read again.
    if (outcome.status === 'pair-taken') existingId = outcome.chatId;
  }
  throw conflict('The direct chat changed while it was being created. Please retry.');
}

/**
 * Inviting into a direct chat starts a new group; the direct chat stays private to its pair. With a
 * `clientChatId`, once per key (group-keys.ts): a repeat answers the group the first one created,
 * unless anyone it names (or the direct chat's other member) has blocked the caller: an invite of
 * them is FORBIDDEN, repeat or not, as a repeated invite into a group is (chats.ts).
 */
export async function groupFromDirect(
  deps: Deps,
  caller: Caller,
  pair: readonly MemberRecord[],
  userIds: readonly string[],
  clientChatId?: string,
): Promise<ChatView> {
  const plan = () => directGroupPlan(deps, caller, pair, userIds);
  if (clientChatId !== undefined) {
    const refuseRepeat = () => refuseBlockedInvite(deps, caller.userId, invitedWith(caller, pair, userIds));
    return (await createKeyedGroup(deps, caller.userId, clientChatId, plan, refuseRepeat)).chat;
  }
  const { name, others, field } = await plan();
  return createGroup(deps, caller.userId, name, others, field);
}

/** Who an invite into a direct chat puts in its group besides the caller: the pair and the invitees. */
const invitedWith = (caller: Caller, pair: readonly MemberRecord[], userIds: readonly string[]): string[] =>
  [...new Set([...userIdsOf(pair), ...userIds])].filter((id) => id !== caller.userId);

/** The group an invite into a direct chat creates: its pair and the invitees, named after them. */
async function directGroupPlan(
  deps: Deps,
  caller: Caller,
  pair: readonly MemberRecord[],
  userIds: readonly string[],
): Promise<GroupPlan> {
  const others = invitedWith(caller, pair, userIds);
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
  // The other member of the direct chat is in no request field: the refusal says who they are.
  const field = (id: string) =>
    userIds.includes(id) ? `"userIds" entry "${id}"` : `The other member of this direct chat, "${id}",`;
  return { name, others, field };
}

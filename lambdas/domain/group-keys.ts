/**
 * Groups created with a `clientChatId` (createChat of a group, or an invite into a direct chat: one
 * key space per creator): once per creator and key, however often the request is repeated or raced
 * (lambdas/data/group-keys.ts stores the key with the group it names, for `GROUP_KEY_TTL_SECONDS`).
 * The rules are those of clientMessageId (client-ids.ts):
 *
 * - The key is free: this request creates the group (after the usual checks) and announces it.
 * - The key names a group that exists: the answer is that group, `created: false` (the first
 *   request's name and members win; the repeat's are not looked at). A creator who has left it, or
 *   whose group was deleted or is marked for deletion, is refused: the key is spent (and nothing of
 *   the group is told). The repeat may be the retry of a creation that stored the group and then
 *   failed (INTERNAL) before its members' sockets were listed in the roster or told: so while a
 *   socket open now may predate the group, its members from the creation on are admitted again (the
 *   same entries, put again) and sent `chat.created` again (at least once, as a repeated invite
 *   tells again: `inviteAgain` in chats.ts), except those who have blocked the creator since: a
 *   repeat must not let a blocked creator keep telling them (docs/security.md, "Blocks and
 *   repeated invites"). A caller may refuse a repeat first (`refuseRepeat`: an invite's block check).
 * - The key names a big group still being created: wait (polling the key) until it exists; once
 *   its creation's writes can no longer land (`claimStaleAfterMs`), take the key over and complete
 *   the same group from what the key holds (without those who have blocked the creator since),
 *   announcing it then.
 * - The key was abandoned: its creation stopped before `META`, and its safety-net job deleted what
 *   it had written (safety-net-jobs.ts). No group was made: this request claims the key again and
 *   creates the group anew (a new chatId), as for a free key.
 */
import type { GroupKeyRef } from '../data/items.ts';
import type { ChatRecord, GroupKeyRecord, MemberRecord } from '../data/store.ts';
import { badRequest, conflict } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { userIdsOf } from './access.ts';
import { refuseBlockedInvite } from './blocking.ts';
import type { Deps } from './deps.ts';
import { refuseOverChatCap } from './membership-cap.ts';
import { member, newChat } from './new-chat.ts';
import { admitAgain, admitToRoster, socketsMayPredate } from './rosters.ts';
import { queueCreationCheck, queueFinishCreation } from './safety-net-jobs.ts';
import { claimStaleAfterMs, signalAt, writeTiming } from './timing.ts';
import { type ChatView, chatView, chatViewsFor } from './views.ts';

export interface CreatedGroup {
  readonly chat: ChatView;
  readonly created: boolean;
}

/** Between looks at a key whose group is being created. */
const POLL: Backoff = { baseMs: 10, capMs: 200 };
/** A repeat waits at most this long for the group's creation (then CONFLICT: retry the same key). */
const MAX_WAIT_MS = 4000;

/** Refuses a group the owner may not create (blocks, the membership cap); writes nothing. */
export async function refuseGroup(
  deps: Deps,
  ownerId: string,
  others: readonly string[],
  field: Parameters<typeof refuseOverChatCap>[3],
): Promise<void> {
  await refuseBlockedInvite(deps, ownerId, others);
  await refuseOverChatCap(deps, ownerId, [ownerId, ...others], field);
}

/** The memberships of a new group: the owner first. */
export const groupMembers = (chat: ChatRecord, others: readonly string[]): MemberRecord[] => [
  member(chat, chat.ownerId, 'owner'),
  ...others.map((id) => member(chat, id, 'member')),
];

/** Tells every member's sockets (and the group's roster) about a group just created. */
export async function announceGroup(
  deps: Deps,
  chat: ChatRecord,
  members: readonly MemberRecord[],
): Promise<ChatView> {
  await admitToRoster(deps, chat, userIdsOf(members));
  await tellCreated(deps, chat, members, userIdsOf(members));
  return chatView(chat, [...members]);
}

/**
 * `chat.created` to `userIds`: over 200 members, each finds their own entry in its Chat (as in
 * getChat's and sync's), which lists them right after the owner (`chatViewsFor`): a few frames,
 * one fan-out, one post per socket as with one frame for all.
 */
async function tellCreated(
  deps: Deps,
  chat: ChatRecord,
  members: readonly MemberRecord[],
  userIds: readonly string[],
): Promise<void> {
  const parts = chatViewsFor(chat, members, userIds).map((v) => ({
    userIds: v.userIds,
    frame: event('chat.created', { chat: v.chat }),
  }));
  await deps.fanOut.toEach(parts, { chat });
}

/**
 * A repeat's answer: the group as it is, its creation's members (those still members) admitted to
 * the roster and, but for those who have blocked the creator (one consistent BatchGet beside the
 * admission), told again while a socket open now may predate the group (module comment). A blocker
 * stays in the roster: the group is theirs as before, only the creator's repeat is not.
 */
async function announceGroupAgain(
  deps: Deps,
  chat: ChatRecord,
  members: readonly MemberRecord[],
): Promise<ChatView> {
  const view = chatView(chat, [...members]);
  if (!socketsMayPredate(deps, chat.createdAt)) return view;
  const founders = members.filter((m) => m.joinedAt === chat.createdAt).map((m) => m.userId);
  const others = founders.filter((id) => id !== chat.ownerId);
  const [stayed, blockers] = await Promise.all([
    admitAgain(deps, chat, founders),
    deps.store.blocks.blockersAmong(others, chat.ownerId, { consistent: true }),
  ]);
  await tellCreated(
    deps,
    chat,
    members,
    stayed.filter((id) => !blockers.has(id)),
  );
  return view;
}

/** What a keyed request would create: worked out only when its key is free (a repeat needs none). */
export interface GroupPlan {
  readonly name: string;
  /** The members besides the owner. */
  readonly others: readonly string[];
  /** The request field naming `others`, for refusals (`refuseOverChatCap`). */
  readonly field: Parameters<typeof refuseOverChatCap>[3];
}

/**
 * A group created once per `clientChatId` (createChat's, or an invite into a direct chat's).
 * `refuseRepeat`: a check a repeat must pass before it is answered (an invite's block check: an
 * invite is refused whenever it names someone who has blocked the caller, repeat or not).
 */
export async function createKeyedGroup(
  deps: Deps,
  ownerId: string,
  clientChatId: string,
  plan: () => GroupPlan | Promise<GroupPlan>,
  refuseRepeat?: () => Promise<void>,
): Promise<CreatedGroup> {
  const ref: GroupKeyRef = { userId: ownerId, clientChatId };
  // A repeat is answered from the key, whatever has changed since (caps, the request), but for
  // `refuseRepeat`, and those who blocked the creator are not told again (`announceGroupAgain`).
  const found = await deps.store.groupKeys.get(ref);
  if (found && !found.abandoned) {
    await refuseRepeat?.();
    return answerFromKey(deps, ref, found);
  }
  const { name, others, field } = await plan();
  await refuseGroup(deps, ownerId, others, field);
  const chat = newChat(deps.now(), 'group', name, ownerId, others.length + 1);
  const members = groupMembers(chat, others);
  const claimedAt = deps.now().getTime();
  // Before its memberships (safety-net-jobs.ts).
  await queueCreationCheck(deps, chat.chatId, members, { ...ref, claimedAt });
  const outcome = await deps.store.groupKeys.create(ref, chat, members, claimedAt, {
    abortSignal: claimDeadline(deps, claimedAt),
    ...(found ? { replaces: found.chatId } : {}),
  });
  if (outcome.status === 'created') return { chat: await announceGroup(deps, chat, members), created: true };
  if (outcome.status === 'taken') return answerFromKey(deps, ref, outcome.key);
  return answerFromKey(deps, ref, { chatId: chat.chatId, claimedAt: 0 });
}

/** The group a claimed key names, completing it first when its creation was abandoned midway. */
async function answerFromKey(deps: Deps, ref: GroupKeyRef, first: GroupKeyRecord): Promise<CreatedGroup> {
  const giveUpAt = deps.now().getTime() + MAX_WAIT_MS;
  let key: GroupKeyRecord = first;
  for (let attempt = 0; ; attempt++) {
    const { chat, members } = await deps.store.chats.getWithMembers(key.chatId, { consistent: true });
    if (chat) {
      // Marked for deletion, the group is gone already (access.ts): nothing of it is answered.
      if (chat.deletedAt !== undefined || !members.some((m) => m.userId === ref.userId)) throw spent();
      return { chat: await announceGroupAgain(deps, chat, members), created: false };
    }
    // Abandoned while this request waited, or under its own completion (a claim held past the job's
    // delay): the group was not made; the retry makes it.
    if (key.abandoned)
      throw conflict('This group\'s creation was abandoned; retry with the same "clientChatId".');
    if (!key.pending) throw spent();
    const now = deps.now().getTime();
    if (now > key.claimedAt + claimStaleAfterMs(writeTiming())) {
      // Its creator can no longer write: complete the same group, if no other repeat does.
      if (await deps.store.groupKeys.takeOver(ref, key, now)) {
        const completed = await complete(deps, ref, { ...key, claimedAt: now });
        if (completed) return completed;
      }
    }
    if (now > giveUpAt)
      throw conflict('This group is still being created; retry with the same "clientChatId".');
    await backOff(POLL, attempt);
    key = (await deps.store.groupKeys.get(ref)) ?? key;
  }
}

/**
 * Writes the pending group the key holds; undefined when another request wrote its `META` first.
 * Its block check ran when the key was claimed, maybe long ago: those who have blocked the creator
 * since are left out (one consistent BatchGet), their memberships deleted if already written.
 */
async function complete(
  deps: Deps,
  ref: GroupKeyRef,
  key: GroupKeyRecord,
): Promise<CreatedGroup | undefined> {
  const asked = [...(key.memberIds ?? [])];
  const blockers = await deps.store.blocks.blockersAmong(asked, ref.userId, { consistent: true });
  const others = asked.filter((id) => !blockers.has(id));
  const at = new Date(key.createdAt ?? deps.now().toISOString());
  const chat = newChat(at, 'group', key.name ?? null, ref.userId, others.length + 1, key.chatId);
  const members = groupMembers(chat, others);
  // Before its writes, as the first creation's: this one may stop before META too.
  await queueFinishCreation(deps, chat.chatId, { ...ref, claimedAt: key.claimedAt });
  const outcome = await deps.store.groupKeys.complete(ref, key, chat, members, {
    abortSignal: claimDeadline(deps, key.claimedAt),
    dropped: [...blockers],
  });
  if (outcome.status !== 'created') return undefined;
  return { chat: await announceGroup(deps, chat, members), created: true };
}

/**
 * Fires when the claim made at `claimedAt` may be taken over: the writes of a creation under it end
 * then (as a send's under its clientMessageId claim, `append.ts`).
 */
const claimDeadline = (deps: Deps, claimedAt: number): AbortSignal =>
  signalAt(claimedAt + writeTiming().claimDeadlineMs, deps.now().getTime());

const spent = () =>
  badRequest('"clientChatId" names a group that was deleted or that you left: use a new "clientChatId".');

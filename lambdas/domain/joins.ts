/**
 * Joining an existing chat: what an invite into a group does for its new members, and what a
 * createChat direct does for the one of the pair who left the pair's chat (create-chat.ts): the
 * membership cap, the memberships written under a new members' version, the roster, and
 * `chat.joined` to those who joined, `member.joined` to the others. Also the guarded write every
 * membership change goes through (`applyMembershipChange`).
 */
import type { PairBlocks } from '../data/blocks.ts';
import type { ChatRecord, MemberRecord } from '../data/store.ts';
import { isAborted } from '../data/table-client.ts';
import { event, type Frame } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { userIdsOf } from './access.ts';
import type { Deps } from './deps.ts';
import { refuseOverChatCap } from './membership-cap.ts';
import { invitedMember } from './new-chat.ts';
import { admitToRoster } from './rosters.ts';
import { writeTiming } from './timing.ts';
import { type AllocatedVersion, allocateVersion } from './versions.ts';
import { type ChatView, chatView, joinedViews } from './views.ts';

/**
 * Adds `fresh` (none of them members) to `chat` as read with its `members`: the membership cap
 * first (`field`: the request field naming them), then the write. The chat as the joined see it, or
 * undefined when the chat changed since it was read (the caller reads it again and retries). In a
 * direct chat the one who joins is the peer of the member who stayed, and that member theirs again;
 * `pairBlocks`, the pair's block items as the caller read them (neither blocked), are checked in
 * the write: a block since then makes it undefined too.
 */
export async function joinChat(
  deps: Deps,
  callerId: string,
  loaded: { readonly chat: ChatRecord; readonly members: readonly MemberRecord[] },
  fresh: readonly string[],
  field: string,
  pairBlocks?: PairBlocks,
): Promise<ChatView | undefined> {
  const { chat, members } = loaded;
  await refuseOverChatCap(deps, callerId, fresh, field);
  const joinedAt = deps.now().toISOString();
  const stayed = chat.kind === 'direct' ? members[0]?.userId : undefined;
  const added = fresh.map((id) => ({
    ...invitedMember(chat, id, joinedAt),
    ...(stayed ? { peerId: stayed } : {}),
  }));
  const version = await allocateVersion(deps, chat.chatId);
  const applied = await applyMembershipChange(deps, chat.chatId, version, (signal) =>
    deps.store.chats.addMembers(chat, added, version.ver, { abortSignal: signal }, pairBlocks),
  );
  if (!applied) return undefined;
  const { ver } = version;
  const updated = { ...chat, memberCount: chat.memberCount + added.length, lastVer: ver, memberVer: ver };
  const all = [...members, ...added];
  // Over 200 members, the Chat lists the owner, then those who joined (each finds their own entry in
  // `chat.joined`, and so their read cursor), then the others. The ack's is the caller's: in a
  // direct chat, the one who stayed may be the one who brought the other back.
  const view = chatView(updated, all, fresh, callerId);
  await admitToRoster(deps, chat, fresh);
  await tellJoined(deps, chat, joinedViews(updated, all, fresh, view), userIdsOf(members), ver);
  return view;
}

/**
 * `chat.joined` to the people who joined (each part of `views` its Chat to its users: `joinedViews`),
 * `member.joined` (at `ver`) to the other members: the group's roster read once for both
 * (consistent: 51 units for 2,000 sockets), and one fan-out after the other, so no more than
 * FANOUT_CONCURRENCY posts are in flight. (Side by side, each fan-out read the roster itself and
 * they posted twice as many at once.) A failed read leaves each fan-out to look up itself (and to
 * hand its users to the queue if that fails too: fanout.ts).
 */
export async function tellJoined(
  deps: Deps,
  chat: ChatRecord,
  views: readonly { readonly userIds: readonly string[]; readonly chat: ChatView }[],
  others: readonly string[],
  ver: number,
): Promise<void> {
  const joined = views.flatMap((v) => v.userIds);
  const sockets = await deps.fanOut.socketsOf([...joined, ...others], { chat }).catch((error: unknown) => {
    logger.warn('the roster read for an invite failed; each fan-out looks up itself', { error });
    return undefined;
  });
  const tell = (parts: readonly { readonly userIds: readonly string[]; readonly frame: Frame }[]) => {
    const audience = new Set(parts.flatMap((p) => p.userIds));
    const theirs = sockets?.filter((t) => audience.has(t.userId));
    return deps.fanOut.toEach(parts, { chat, sockets: theirs });
  };
  await tell(views.map((v) => ({ userIds: v.userIds, frame: event('chat.joined', { chat: v.chat }) })));
  if (others.length === 0) return;
  await tell([
    { userIds: others, frame: event('member.joined', { chatId: chat.chatId, userIds: joined, ver }) },
  ]);
}

/**
 * The client package's default request timeout (client/src/connection-options.ts): a request left
 * unanswered is given up, and may be asked again, this long after it was sent.
 */
const CLIENT_REQUEST_TIMEOUT_MS = 15_000;

/**
 * How long after a return into a direct chat a createChat of the pair may be the retry of the one
 * that brought them back: the client's request timeout plus the write deadline (a retry after
 * INTERNAL comes sooner: a route runs at most 10 s). Short on purpose: clients call createChat to
 * open the pair's chat too, and each such call within the window tells again.
 */
export const returnRetryWindowMs = (): number => CLIENT_REQUEST_TIMEOUT_MS + writeTiming().writeDeadlineMs;

/**
 * createChat of a direct pair that finds both in the chat: the chat as it is. It may be the retry of
 * one that brought one of them back and stopped after the write, before telling anyone (the process
 * died, a post threw, or the check of a write past its deadline did), and a client learns of the
 * return only from `chat.joined` or a Chat it asks for. So the one who joined after the chat was
 * created, within `returnRetryWindowMs`, is told again as a repeated invite tells (`inviteAgain` in
 * chats.ts; events are at least once): `chat.joined` to them, `member.joined` at the chat's members'
 * version to the other. A client that holds the chat takes the repeat as it took the first (the SDK
 * fetches the chat again on `member.joined`; a leave under way keeps the chat on that device until its
 * `member.left`), and one that left since ignores a Chat no newer than its leave (client/src/gone.ts).
 * A direct chat has no roster to admit to. While either of the pair blocks the other (`eitherBlocks`)
 * only a caller who is back is told (their own devices): the blocker opening the chat would tell the
 * one they blocked of it.
 */
export async function returnAgain(
  deps: Deps,
  callerId: string,
  chat: ChatRecord,
  members: readonly MemberRecord[],
): Promise<ChatView> {
  const now = deps.now().getTime();
  const createdAt = Date.parse(chat.createdAt);
  const back = members
    .filter((m) => {
      const joinedAt = Date.parse(m.joinedAt);
      return joinedAt > createdAt && now - joinedAt <= returnRetryWindowMs();
    })
    .map((m) => m.userId);
  const view = chatView(chat, members, back, callerId);
  if (back.length === 0) return view;
  if (await eitherBlocks(deps, callerId, chat, members)) {
    // The caller's own devices may still be told of their own return: it says nothing to the peer.
    if (back.includes(callerId))
      await tellJoined(deps, chat, joinedViews(chat, members, [callerId]), [], chat.memberVer);
    return view;
  }
  const others = userIdsOf(members).filter((id) => !back.includes(id));
  await tellJoined(deps, chat, joinedViews(chat, members, back), others, chat.memberVer);
  return view;
}

/**
 * Whether either of a direct pair blocks the other, from its `META` as createChat read it
 * (consistently): the mirror (`blockedSenders`) lists every block of a chat that has it
 * (`blocksMirrored`), nothing read. One older than the mirror lists only the blocks made since, so
 * when it lists none the caller's item about the peer is read (one consistent GetItem, 1 read unit);
 * the peer's about the caller createChat read before (`refuseBlockedDirect`), and refused on.
 */
async function eitherBlocks(
  deps: Deps,
  callerId: string,
  chat: ChatRecord,
  members: readonly MemberRecord[],
): Promise<boolean> {
  if ((chat.blockedSenders?.size ?? 0) > 0) return true;
  const peer = members.find((m) => m.userId !== callerId)?.userId;
  if (chat.blocksMirrored || peer === undefined) return false;
  return deps.store.blocks.isBlocked(callerId, peer);
}

/**
 * Writes a membership change under its version before the write deadline (`versions.ts`). Whether
 * it was applied: false when the chat changed since it was read (the caller reads again) or when
 * the write did not land in time (its version is then never seen). `deletesChat`: the change is
 * the last member's leave, whose write deletes `META` (and so sets no `memberVer`).
 */
export async function applyMembershipChange(
  deps: Deps,
  chatId: string,
  version: AllocatedVersion,
  write: (signal: AbortSignal) => Promise<'changed' | 'chat-changed'>,
  deletesChat = false,
): Promise<boolean> {
  if (!version.open()) return false;
  try {
    return (await write(version.signal)) === 'changed';
  } catch (error) {
    if (!isAborted(error)) throw error;
    // It may have landed before the deadline: the chat's members' version tells, or for the last
    // member's leave the chat being gone. (A `deleteChat` may have got there first: the leave's
    // retention job and events then repeat that deletion's, harmlessly: jobs are idempotent.)
    const { chat } = await deps.store.chats.getWithMembers(chatId, { consistent: true });
    if (deletesChat) return chat === undefined;
    return chat !== undefined && chat.memberVer === version.ver;
  }
}

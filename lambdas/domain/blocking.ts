/**
 * Blocking: when A blocks B, B can no longer create a direct chat with A, send, react or edit in
 * their direct chat, or invite A anywhere; A no longer gets B's `typing` there, and B no longer sees
 * A's presence (presence.ts). A block is private to A: it
 * lives in A's partition (and, for the send check, on their direct chat's `META`, which no view
 * shows), B's refusals are FORBIDDEN with sentences that never mention blocking, and nothing tells B
 * that A blocked them. A keeps every power over B (A may still write to B).
 *
 * The checks and their cost (docs/data-model.md, "Blocking"):
 * - send in a direct chat: nothing, the seq allocation refuses a sender the mirror of the blocks on
 *   the chat's `META` lists (block-mirror.ts); in a direct chat older than the mirror, one consistent
 *   key lookup of the peer's item about the sender (1 read unit); in a group nothing at all;
 * - react, editMessage and typing in a direct chat: nothing, the mirror on the `META` the action
 *   already read tells (and a change's version allocation checks it again, and that the mirror is
 *   still there); in a direct chat older than the mirror, or one whose mirror lists the caller (the
 *   read may predate an unblock), the same key lookup; in a group nothing;
 * - createChat direct: the same key lookup, then (creating the chat, or bringing one of the pair
 *   back into it) the caller's item about the peer; both are checked again in the write;
 * - invite and createChat group: one consistent BatchGet of each new member's item about the caller.
 */
import { Buffer } from 'node:buffer';
import type { PairBlocks } from '../data/blocks.ts';
import type { ChatRecord, ChatStore } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, forbidden, notFound } from '../shared/errors.ts';
import { maxBlocksPerUser } from '../shared/user-caps.ts';
import { changeBlock } from './block-mirror.ts';
import { LIMITS } from './limits.ts';
import { REPLY_BUDGET_BYTES } from './reply-budget.ts';
import type { BlockGuard } from './versions.ts';

/** What the checks need: the store only (the scheduled-message deps qualify too). */
interface BlockDeps {
  readonly store: ChatStore;
  readonly now: () => Date;
}

/** The refusals a blocked user gets: ordinary FORBIDDEN sentences that say nothing about a block. */
const REFUSAL = {
  direct: 'You cannot start a chat with this user.',
  send: 'You cannot send messages in this chat.',
  react: 'You cannot react to messages in this chat.',
  edit: 'You cannot edit messages in this chat.',
  invite: 'You cannot add these people to a chat.',
} as const;

export async function blockUser(
  deps: BlockDeps,
  caller: Caller,
  input: { readonly userId: string },
): Promise<{ userId: string }> {
  if (input.userId === caller.userId) throw badRequest('"userId" is your own id: you cannot block yourself.');
  const record = { blockerId: caller.userId, blockedId: input.userId, createdAt: deps.now().toISOString() };
  const max = maxBlocksPerUser();
  const outcome = await changeBlock(deps, caller.userId, input.userId, (pair) =>
    counted(deps, caller.userId, max, () => deps.store.blocks.block(record, pair, max)),
  );
  if (outcome === 'full') {
    throw badRequest(
      `"userId" cannot be blocked: you have blocked ${max} users, the most one user can block. Unblock someone first.`,
    );
  }
  return { userId: input.userId };
}

/**
 * A block change, applied again after counting the caller's blocks when they had no count yet
 * (once per user: data/block-count.ts).
 */
async function counted<T extends string>(
  deps: BlockDeps,
  userId: string,
  max: number,
  change: () => Promise<T | 'uncounted'>,
): Promise<T> {
  const outcome = await change();
  if (outcome !== 'uncounted') return outcome;
  await deps.store.blocks.countBlocks(userId, max);
  const again = await change();
  if (again === 'uncounted') throw new Error('the count of blocks is missing right after it was stored');
  return again;
}

export async function unblockUser(
  deps: BlockDeps,
  caller: Caller,
  input: { readonly userId: string },
): Promise<{ userId: string }> {
  await changeBlock(deps, caller.userId, input.userId, (pair) =>
    counted(deps, caller.userId, maxBlocksPerUser(), () =>
      deps.store.blocks.unblock(caller.userId, input.userId, pair),
    ),
  );
  return { userId: input.userId };
}

/** Block items one Query of an unpaged `listBlocked` reads (the default cap's list in one Query). */
const WHOLE_LIST_QUERY = 1000;

/**
 * `listBlocked`: with `limit`, a page of that many (`nextCursor` when more may follow); without, as
 * the contract has it, every id from the start (or `cursor`) that fits one frame: Queries until the
 * list ends or the ids' JSON passes `REPLY_BUDGET_BYTES` (ids of 64 four-byte characters: ~460 ids),
 * and `nextCursor` only when it was cut.
 */
export async function listBlocked(
  deps: BlockDeps,
  caller: Caller,
  input: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
): Promise<{ userIds: string[]; nextCursor: string | null }> {
  let after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  if (input.limit !== undefined) {
    const page = await deps.store.blocks.listPage(caller.userId, input.limit, after);
    return { userIds: page.userIds, nextCursor: page.next === undefined ? null : encodeCursor(page.next) };
  }
  const userIds: string[] = [];
  let room = REPLY_BUDGET_BYTES;
  for (;;) {
    const page = await deps.store.blocks.listPage(caller.userId, WHOLE_LIST_QUERY, after);
    for (const userId of page.userIds) {
      room -= Buffer.byteLength(JSON.stringify(userId), 'utf8') + 1;
      // An id is at most ~260 bytes of JSON: the budget always holds the first.
      if (room < 0) return { userIds, nextCursor: encodeCursor(userIds.at(-1) ?? '') };
      userIds.push(userId);
    }
    if (page.next === undefined) return { userIds, nextCursor: null };
    after = page.next;
  }
}

/** A page ends after a user id; the cursor is that id, base64url (opaque to clients). */
const encodeCursor = (userId: string): string => Buffer.from(userId, 'utf8').toString('base64url');

// biome-ignore lint/suspicious/noControlCharactersInRegex: ids never hold control characters or `#`
const NOT_AN_ID = /[\u0000-\u001f\u007f#]/;

function decodeCursor(cursor: string): string {
  const userId = Buffer.from(cursor, 'base64url').toString('utf8');
  // Ids are at most 64 characters counted in code points, as the contract counts them.
  const chars = [...userId].length;
  const valid = chars > 0 && chars <= LIMITS.idMaxChars && !NOT_AN_ID.test(userId);
  if (!valid || encodeCursor(userId) !== cursor) {
    throw badRequest('"cursor" must be the nextCursor of an earlier listBlocked.');
  }
  return userId;
}

/** createChat direct: FORBIDDEN when the peer has blocked the caller (one key lookup). */
export async function refuseBlockedDirect(deps: BlockDeps, caller: Caller, peerId: string): Promise<void> {
  const [blocked, deleted] = await Promise.all([
    deps.store.blocks.isBlocked(peerId, caller.userId),
    deps.store.deactivations.deletedAmong([peerId]),
  ]);
  refuseDeleted(deleted);
  if (blocked) throw blockedDirect();
}

/**
 * A deleted account (`deleteAccount`, `deleteUser`: account-deletion.ts) is put in no chat:
 * NOT_FOUND naming the first of them, before any block is told (read beside the blocks, in parallel).
 */
function refuseDeleted(deleted: ReadonlySet<string>): void {
  const [first] = deleted;
  if (first !== undefined) throw notFound(`User "${first}" does not exist.`);
}

/**
 * createChat direct bringing one of the pair back into the chat they left: FORBIDDEN while either
 * has blocked the other (`blocks`: the pair's items, `a` the caller). The one blocked is refused as
 * by a new chat (nothing about the block); the blocker is told it is their own block that keeps the
 * pair apart, and how to end it.
 */
export function refuseBlockedReturn(blocks: PairBlocks): void {
  if (blocks.bBlocksA) throw blockedDirect();
  if (blocks.aBlocksB) {
    throw forbidden(
      'You have blocked "userId": your direct chat, which one of you left, is not joined again while either of you blocks the other. Unblock them first (unblockUser).',
    );
  }
}

/** A send's refusal in a direct chat whose other member has blocked the sender. */
export const blockedSend = () => forbidden(REFUSAL.send);
/** createChat direct's refusal when the peer has blocked the caller. */
export const blockedDirect = () => forbidden(REFUSAL.direct);

/**
 * sendMessage, scheduleMessage: FORBIDDEN in a direct chat whose other member has blocked the sender
 * (one key lookup); a group chat costs nothing. (A send in a direct chat that mirrors the blocks
 * leaves this to its seq allocation: `blockLeftToAllocation` in send-checks.ts.)
 */
export async function refuseBlockedSend(
  deps: BlockDeps,
  caller: Caller,
  head: { readonly chat: { readonly kind: string }; readonly members: readonly { userId: string }[] },
): Promise<void> {
  if (head.chat.kind !== 'direct') return;
  const peer = head.members.find((m) => m.userId !== caller.userId);
  if (peer && (await deps.store.blocks.isBlocked(peer.userId, caller.userId))) throw blockedSend();
}

/** What the checks read of a chat: its kind, the blocks' mirror on its `META`, its members. */
interface ChatView {
  readonly chat: Pick<ChatRecord, 'kind' | 'blocksMirrored' | 'blockedSenders'>;
  readonly members: readonly { userId: string }[];
}

/** The changes to messages a block refuses in a direct chat (deleting one's own stays allowed). */
export type BlockedChange = 'react' | 'edit';

/**
 * Whether the other member of a direct chat has blocked the caller, from the chat's `META` as the
 * action read it: its mirror (`blockedSenders`) when the chat has one and it lists nobody's block of
 * the caller (nothing read), else one consistent key lookup of the peer's item about the caller. A
 * mirror that lists the caller is confirmed by that lookup: the action's `META` read is eventually
 * consistent, and right after an unblock it may still list the block. Never in a group.
 */
export async function blockedByPeer(deps: BlockDeps, caller: Caller, head: ChatView): Promise<boolean> {
  if (head.chat.kind !== 'direct') return false;
  if (head.chat.blocksMirrored && head.chat.blockedSenders?.has(caller.userId) !== true) return false;
  return blockedByReading(deps, caller, head);
}

/** The key lookup of the peer's item about the caller (false without a peer). */
async function blockedByReading(deps: BlockDeps, caller: Caller, head: ChatView): Promise<boolean> {
  const peer = head.members.find((m) => m.userId !== caller.userId);
  return peer !== undefined && (await deps.store.blocks.isBlocked(peer.userId, caller.userId));
}

/**
 * react, editMessage: FORBIDDEN in a direct chat whose other member has blocked the caller, as a send
 * is (`blockedByPeer`). Answers the guard the change's version allocation carries in a direct chat,
 * so that a block made after the chat was read refuses it there (versions.ts); none in a group.
 * Trusting the mirror, the guard makes the allocation require it, and reads the block items when it
 * is gone (as a send's allocation does).
 */
export async function refuseBlockedChange(
  deps: BlockDeps,
  caller: Caller,
  head: ChatView,
  change: BlockedChange,
): Promise<BlockGuard | undefined> {
  const refusal = () => forbidden(REFUSAL[change]);
  if (await blockedByPeer(deps, caller, head)) throw refusal();
  if (head.chat.kind !== 'direct') return undefined;
  return {
    by: caller.userId,
    refusal,
    trustsMirror: head.chat.blocksMirrored === true,
    blockedByReading: () => blockedByReading(deps, caller, head),
  };
}

/**
 * invite / createChat group: NOT_FOUND when any new member's account is deleted, FORBIDDEN when any
 * has blocked the caller (two BatchGets side by side: their block items and their marks).
 */
export async function refuseBlockedInvite(
  deps: BlockDeps,
  callerId: string,
  newMemberIds: readonly string[],
): Promise<void> {
  const others = newMemberIds.filter((id) => id !== callerId);
  const [blockers, deleted] = await Promise.all([
    deps.store.blocks.blockersAmong(others, callerId, { consistent: true }),
    deps.store.deactivations.deletedAmong(others),
  ]);
  refuseDeleted(deleted);
  if (blockers.size > 0) throw forbidden(REFUSAL.invite);
}

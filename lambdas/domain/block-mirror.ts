/**
 * The mirror of blocks on direct chats (`blockedSenders` on `META`, data/blocks.ts): what keeps it
 * equal to the block items, so that a send in a direct chat needs no block read (its seq allocation
 * refuses a blocked sender).
 *
 * - A block change writes the block item and the mirror in one transaction, checked against the
 *   pair's pointer as read: a direct chat created meanwhile makes it read the pair again.
 * - Creating a direct chat reads both of the pair's block items, writes the mirror on the new
 *   `META`, and checks the items in its own transaction: a block change meanwhile makes it read again.
 * - A direct chat created before the mirror existed (`blocksMirrored` absent) keeps the read check on
 *   every send until `mirrorOlderChat` brought it up to date (once, after one of its sends).
 */
import type { PairChanged, PairView } from '../data/blocks.ts';
import type { ChatRecord, ChatStore } from '../data/store.ts';
import { conflict } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { LIMITS } from './limits.ts';

const CHANGE_BACKOFF: Backoff = { baseMs: 5, capMs: 50 };

interface MirrorDeps {
  readonly store: ChatStore;
}

/**
 * Applies a block change (`change`, given the pair's direct chat as read) until it finds the pair as
 * it read it: the pointer (one consistent key lookup) and, after a `chat-gone`, the chat as gone.
 */
export async function changeBlock<T extends string>(
  deps: MirrorDeps,
  blockerId: string,
  blockedId: string,
  change: (pair: PairView) => Promise<T | PairChanged>,
): Promise<T> {
  let pair: PairView | undefined;
  for (let attempt = 0; attempt < LIMITS.membershipAttempts + 2; attempt++) {
    pair ??= { chatId: await deps.store.chats.getDirectChatId(blockerId, blockedId), live: true };
    const outcome = await change(pair);
    if (outcome === 'pair-changed') {
      pair = undefined;
      await backOff(CHANGE_BACKOFF, attempt); // a send's allocation, or the other's block, held an item
    } else if (outcome === 'chat-gone') pair = { chatId: pair.chatId, live: false };
    else return outcome;
  }
  throw conflict('The chat with this user changed while the block was being saved. Please retry.');
}

/**
 * Brings a direct chat created before the mirror up to date (best effort: a failure leaves it on
 * the read check, and a later send tries again). Does nothing for a mirrored chat or a group.
 */
export async function mirrorOlderChat(
  deps: MirrorDeps,
  chat: Pick<ChatRecord, 'chatId' | 'kind' | 'blocksMirrored'>,
  memberIds: readonly string[],
): Promise<void> {
  const [a, b] = memberIds;
  if (chat.kind !== 'direct' || chat.blocksMirrored || a === undefined || b === undefined) return;
  try {
    await deps.store.blocks.mirror(chat.chatId, await deps.store.blocks.pairBlocks(a, b));
  } catch (error) {
    logger.warn('could not mirror the blocks of an older direct chat', { error });
  }
  deps.store.heads.forget(chat.chatId); // the next send reads the head, flag and all
}

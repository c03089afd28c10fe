/**
 * The sender's own read cursor after a send. Sending moves it to the new message (what came before
 * counts as read by the sender, who wrote after it): in a direct chat with the seq allocation
 * (`sentSeq`, append.ts), in a group by a forward-only update of the membership beside the fan-out.
 *
 * A send its sender did not make just now (a scheduled message going out at `sendAt`: its author has
 * not read what came since they scheduled it) moves no cursor, in either kind of chat: the message is
 * noted on the author's membership instead (`sentAhead`), which unread counts leave out, since a
 * member's own message is never unread for them (views.ts).
 *
 * The note is best effort (a failure is logged), and a dispatch that died after its put never made
 * it: a duplicate (the dispatcher's next attempt) makes it when the membership it read consistently
 * shows it missing. Both writes are conditional on the cursor being behind (as `readMessage`'s
 * move): neither moves a cursor back.
 */
import type { ChatKind, MemberRecord, MessageRecord } from '../data/store.ts';
import { logger } from '../shared/logger.ts';
import type { Deps } from './deps.ts';

export interface SenderCursorOptions {
  /**
   * False for a message its sender did not send just now (a scheduled one going out): the sender's
   * read cursor stays where it is, and the message is noted as theirs (`sentAhead`). Default true.
   */
  readonly movesReadCursor?: boolean | undefined;
}

/**
 * After a send stored `message`: the sender's cursor moves (or the message is noted), best effort.
 * `kind` matters only when the cursor moves (not needed otherwise): a direct chat's send moved it
 * with its allocation (`sentSeq`).
 */
export async function markSent(
  deps: Deps,
  message: MessageRecord,
  options: SenderCursorOptions,
  kind?: ChatKind,
): Promise<void> {
  if (kind === 'direct' && options.movesReadCursor !== false) return;
  await write(deps, message, options).catch((error: unknown) => {
    logger.warn('could not move the sender read cursor', { error });
  });
}

/**
 * A duplicate of a send that stored `message`: what `markSent` should have written, when the
 * sender's membership (read consistently) shows it was not. A failure is thrown: the next attempt
 * tries again.
 */
export async function markSentAgain(
  deps: Deps,
  member: MemberRecord,
  message: MessageRecord,
  options: SenderCursorOptions,
): Promise<void> {
  if (member.lastReadSeq >= message.seq) return;
  if (options.movesReadCursor === false && !member.sentAhead?.has(message.seq))
    await write(deps, message, options);
}

function write(deps: Deps, message: MessageRecord, options: SenderCursorOptions): Promise<unknown> {
  const { chatId, senderId, seq } = message;
  return options.movesReadCursor === false
    ? deps.store.cursors.noteSentAhead(chatId, senderId, seq)
    : deps.store.cursors.advance(chatId, senderId, seq);
}

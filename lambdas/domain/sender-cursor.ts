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
 * The group's move beside the fan-out and the note are tried up to `MARK_ATTEMPTS` times in place
 * (a short pause between). Still failing: a send with a clientMessageId throws, so it is answered
 * INTERNAL after its posts (a dispatcher's attempt: tried again), and its retry heals it; one without
 * is answered anyway (its retry would be a new message), and the failure is logged. A send that died
 * after its put (answered INTERNAL, or not at all) never made them either.
 * A duplicate (the same clientMessageId again: the client's retry, the dispatcher's next attempt)
 * makes the write when the membership it read consistently shows it missing, so the retry heals it.
 * Both writes are conditional on the cursor being behind (as `readMessage`'s move): neither moves a
 * cursor back, and a duplicate whose send made them writes nothing.
 */
import type { ChatKind, MemberRecord, MessageRecord } from '../data/store.ts';
import { logger } from '../shared/logger.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import type { Deps } from './deps.ts';

export interface SenderCursorOptions {
  /**
   * False for a message its sender did not send just now (a scheduled one going out): the sender's
   * read cursor stays where it is, and the message is noted as theirs (`sentAhead`). Default true.
   */
  readonly movesReadCursor?: boolean | undefined;
}

/** How many times in all the move (or the note) after a send is tried, and the pause between. */
export const MARK_ATTEMPTS = 3;
const MARK_BACKOFF: Backoff = { baseMs: 25, capMs: 100 };

/**
 * After a send stored `message`: the sender's cursor moves (or the message is noted). Throws when
 * every attempt failed and the send has a clientMessageId (a retry heals it: module comment), else
 * logs. `kind` matters only when the cursor moves (not needed otherwise): a direct chat's send moved
 * it with its allocation (`sentSeq`).
 */
export async function markSent(
  deps: Deps,
  message: MessageRecord,
  options: SenderCursorOptions,
  kind?: ChatKind,
): Promise<void> {
  if (kind === 'direct' && options.movesReadCursor !== false) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await write(deps, message, options);
      return;
    } catch (error) {
      if (attempt < MARK_ATTEMPTS) {
        await backOff(MARK_BACKOFF, attempt - 1);
        continue;
      }
      if (message.clientMessageId !== null) throw error;
      logger.warn('could not move the sender read cursor', { error });
      return;
    }
  }
}

/**
 * A duplicate of a send that stored `message`: what `markSent` should have written, when the
 * sender's membership (read consistently) shows it was not. A failure is thrown (INTERNAL): the
 * next retry tries again.
 */
export async function markSentAgain(
  deps: Deps,
  kind: ChatKind,
  member: MemberRecord,
  message: MessageRecord,
  options: SenderCursorOptions,
): Promise<void> {
  if (member.lastReadSeq >= message.seq) return;
  if (options.movesReadCursor === false) {
    if (!member.sentAhead?.has(message.seq)) await write(deps, message, options);
    return;
  }
  // A direct chat's allocation moved the sender's `sentSeq` with the seq: nothing can be missing.
  if (kind === 'group') await write(deps, message, options);
}

function write(deps: Deps, message: MessageRecord, options: SenderCursorOptions): Promise<unknown> {
  const { chatId, senderId, seq } = message;
  return options.movesReadCursor === false
    ? deps.store.cursors.noteSentAhead(chatId, senderId, seq)
    : deps.store.cursors.advance(chatId, senderId, seq);
}

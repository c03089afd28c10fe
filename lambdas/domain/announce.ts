/**
 * Posting `message.created` again for a message an earlier invocation stored and may have died
 * before posting (a runtime crash between the put and the posts): every open socket gets each
 * message at least once, and clients drop a messageId they already hold. The scheduled dispatcher
 * does it when it takes over a send (`scheduled-dispatch.ts`); a client's send when its retry finds
 * the message stored by an invocation that has certainly ended (`send.ts`), once per message and only
 * within `REANNOUNCE_WITHIN_MS` of its allocation (`announceOnce`).
 *
 * Once, and not late: each such resend used to post to every socket of every member again and read
 * the whole member list consistently (~75 read units at 1,000 members, and the roster), however old
 * the message: at sendMessage's 300 a minute, ~90,000 units and up to 3 million posts a minute that
 * clients drop. One announcement heals a send that died before its posts: the client SDK resends an
 * unanswered send after its 15 s request timeout, well inside the bound. A socket still missing it
 * later gets it from its catch-up (`sync` or `history` after a reconnect, or after the hole the
 * chat's next event shows it: docs/protocol.md, "Delivery and catch-up").
 */
import type { ClaimRef } from '../data/items.ts';
import type { ChatHead, MessageRecord } from '../data/store.ts';
import { ROUTE_TIMEOUT_SECONDS } from '../shared/config.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { userIdsOf } from './access.ts';
import type { Deps } from './deps.ts';
import { messageViews } from './media.ts';

/** A resend this long after the message's allocation or later announces nothing (module comment). */
export const REANNOUNCE_WITHIN_MS = 5 * 60_000;

/**
 * Whether the invocation that stored `message` has certainly ended by `now`: it allocated the message
 * a function's timeout ago (sendMessage's and the other routes', `ROUTE_TIMEOUT_SECONDS`), posted or not.
 */
export const storedByAnEndedInvocation = (message: MessageRecord, now: Date): boolean =>
  now.getTime() - message.allocAt >= ROUTE_TIMEOUT_SECONDS * 1000;

/**
 * Posts `message.created` to the chat's current members' sockets (except `excludeConnectionId`);
 * nothing for a message deleted since (its members were told so) or a chat gone or being deleted.
 * The chat and its members are `headNow`'s when given, else read (consistently). Best effort: a
 * failure is logged, never thrown (the message is stored; its members catch up).
 */
export async function announceAgain(
  deps: Deps,
  message: MessageRecord,
  options: { readonly excludeConnectionId?: string; readonly headNow?: () => Promise<ChatHead> } = {},
): Promise<void> {
  try {
    if (message.deleted) return;
    const { chat, members } = await (options.headNow?.() ??
      deps.store.chats.getWithMembers(message.chatId, { consistent: true }));
    if (!chat || chat.deletedAt !== undefined) return;
    const [view] = await messageViews(deps, [message]);
    if (!view) return;
    await deps.fanOut.toUsers(userIdsOf(members), event('message.created', { message: view }), {
      chat,
      excludeConnectionId: options.excludeConnectionId,
    });
  } catch (error) {
    logger.warn('could not post a stored message again', { messageId: message.messageId, error });
  }
}

/** A duplicate send: the message its clientMessageId stored, and what its claim said of it. */
export interface Resent {
  readonly ref: ClaimRef;
  readonly message: MessageRecord;
  /** When a duplicate announced it again (the claim found: `claimClientId`). */
  readonly announcedAt?: number | undefined;
}

/**
 * What a duplicate send posts (module comment): nothing while the send that stored the message may
 * still run, nothing `REANNOUNCE_WITHIN_MS` after its allocation or later, nothing once announced
 * again; else the claim is marked (one conditional write: exactly one of racing duplicates gets it)
 * and `message.created` goes to `headNow`'s members, except the resending socket. `headNow`: the
 * members as the send path has them (cached while `META`'s `memberVer` is theirs: `headAt` in
 * heads.ts), asked for only when announcing.
 */
export async function announceOnce(
  deps: Deps,
  resent: Resent,
  headNow: () => Promise<ChatHead>,
  excludeConnectionId: string,
): Promise<void> {
  const { message } = resent;
  const now = deps.now();
  if (resent.announcedAt !== undefined || message.deleted) return;
  if (!storedByAnEndedInvocation(message, now)) return;
  if (now.getTime() - message.allocAt >= REANNOUNCE_WITHIN_MS) return;
  let noted: boolean;
  try {
    noted = await deps.store.claims.noteAnnounced(resent.ref, now.getTime());
  } catch (error) {
    // Not announced: a later resend within the bound tries again.
    logger.warn('could not mark a stored message as announced again', {
      messageId: message.messageId,
      error,
    });
    return;
  }
  if (noted) await announceAgain(deps, message, { excludeConnectionId, headNow });
}

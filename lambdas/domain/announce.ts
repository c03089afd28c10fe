/**
 * Posting `message.created` again for a message an earlier invocation stored and may have died
 * before posting (a runtime crash between the put and the posts): every open socket gets each
 * message at least once, and clients drop a messageId they already hold. The scheduled dispatcher
 * does it when it takes over a send (`scheduled-dispatch.ts`); a client's send when its retry finds
 * the message stored by an invocation that has certainly ended (`send.ts`).
 */
import type { MessageRecord } from '../data/store.ts';
import { ROUTE_TIMEOUT_SECONDS } from '../shared/config.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { userIdsOf } from './access.ts';
import type { Deps } from './deps.ts';
import { messageViews } from './media.ts';

/**
 * Whether the invocation that stored `message` has certainly ended by `now`: it allocated the message
 * a function's timeout ago (sendMessage's and the other routes', `ROUTE_TIMEOUT_SECONDS`), posted or not.
 */
export const storedByAnEndedInvocation = (message: MessageRecord, now: Date): boolean =>
  now.getTime() - message.allocAt >= ROUTE_TIMEOUT_SECONDS * 1000;

/**
 * Posts `message.created` to the chat's current members' sockets (except `excludeConnectionId`);
 * nothing for a message deleted since (its members were told so) or a chat gone or being deleted.
 * Best effort: a failure is logged, never thrown (the message is stored; its members catch up).
 */
export async function announceAgain(
  deps: Deps,
  message: MessageRecord,
  excludeConnectionId?: string,
): Promise<void> {
  try {
    if (message.deleted) return;
    const { chat, members } = await deps.store.chats.getWithMembers(message.chatId, { consistent: true });
    if (!chat || chat.deletedAt !== undefined) return;
    const [view] = await messageViews(deps, [message]);
    if (!view) return;
    await deps.fanOut.toUsers(userIdsOf(members), event('message.created', { message: view }), {
      chat,
      excludeConnectionId,
    });
  } catch (error) {
    logger.warn('could not post a stored message again', { messageId: message.messageId, error });
  }
}

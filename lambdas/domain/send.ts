/**
 * `sendMessage`: claim the clientMessageId (exactly once), append the message (seq allocation and
 * put, `append.ts`), then push `message.created` to the members' other sockets while, in a group,
 * the sender's read cursor moves (in a direct chat it moved with the allocation).
 *
 * With attachments, the uploads are claimed first (`claimUploads` in `media.ts`): a refused upload
 * writes nothing at all, and the clientMessageId claim's deadline does not include the S3 checks. A
 * retry of the same send may claim the same uploads again (they are bound to its clientMessageId).
 *
 * Sequential round trips on the way to the first post: the uploads' checks (only with attachments),
 * the claim (only with a clientMessageId), the allocation, the put, then the fan-out's connection
 * lookups. The chat head comes from the
 * container's cache (a Query when it is not there).
 */

import type { Request } from '../contract/index.ts';
import type { MessageRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { userIdsOf } from './access.ts';
import { appendMessage, reasonOf, StoredNothing } from './append.ts';
import { refuseBlockedSend } from './blocking.ts';
import { claimClientId, type HeldClaim, releaseClaim } from './client-ids.ts';
import type { Deps } from './deps.ts';
import { senderHead } from './heads.ts';
import { screenMessage } from './hooks.ts';
import { seqOfMessageId } from './ids.ts';
import { claimUploads, messageViews } from './media.ts';
import type { MessageView } from './views.ts';

export type SendInput = Request<'sendMessage'>;

/** A send as the domain takes it: the frame's fields and the socket it came from. */
export interface SendMessageInput extends SendInput {
  /** The sender's socket: it gets the ack, so it is left out of the `message.created` fan-out. */
  readonly connectionId: string;
}

export async function sendMessage(
  deps: Deps,
  caller: Caller,
  request: SendMessageInput,
): Promise<{ message: MessageView; duplicate: boolean }> {
  const head = await senderHead(deps, caller, request.chatId);
  await refuseBlockedSend(deps, caller, head);
  const input = await screenMessage(caller, request); // the pre-send hook (hooks.ts), if configured
  if (input.replyTo !== undefined) await checkReplyTo(deps, input.chatId, input.replyTo);

  // The one media call: checks the uploads and marks them used by this send (nothing else is written
  // when one is refused).
  const attachments = await claimUploads(
    deps,
    caller,
    input.chatId,
    input.attachments,
    input.clientMessageId,
  );

  let claim: HeldClaim | undefined;
  if (input.clientMessageId !== undefined) {
    const ref = { chatId: input.chatId, senderId: caller.userId, clientMessageId: input.clientMessageId };
    const resolved = await claimClientId(deps, ref);
    if (resolved.status === 'duplicate')
      return { message: await viewOf(deps, resolved.message), duplicate: true };
    claim = resolved.claim;
  }

  let appended: Awaited<ReturnType<typeof appendMessage>>;
  try {
    appended = await appendMessage(
      deps,
      caller,
      {
        chatId: input.chatId,
        text: input.text ?? '',
        replyTo: input.replyTo ?? null,
        clientMessageId: input.clientMessageId ?? null,
        attachments,
      },
      head,
      claim,
    );
  } catch (error) {
    // Only a send that knows none of its writes can land gives its claim back.
    if (claim && error instanceof StoredNothing) await releaseClaim(deps, claim);
    throw reasonOf(error);
  }

  const { message } = appended;
  const view = await viewOf(deps, message);
  // Sockets are looked up only after the message is stored: a socket that opens later finds the
  // message in its catch-up, so no window exists in which a message reaches neither.
  await Promise.all([
    moveGroupReadCursor(deps, appended.head.chat.kind, message),
    deps.fanOut.toUsers(userIdsOf(appended.head.members), event('message.created', { message: view }), {
      excludeConnectionId: input.connectionId,
      chat: appended.head.chat,
    }),
  ]);
  return { message: view, duplicate: false };
}

/** A message as the wire shows it (attachment URLs signed). */
async function viewOf(deps: Deps, message: MessageRecord): Promise<MessageView> {
  const [view] = await messageViews(deps, [message]);
  if (!view) throw new Error('no view of a message');
  return view;
}

/** `replyTo` must name a message of this chat (a key lookup; its stored id must match). */
async function checkReplyTo(deps: Deps, chatId: string, replyTo: string): Promise<void> {
  const seq = seqOfMessageId(replyTo);
  const target = seq === undefined ? undefined : await deps.store.messages.get(chatId, seq);
  if (!target || target.messageId !== replyTo) {
    throw badRequest('"replyTo" must be the messageId of a message in this chat.');
  }
}

/** In a group, sending moves the sender's read cursor (forward only), off the delivery path. */
async function moveGroupReadCursor(deps: Deps, kind: string, message: MessageRecord): Promise<void> {
  if (kind === 'direct') return; // folded into the allocation (`sentSeq`)
  await deps.store.cursors.advance(message.chatId, message.senderId, message.seq).catch((error: unknown) => {
    logger.warn('could not move the sender read cursor', { error });
  });
}

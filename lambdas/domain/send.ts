/**
 * `sendMessage`: check the send (block, pre-send hook, replyTo) while claiming the clientMessageId
 * (exactly once), append the message (seq allocation and put, `append.ts`), then push
 * `message.created` to the members' other sockets while, in a group, the sender's read cursor moves
 * (in a direct chat it moved with the allocation).
 *
 * The checks only read, and the claim stores nothing of the message (no text: a hook's rewrite
 * changes nothing in it), so they run together; a send the checks refuse gives its claim back before
 * it answers, and so leaves nothing behind (`send-checks.ts`).
 *
 * With attachments, the uploads are claimed after the checks and before the clientMessageId
 * (`claimUploads` in `media.ts`): a refused upload writes nothing at all, and the clientMessageId
 * claim's deadline does not include the S3 checks. A retry of the same send may claim the same
 * uploads again (they are bound to its clientMessageId).
 *
 * Sequential round trips on the way to the first post: the checks together with the claim (only
 * with a clientMessageId; with attachments, or a hook that may take long, the checks, the uploads'
 * checks, then the claim), the allocation, the put, then the fan-out's connection lookups. The chat
 * head comes from the container's cache (a Query when it is not there).
 */

import type { Request } from '../contract/index.ts';
import type { ClaimRef } from '../data/items.ts';
import type { MessageRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { userIdsOf } from './access.ts';
import { appendMessage, reasonOf, StoredNothing } from './append.ts';
import { type ClaimResolution, claimClientId, type HeldClaim, releaseClaim } from './client-ids.ts';
import type { Deps } from './deps.ts';
import { senderHead } from './heads.ts';
import { claimUploads, messageViews } from './media.ts';
import { checkAndClaim, checkSend, claimBesideChecks } from './send-checks.ts';
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
  const ref: ClaimRef | undefined =
    request.clientMessageId === undefined
      ? undefined
      : { chatId: request.chatId, senderId: caller.userId, clientMessageId: request.clientMessageId };
  const withUploads = (request.attachments?.length ?? 0) > 0;

  // Without attachments (and a slow hook) the claim is made while the checks run (send-checks.ts).
  let resolution: ClaimResolution | undefined;
  let input: SendMessageInput;
  if (ref && !withUploads && claimBesideChecks())
    ({ input, resolution } = await checkAndClaim(deps, caller, head, request, ref));
  else input = await checkSend(deps, caller, head, request);

  // The one media call: checks the uploads and marks them used by this send (nothing else is written
  // when one is refused).
  const attachments = await claimUploads(
    deps,
    caller,
    input.chatId,
    input.attachments,
    input.clientMessageId,
  );
  if (ref && !resolution) resolution = await claimClientId(deps, ref);

  if (resolution?.status === 'duplicate') {
    return { message: await viewOf(deps, resolution.message), duplicate: true };
  }
  const claim: HeldClaim | undefined = resolution?.claim;

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

/** In a group, sending moves the sender's read cursor (forward only), off the delivery path. */
async function moveGroupReadCursor(deps: Deps, kind: string, message: MessageRecord): Promise<void> {
  if (kind === 'direct') return; // folded into the allocation (`sentSeq`)
  await deps.store.cursors.advance(message.chatId, message.senderId, message.seq).catch((error: unknown) => {
    logger.warn('could not move the sender read cursor', { error });
  });
}

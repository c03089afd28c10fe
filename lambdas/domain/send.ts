/**
 * `sendMessage`: check the send (block, pre-send hook, replyTo) while claiming the clientMessageId
 * (exactly once), append the message (seq allocation and put, `append.ts`), then push
 * `message.created` to the members' other sockets while, in a group, the sender's read cursor moves
 * (in a direct chat it moved with the allocation; a scheduled message going out moves it in neither:
 * `sender-cursor.ts`).
 *
 * The checks only read, and the claim stores nothing of the message (no text: a hook's rewrite
 * changes nothing in it), so they run together; a send the checks refuse gives its claim back before
 * it answers, and so leaves nothing behind (`send-checks.ts`).
 *
 * A duplicate (its clientMessageId claimed, its message stored) stores and allocates nothing, and is
 * answered only to a caller a consistent read shows to be a member still: the head it was checked
 * against may be cached or lag behind a removal, and a duplicate never reaches the allocation's
 * memberVer condition, so an ex-member's retry gets NOT_FOUND (as their send does) and announces
 * nothing. A member's duplicate moves their read cursor (or notes a scheduled message as theirs)
 * when the send did not (`markSentAgain`), so a retry after an INTERNAL heals it. When the send that stored it has certainly ended (allocated a function's
 * timeout ago), it may have died between its put and its posts (a runtime crash; the time budgets keep a timeout from
 * doing it): the first such duplicate within minutes of the allocation posts `message.created` to
 * the members' other sockets again, to the members the send path would use (`announce.ts`). A
 * duplicate racing a send still running posts nothing, so the 12-way race tells nobody twice, and
 * later ones post nothing either.
 *
 * A duplicate is answered with the stored message whatever the pre-send hook says of the retry: the
 * hook runs beside the claim (or before it) and may refuse now what it let through then (it is down
 * and its fallback is `deny`, its word list changed, it refuses a repeated text). Its refusal of a
 * send whose clientMessageId names a stored message is not answered (the claim found the message, or,
 * where the claim comes after the checks, the claim made on that refusal's path, which waits for a
 * first attempt still storing it): the stored message is, once the membership and block checks
 * passed, as for any duplicate.
 *
 * With attachments, the uploads are claimed after the checks and before the clientMessageId
 * (`claimUploads` in `media.ts`): a refused upload writes nothing at all, and the clientMessageId
 * claim's deadline does not include the S3 checks. A retry of the same send may claim the same
 * uploads again (they are bound to its clientMessageId). A retry of a send whose message is stored
 * may find its uploads unusable since: deleted with the message (no send may claim them again),
 * their records expired days after that (TTL), or their bytes deleted between its read and its
 * probe. Any refusal of the uploads of a send with a clientMessageId is therefore checked against
 * the clientMessageId (`storedOr`: a claim write, on the refusal's path only): a stored message is
 * the answer, as it is now (deleted: true), as for any duplicate; else the refusal.
 *
 * Sequential round trips on the way to the first post: the checks together with the claim (only
 * with a clientMessageId; with attachments, or a hook that may take long, the checks, the uploads'
 * checks, then the claim), the allocation, then the put with the fan-out's socket lookup beside it.
 * The chat head comes from the container's cache; when it is not there (a container's first send
 * into a chat: most sends of a chat written to now and then), its Query runs beside the claim, and
 * the checks follow it. A caller the head shows to be no member gets its claim back before the
 * refusal (NOT_FOUND), as a send the checks refuse does: for a moment the chat's partition holds a
 * claim keyed by the caller's own id and clientMessageId, which no other user's send can match (and
 * which, should the release fail, goes stale like any abandoned claim). A refused caller racing its
 * own send of the same clientMessageId waits for that claim to settle (at most 4 s) before NOT_FOUND.
 * Only a container's first send into the chat can do that: once its head is cached without the
 * caller (a non-member, or a member who joined since), the send reads the head before it claims,
 * so a non-member's sends into someone else's chat write nothing there (a member just joined pays
 * one round trip more, once). The rate limiter's lease write, when one is due (a sender's first
 * frame in a window on this instance: most sends of a user who writes now and then), runs beside
 * the head read and the checks instead of before them; a frame the instance's memory refuses (the
 * window known to be spent) never starts (ws-middleware.ts).
 *
 * Why the lookup may run beside the put, and must not start before the allocation is answered: a
 * socket it does not find was listed after the allocation was applied, so that socket's catch-up
 * (`listChats`, then `sync` or `history`, all reading the chat head after it connected) sees this
 * message's version (`lastVer`) and seq (`lastSeq`). `sync` never moves its cursor past a version
 * still in flight, so such a socket gets the message from its catch-up, or learns that it is due
 * and asks again (the client SDK does, after `gapMs`); `history` after its last seq waits for the
 * chat head's in-flight top (`history.ts`). Every lookup reads consistently (rosters, and each
 * user's connections: `directory.ts`), so a socket stored before it is found. A lookup started
 * before the allocation could miss a socket whose catch-up read the head before the allocation:
 * that socket would get the message from neither. Posts start only after the put has landed, and a retried allocation
 * (a void, `append.ts`) starts its own lookup.
 *
 * A lookup that fails beside the put is made again by the fan-out. A direct chat's user whose
 * sockets still cannot be looked up is handed to the fan-out queue, whose worker looks them up and
 * posts (`fanout.ts`), and the send is answered as usual: failing it would not help, since its
 * client's retry is a duplicate, which posts nothing while this send may still run.
 */

import type { Request } from '../contract/index.ts';
import type { ClaimRef } from '../data/items.ts';
import type { ChatHead, MessageRecord, StoredAttachment } from '../data/store.ts';
import type { Target } from '../fanout/fanout.ts';
import type { Caller } from '../shared/caller.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { loadMemberAndChat, userIdsOf } from './access.ts';
import { announceOnce } from './announce.ts';
import { type Appended, appendMessage, reasonOf, StoredNothing } from './append.ts';
import { mirrorOlderChat } from './block-mirror.ts';
import { refuseBlockedSend } from './blocking.ts';
import {
  type ClaimResolution,
  claimClientId,
  type HeldClaim,
  releaseClaim,
  releaseIfClaimed,
} from './client-ids.ts';
import type { Deps } from './deps.ts';
import { cachedWithout, headAt, senderHead } from './heads.ts';
import { claimUploads, isUploadRefusal, messageViews } from './media.ts';
import {
  ADMITTED,
  blockLeftToAllocation,
  checkAndClaim,
  checkSendOrStored,
  claimBesideChecks,
  storedOr,
} from './send-checks.ts';
import { markSent, markSentAgain, type SenderCursorOptions } from './sender-cursor.ts';
import { giveBackUnstored } from './upload-holds.ts';
import type { MessageView } from './views.ts';

export type SendInput = Request<'sendMessage'>;

/** A send as the domain takes it: the frame's fields and the socket it came from. */
export interface SendMessageInput extends SendInput {
  /** The sender's socket: it gets the ack, so it is left out of the `message.created` fan-out. */
  readonly connectionId: string;
}

/** How a send goes beside its checks: its cursor (`SenderCursorOptions`) and its charge. */
export interface SendOptions extends SenderCursorOptions {
  /**
   * Charges the sender's rate limit by the members the stored message reaches (the chat head's
   * member count: rate-limits.ts `membersPerFrame`), beside its posts: a sendMessage frame. None for
   * a scheduled message going out (its scheduleMessage frame was charged) nor for a duplicate.
   */
  readonly chargeAudience?: ((members: number) => Promise<void>) | undefined;
  /** Told once the message is stored (never for a duplicate), even if its cursor move then fails. */
  readonly stored?: ((message: MessageRecord) => void) | undefined;
}

/**
 * `admitted`: the frame's rate-limit decision, when the handler takes it beside the send (a lease
 * write overlaps the checks and the claim): it is one of the checks (`send-checks.ts`), so nothing
 * is stored unless it passes, and a claim made meanwhile is given back. `options`: whether the send
 * moves its sender's read cursor (not for a scheduled message going out: `sender-cursor.ts`), and
 * how it is charged by its audience.
 */
export async function sendMessage(
  deps: Deps,
  caller: Caller,
  request: SendMessageInput,
  admitted: Promise<void> = ADMITTED,
  options: SendOptions = {},
): Promise<{ message: MessageView; duplicate: boolean }> {
  const ref: ClaimRef | undefined =
    request.clientMessageId === undefined
      ? undefined
      : { chatId: request.chatId, senderId: caller.userId, clientMessageId: request.clientMessageId };
  const withUploads = (request.attachments?.length ?? 0) > 0;
  // Without attachments (and a slow hook) the claim starts at once: beside the chat head's read when
  // the head is not cached, then beside the checks (module comment). A refusal gives it back. A
  // cached head that leaves the caller out is read again first: a non-member claims nothing.
  const early = ref && !withUploads && claimBesideChecks() && !cachedWithout(deps, caller, request.chatId);
  const claiming = early ? claimClientId(deps, ref) : undefined;
  claiming?.catch(() => undefined); // answered where it is awaited, or given back
  const head = await senderHead(deps, caller, request.chatId).catch(async (error: unknown) => {
    if (claiming) await releaseIfClaimed(deps, claiming);
    throw error;
  });
  // Whether the checks leave the block to the allocation (send-checks.ts): no block read here.
  const trustsMirror = blockLeftToAllocation(head, request);

  let resolution: ClaimResolution | undefined;
  let input: SendMessageInput;
  if (claiming)
    ({ input, resolution } = await checkAndClaim(deps, caller, head, request, claiming, admitted));
  else ({ input, resolution } = await checkSendOrStored(deps, caller, head, request, ref, admitted));

  // The one media call: checks the uploads and marks them used by this send (nothing else is written
  // when one is refused). A duplicate known already needs none. An upload refused to a send with a
  // clientMessageId may be one its stored message carried (deleted with it, its record expired
  // since, its bytes gone): a stored message is the answer, like any duplicate (module comment).
  let attachments: StoredAttachment[] | undefined = [];
  if (resolution?.status !== 'duplicate') {
    try {
      attachments = await claimUploads(deps, caller, input.chatId, input.attachments, input.clientMessageId);
    } catch (error) {
      if (!ref || !isUploadRefusal(error)) throw error;
      resolution = await storedOr(deps, ref, error);
    }
  }
  if (ref && !resolution) resolution = await claimClientId(deps, ref);

  if (resolution?.status === 'duplicate') {
    // The head may be cached or read eventually consistently, and a duplicate never reaches the
    // allocation's memberVer condition: a caller removed since (or who left) would be answered the
    // message as it is now and have it announced again. The membership is read consistently first
    // (one BatchGet of it and `META`): NOT_FOUND, as their send gets, and nothing is posted.
    const { member, chat } = await loadMemberAndChat(deps, caller, input.chatId);
    // The checks may have left the block to the allocation, which a duplicate never reaches: a
    // blocked sender's retry is refused as their send would be (a key lookup; duplicates are rare).
    if (trustsMirror) await refuseBlockedSend(deps, caller, head);
    const stored = resolution.message;
    // The send's cursor move (or a scheduled message's note) may have failed, or never run (it died
    // after its put): made now, forward only. Nothing is written when the membership shows it done.
    await markSentAgain(deps, chat.kind, member, stored, options);
    // Stored by an invocation that has ended since: it may have died before its posts (module
    // comment). Once per message, within minutes of it; a duplicate racing the send posts nothing.
    const members = () => headAt(deps, caller, head, chat);
    if (ref) await announceOnce(deps, { ...resolution, ref }, members, input.connectionId);
    return { message: await viewOf(deps, stored), duplicate: true };
  }
  const claim: HeldClaim | undefined = resolution?.claim;

  // The sockets to tell, looked up beside the put (module comment).
  const lookup = (h: ChatHead) =>
    deps.fanOut.socketsOf(userIdsOf(h.members), { excludeConnectionId: input.connectionId, chat: h.chat });
  let appended: Appended<Target[]>;
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
        trustsMirror,
        movesReadCursor: options.movesReadCursor,
      },
      head,
      claim,
      lookup,
    );
  } catch (error) {
    // Only a send that knows none of its writes can land gives its claims back: the clientMessageId,
    // and the uploads it took from pending that no other attempt of it claimed since (a retry, which
    // may store the message with them: `giveBackUnstored`, upload-holds.ts).
    if (error instanceof StoredNothing) {
      await Promise.all([
        claim && releaseClaim(deps, claim),
        giveBackUnstored(deps, input.chatId, attachments),
      ]);
    }
    throw reasonOf(error);
  }

  const { message } = appended;
  options.stored?.(message);
  const view = await viewOf(deps, message);
  // A failed lookup leaves the fan-out to look up itself: later than needed, never too early.
  const sockets = await appended.beside.catch((error: unknown) => {
    logger.warn('the socket lookup beside the put failed; looking up again', { error });
    return undefined;
  });
  // A failed move is thrown (INTERNAL, so the retry heals it: sender-cursor.ts) once the posts are made.
  const marked = markSent(deps, message, options, appended.head.chat.kind);
  await Promise.all([
    marked.catch(() => undefined),
    options.chargeAudience?.(appended.head.chat.memberCount),
    mirrorOlderChat(deps, appended.head.chat, userIdsOf(appended.head.members)),
    deps.fanOut.toUsers(userIdsOf(appended.head.members), event('message.created', { message: view }), {
      excludeConnectionId: input.connectionId,
      chat: appended.head.chat,
      sockets,
    }),
  ]);
  await marked;
  return { message: view, duplicate: false };
}

/** A message as the wire shows it (attachment URLs signed). */
async function viewOf(deps: Deps, message: MessageRecord): Promise<MessageView> {
  const [view] = await messageViews(deps, [message]);
  if (!view) throw new Error('no view of a message');
  return view;
}

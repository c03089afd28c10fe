/**
 * What a send does before its seq is allocated, in as few sequential round trips as is safe:
 *
 * - the checks (`checkSend`): the block check (in a direct chat, one key lookup, unless the chat's
 *   `META` mirrors the blocks and no hook is configured: then the seq allocation refuses a blocked
 *   sender, block-mirror.ts) and the `replyTo` check (one key lookup) run together; the pre-send
 *   hook (it may refuse or rewrite the text) runs once the block check passed, so a blocked
 *   sender's text never reaches it. With a hook and attachments, the uploads' records are read
 *   beside the block check (one BatchGet) for the file names the hook sees. When several refuse, the answer is the one the send gave when
 *   they ran one after the other (block, hook, replyTo); a block left to the allocation is answered
 *   after the other checks' refusals (the refusal of a blocked sender is still FORBIDDEN, and
 *   nothing is written either way).
 * - the rate limiter's decision (`admitted`: the frame's lease, taken beside the send when the handler
 *   declares `limitBeside`, ws-middleware.ts) counts as a check: the hook runs only once it passed,
 *   and a refused frame gives its claim back like any refused send.
 * - the clientMessageId claim (`claimClientId`), made at the same time as the checks when the send
 *   has no attachments (it starts even before them, beside the chat head's read when the head is not
 *   cached: send.ts). The claim holds no part of the message (its key names the sender, the chat
 *   and the clientMessageId; it records a time and a token), so a hook's rewrite cannot make it
 *   wrong. When the checks refuse, the claim this send made (or took over) is given back before the
 *   refusal is answered: a refused send leaves nothing behind, and a racing send of the same
 *   clientMessageId that waits on the claim claims it itself (and is checked itself).
 * - with attachments, the uploads are checked and claimed after the checks and before the
 *   clientMessageId (see send.ts): nothing of it runs early.
 *
 * The claim's deadline (`claimDeadlineMs`, 9 s) then also covers the checks that run beside it: at
 * most the hook's timeout (300 ms by default) and one key lookup. A hook allowed more than a tenth of
 * that deadline (`PRE_SEND_HOOK_TIMEOUT_MS` above 900 ms by default) runs before the claim instead,
 * so that a slow hook never eats the time the append needs (`claimBesideChecks`).
 */
import type { ClaimRef } from '../data/items.ts';
import type { ChatHead } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest } from '../shared/errors.ts';
import { refuseBlockedSend } from './blocking.ts';
import { type ClaimResolution, claimClientId, releaseClaim, releaseIfClaimed } from './client-ids.ts';
import type { Deps } from './deps.ts';
import { configuredHook, hookSettingsFromEnv, isHookRefusal, screenMessage } from './hooks.ts';
import { seqOfMessageId } from './ids.ts';
import { writeTiming } from './timing.ts';

/** The fields of a send the checks look at (the hook sees the text and the attachments' names). */
export interface CheckedSend {
  readonly chatId: string;
  readonly text?: string | undefined;
  readonly replyTo?: string | undefined;
  readonly attachments?: readonly { readonly uploadId: string }[] | undefined;
}

/** A decision already made (a frame admitted before the send began, or not limited at all). */
export const ADMITTED: Promise<void> = Promise.resolve();

/**
 * Runs the checks together; the send as the hook left it (its text possibly rewritten), or the
 * first refusal in the order block, rate limit, hook, replyTo (the handler answers a rate-limited
 * frame `RATE_LIMITED` whatever else refused it).
 */
export async function checkSend<T extends CheckedSend>(
  deps: Deps,
  caller: Caller,
  head: ChatHead,
  request: T,
  admitted: Promise<void> = ADMITTED,
): Promise<T> {
  const reply =
    request.replyTo === undefined
      ? Promise.resolve(undefined)
      : checkReplyTo(deps, request.chatId, request.replyTo).then(
          () => undefined,
          (error: unknown) => ({ error }),
        );
  // The attachments' file names, for the hook: read beside the block check (only with a hook).
  const names = fileNamesFor(deps, caller, request);
  names.catch(() => undefined); // answered below, unless a check before it refuses
  // The hook only sees sends the block check let through: a blocked sender's text never reaches a
  // moderation service (and is not paid for). Without a hook this adds nothing to the sequence.
  if (!blockLeftToAllocation(head, request)) await refuseBlockedSend(deps, caller, head);
  await admitted; // nor does a frame beyond the sender's rate limit
  // The pre-send hook (hooks.ts), if configured.
  const screened = await screenMessage(caller, request, await names);
  const refused = await reply;
  if (refused) throw refused.error;
  return screened;
}

/**
 * The file names of the send's uploads, for the hook (they are shown to every member, as the text
 * is): the upload records, read consistently (one BatchGet; the uploads' claim reads them again
 * after the checks, and refuses any the caller may not attach). Nothing is read without a hook or
 * without attachments. Only the caller's own uploads are named (another's name is not shown).
 */
async function fileNamesFor(deps: Deps, caller: Caller, request: CheckedSend): Promise<string[]> {
  const ids = request.attachments?.map((a) => a.uploadId) ?? [];
  if (ids.length === 0 || !configuredHook()) return [];
  const uploads = await deps.store.uploads.getMany(request.chatId, ids);
  return ids.flatMap((id) => {
    const upload = uploads.get(id);
    return upload?.userId === caller.userId && upload.fileName ? [upload.fileName] : [];
  });
}

/**
 * Whether the block check is left to the seq allocation (no read): in a direct chat whose `META`
 * mirrors the blocks (block-mirror.ts), unless a hook is configured (it must never see a blocked
 * sender's text, so the block is read before it runs) or the send has attachments (their claim comes
 * before the allocation, and a blocked sender's uploads must stay untouched).
 */
export function blockLeftToAllocation(head: ChatHead, request: Pick<CheckedSend, 'attachments'>): boolean {
  if ((request.attachments?.length ?? 0) > 0 || configuredHook()) return false;
  return head.chat.kind === 'direct' && head.chat.blocksMirrored === true;
}

/** Whether the claim may be made while the checks run: unless a configured hook may take long. */
export function claimBesideChecks(): boolean {
  return !configuredHook() || hookSettingsFromEnv().timeoutMs <= writeTiming().claimDeadlineMs / 10;
}

/**
 * The checks with the claim (`claiming`, already started) beside them: the checked send and how the
 * claim resolved. A refusal of the checks gives the claim back first, except the hook's refusal of
 * a duplicate (the stored message is its answer); a failed claim is answered only when the checks
 * pass.
 */
export async function checkAndClaim<T extends CheckedSend>(
  deps: Deps,
  caller: Caller,
  head: ChatHead,
  request: T,
  claiming: Promise<ClaimResolution>,
  admitted: Promise<void> = ADMITTED,
): Promise<{ input: T; resolution: ClaimResolution }> {
  const [checked, claimed] = await Promise.allSettled([
    checkSend(deps, caller, head, request, admitted),
    claiming,
  ]);
  if (checked.status === 'rejected') {
    // A retry of a send already stored is answered with the stored message, whatever the hook says
    // now (it may be down, or refuse a repeated text): the checks before it passed (send.ts).
    if (
      isHookRefusal(checked.reason) &&
      claimed.status === 'fulfilled' &&
      claimed.value.status === 'duplicate'
    )
      return { input: request, resolution: claimed.value };
    await releaseIfClaimed(deps, claiming);
    throw checked.reason;
  }
  if (claimed.status === 'rejected') throw claimed.reason;
  return { input: checked.value, resolution: claimed.value };
}

/** `replyTo` must name a message of this chat (a key lookup; its stored id must match). */
async function checkReplyTo(deps: Deps, chatId: string, replyTo: string): Promise<void> {
  const seq = seqOfMessageId(replyTo);
  const target = seq === undefined ? undefined : await deps.store.messages.get(chatId, seq);
  if (!target || target.messageId !== replyTo) {
    throw badRequest('"replyTo" must be the messageId of a message in this chat.');
  }
}

/**
 * The checks before the claim; the hook's refusal of a retry whose message is stored gives that
 * message as a duplicate instead (send.ts's module comment). On that refusal's path only, the clientMessageId
 * is claimed: a holder still storing the message is waited for (one read of the client-id index
 * would find nothing yet, and the outbox takes FORBIDDEN as final); a claim got is given back.
 */
export async function checkSendOrStored<T extends CheckedSend>(
  deps: Deps,
  caller: Caller,
  head: ChatHead,
  request: T,
  ref: ClaimRef | undefined,
  admitted: Promise<void>,
): Promise<{ input: T; resolution?: ClaimResolution }> {
  try {
    return { input: await checkSend(deps, caller, head, request, admitted) };
  } catch (error) {
    if (!ref || !isHookRefusal(error)) throw error;
    return { input: request, resolution: await storedOr(deps, ref, error) };
  }
}

/**
 * The message stored under `ref` (a duplicate), else `refusal` thrown. The claim, not one read of the
 * index: a first attempt still holding it (its message not yet stored) is waited for, so its retry
 * is answered as a duplicate rather than refused for good; a claim got is given back.
 */
export async function storedOr(deps: Deps, ref: ClaimRef, refusal: unknown): Promise<ClaimResolution> {
  const resolution = await claimClientId(deps, ref);
  if (resolution.status === 'duplicate') return resolution;
  await releaseClaim(deps, resolution.claim);
  throw refusal;
}

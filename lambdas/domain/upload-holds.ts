/**
 * How a send's uploads are held and given back (the claim itself is `claimUploads`, media.ts).
 *
 * - `untagUnclaimed`: a claim that did not succeed puts the pending tag back on what it tagged.
 * - `giveBackUnstored`: a send without a clientMessageId claims its uploads for a one-off holder
 *   (`once:<random>`) that no other send can ever name; when its message is certainly not stored
 *   (`StoredNothing`: refused at the allocation, a block landing after the check, a caller the
 *   cached head still listed, a chat busy every time) it gives them back, as a refused schedule does
 *   (`releaseUploads`, scheduled-media.ts): pending again, they expire unless a send claims them
 *   first. Without it their objects would stay tagged attached and their records used, without
 *   TTL, until the chat is deleted. A send with a clientMessageId keeps them bound to it: a retry of
 *   that send, which may be running now, claims them again and may store its message with them
 *   (giving them back under it could leave a stored message's bytes pending).
 */
import { randomBytes } from 'node:crypto';
import { mediaKey } from '../../lib/media.ts';
import { type MediaBucket, mediaBucket } from '../data/media-bucket.ts';
import type { StoredAttachment, UploadRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { logger } from '../shared/logger.ts';
import type { Deps } from './deps.ts';

/** The injected bucket (tests), else the container's. */
export const bucket = (deps: Deps): MediaBucket => deps.media ?? mediaBucket();

/** An untag's hold lasts one tagging and one write; one older than this was never released. */
const UNTAG_HOLD_SECONDS = 60;
/** The one-off holder of `untagUnclaimed`: `untag:<when, base-36 ms>.<random>`. */
const UNTAG = 'untag:';
/** The holder of a send without a clientMessageId: `once:<random>`. */
const ONCE = 'once:';

/** A holder for a send without a clientMessageId (no other send can name it). */
export const oneOffHolder = (): string => `${ONCE}${randomBytes(9).toString('base64url')}`;

/** The one-off holder of the attachments a claim returned (module comment). */
const oneOffHolders = new WeakMap<readonly StoredAttachment[], string>();

/** `attachments`, remembered as held by `usedBy` when that is a one-off holder. */
export function heldBy(attachments: StoredAttachment[], usedBy: string): StoredAttachment[] {
  if (usedBy.startsWith(ONCE)) oneOffHolders.set(attachments, usedBy);
  return attachments;
}

/**
 * Gives back the uploads of a send that stored nothing, when it holds them for a one-off holder
 * (module comment): each object re-tagged pending first, while the claim still keeps every other
 * send away, then its record released (which makes a send that read it before read it again).
 * Best effort, logged: what cannot be given back stays claimed, attached.
 */
export async function giveBackUnstored(
  deps: Deps,
  chatId: string,
  attachments: readonly StoredAttachment[] | undefined,
): Promise<void> {
  const holder = attachments && oneOffHolders.get(attachments);
  if (!attachments || !holder) return;
  await Promise.all(
    attachments.map(async ({ attachmentId }) => {
      try {
        await bucket(deps).markPending(mediaKey(chatId, attachmentId));
        await deps.store.uploads.release(chatId, [attachmentId], holder, deps.now());
      } catch (error) {
        logger.warn('could not give back an upload of a send that stored nothing', {
          uploadId: attachmentId,
          error,
        });
      }
    }),
  );
}

/** Whether the caller's upload is held by an `untagUnclaimed` that has not ended (nor died). */
export function beingUntagged(deps: Deps, caller: Caller, upload: UploadRecord | undefined): boolean {
  if (upload?.status !== 'used' || upload.userId !== caller.userId || !upload.usedBy?.startsWith(UNTAG)) {
    return false;
  }
  const since = Number.parseInt(upload.usedBy.slice(UNTAG.length).split('.')[0] ?? '', 36);
  return deps.now().getTime() - since < UNTAG_HOLD_SECONDS * 1000;
}

/**
 * Puts the pending tag back on uploads this send tagged attached but did not claim (the claim was
 * refused, busy or failed; a tag was refused or failed), so that the lifecycle rule removes them
 * unless a send claims them later; without this, bytes no message carries would be kept forever.
 * Each one is re-tagged under a claim of its own (a one-off holder, whatever it was read as),
 * released at once: no send can claim it meanwhile (a send that reads it waits, `readUsable`), and
 * the release makes every send that read it before, and may have tagged it attached before the
 * pending tag, read and tag it again (`uploads.claim`). One that a send holds (another message's,
 * or this send's own claim that committed although the call failed) is left alone, attached. Best
 * effort, logged; a crash between the tagging and the claim still leaves the tag attached.
 */
export async function untagUnclaimed(
  deps: Deps,
  caller: Caller,
  uploads: readonly UploadRecord[],
): Promise<void> {
  const holder = `${UNTAG}${deps.now().getTime().toString(36)}.${randomBytes(9).toString('base64url')}`;
  await Promise.all(
    uploads.map(async (u) => {
      try {
        const held = await deps.store.uploads.claim([u], caller.userId, holder, deps.now(), {
          asRead: false,
        });
        if (held !== 'claimed') return;
        try {
          await bucket(deps).markPending(mediaKey(u.chatId, u.uploadId));
        } finally {
          await deps.store.uploads.release(u.chatId, [u.uploadId], holder, deps.now());
        }
      } catch (error) {
        logger.warn('could not put the pending tag back on an unclaimed upload', {
          uploadId: u.uploadId,
          error,
        });
      }
    }),
  );
}

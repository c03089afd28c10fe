/**
 * How a send's uploads are held and given back (the claim itself is `claimUploads`, media.ts).
 *
 * - `untagUnclaimed`: a claim that did not succeed puts the pending tag back on what it tagged.
 * - `giveBackUnstored`: a send whose message is certainly not stored (`StoredNothing`: refused at
 *   the allocation, a block landing after the check, a caller the cached head still listed, a chat
 *   busy every time) gives back the uploads it claimed, as a refused schedule does (`releaseUploads`,
 *   scheduled-media.ts): pending again, they expire unless a send claims them first. Without it their
 *   objects would stay tagged attached and their records used, without TTL, until the chat is
 *   deleted. A send without a clientMessageId holds them for a one-off holder (`once:<random>`) that
 *   no other send can ever name. A send with one shares its holder (`cmid:<clientMessageId>`) with
 *   its retries, any of which may be running and store its message with them: it gives back only
 *   uploads it took from pending (no attempt held them before: a scheduled message's send never
 *   does, they were claimed when it was scheduled), and only if no other attempt claimed them since
 *   (each claim records its attempt's `claimToken`): each is first handed over, on that condition, to
 *   a one-off holder of its own, which a claim cannot take (a send that reads it waits), then
 *   re-tagged pending and released, as `untagUnclaimed` does. A retry that claims them after that
 *   takes them from pending again; one that claimed them before keeps them (the hand-over fails),
 *   and gives them back never, refused too (it read them used, not fresh: the attempt that claimed
 *   them first may still store its message with them). They stay bound to the clientMessageId, for
 *   a later retry of it, until the chat is deleted (docs/protocol.md, "Media").
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

/** How a send attempt holds the uploads it claimed (`claimUploads`, media.ts). */
export interface Hold {
  /** The send: `cmid:<clientMessageId>` or a one-off holder. */
  readonly usedBy: string;
  /** This attempt's claim (`claimToken` on the records). */
  readonly token: string;
  /** Whether it took every one from pending (no other attempt of the send held them before). */
  readonly fresh: boolean;
}

/** The hold of the attachments a claim returned (module comment). */
const holds = new WeakMap<readonly StoredAttachment[], Hold>();

/** `attachments`, remembered as held by `hold`. */
export function heldBy(attachments: StoredAttachment[], hold: Hold): StoredAttachment[] {
  holds.set(attachments, hold);
  return attachments;
}

/** A one-off holder that puts the pending tag back: `untag:<when, base-36 ms>.<random>`. */
const untagHolder = (deps: Deps): string =>
  `${UNTAG}${deps.now().getTime().toString(36)}.${randomBytes(9).toString('base64url')}`;

/**
 * Gives back the uploads of a send attempt that stored nothing, those it took from pending and no
 * other attempt of the send claimed since (module comment): each handed over to a one-off holder,
 * its object re-tagged pending while that holder keeps every send away, then, only once that
 * succeeded, its record released (which makes a send that read it before read it again). Best
 * effort, logged: what cannot be given back stays claimed, attached (a failed tagging leaves it
 * held by the one-off holder: no send may use it, and the chat's deletion deletes its bytes).
 */
export async function giveBackUnstored(
  deps: Deps,
  chatId: string,
  attachments: readonly StoredAttachment[] | undefined,
): Promise<void> {
  const hold = attachments && holds.get(attachments);
  if (!attachments || !hold?.fresh) return;
  const holder = untagHolder(deps);
  await Promise.all(
    attachments.map(async ({ attachmentId }) => {
      try {
        const upload = { chatId, uploadId: attachmentId };
        if (!(await deps.store.uploads.handOver(upload, hold, holder))) return;
        // Released only once tagged pending: a record released (TTL) on an object still tagged
        // attached would expire and leave bytes that no record names, kept for good.
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
  const holder = untagHolder(deps);
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

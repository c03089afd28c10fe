/**
 * The attachments of scheduled messages. `scheduleMessage` checks and claims the uploads exactly as
 * `sendMessage` does (`claimUploads`), on behalf of the send the dispatcher will make — the one with
 * clientMessageId `sched_<scheduledId>.<sendAt>` (`sendClientMessageId`) — so from then on no other send can use them, and the claim
 * (record `used`, TTL removed; object re-tagged `attached`) keeps upload cleanup away from them until
 * `sendAt`. At `sendAt` the dispatcher's `sendMessage` names the same uploads and, being that very
 * send, passes the same checks again (bytes still there, same size and type) and carries them like
 * any message. A schedule that is cancelled, refused after the claim (the pending cap) or fails at
 * `sendAt` gives its uploads back (`releaseUploads`): pending again, they expire as any upload
 * never attached does, unless a send uses them first. A create that failed without an answer may
 * have been stored: it keeps them (a retry with the same clientMessageId claims them again). So does
 * a create with a clientMessageId that other transactions kept from being stored (`busy`): an
 * identical request may store the schedule with the same uploads a moment later.
 */
import { mediaKey } from '../../lib/media.ts';
import { SCHEDULED_SEND_PREFIX } from '../contract/fields.ts';
import type { Attachment } from '../contract/objects.ts';
import type { FinishedScheduledRecord, ScheduledRecord, StoredAttachment } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { logger } from '../shared/logger.ts';
import type { Deps } from './deps.ts';
import { bucket, claimUploads, DOWNLOAD_URL_SECONDS, sendUsedBy } from './media.ts';
import { attachmentView } from './views.ts';

/**
 * The clientMessageId the send of a scheduled message carries, `sched_<scheduledId>.<sendAt>` (the
 * send time in base-36 milliseconds): its publish is idempotent by it. The prefix is reserved (the
 * contract refuses it in a client's send), so only the dispatcher's send holds the uploads claimed
 * for the schedule, and only it is found as the schedule's message.
 *
 * The scheduledId alone is not enough: it is derived from the schedule's clientMessageId, which a
 * client may use again once the schedule made with it has expired (`SCHEDULED_KEEP_SECONDS` after it
 * went out), while the message that schedule became keeps its clientMessageId for good: the new
 * schedule's send would be taken for a repeat of it, and never go out. That later schedule's time
 * is necessarily later than the first one's (which went out before it was made); a repeat of one
 * request (an answer lost) names the same time, so it claims its uploads for the same send again.
 */
export const sendClientMessageId = (scheduledId: string, sendAt: string): string =>
  `${SCHEDULED_SEND_PREFIX}${scheduledId}.${Date.parse(sendAt).toString(36)}`;

/**
 * The clientMessageId of a stored schedule's send: the one it records, or, for a schedule stored
 * before they were recorded, `sched_<scheduledId>` (what its uploads were claimed for).
 */
export const sendIdOf = (record: Pick<ScheduledRecord, 'scheduledId' | 'sendClientMessageId'>): string =>
  record.sendClientMessageId ?? `${SCHEDULED_SEND_PREFIX}${record.scheduledId}`;

/** Claims the uploads for the send `sendId` of a scheduled message (BAD_REQUEST, nothing written, when one is not usable). */
export function claimForSchedule(
  deps: Deps,
  caller: Caller,
  chatId: string,
  sendId: string,
  attachments: readonly { readonly uploadId: string }[] | undefined,
): Promise<StoredAttachment[] | undefined> {
  return claimUploads(deps, caller, chatId, attachments, sendId);
}

/**
 * Gives back the uploads `attachmentIds` a scheduled message holds and will not send. The objects
 * are re-tagged pending first, while the claim still keeps every other send away from them (a send
 * re-tags its uploads attached before it claims them), then the records are released, which makes
 * a send that read them before (and may have tagged them before) read and tag them again. Best
 * effort: what cannot be given back stays claimed (its bytes are kept until the chat is deleted),
 * and is logged.
 */
export async function releaseUploads(
  deps: Deps,
  record: Pick<ScheduledRecord, 'chatId' | 'scheduledId' | 'sendClientMessageId'>,
  attachmentIds: readonly string[],
): Promise<void> {
  if (attachmentIds.length === 0) return;
  try {
    await Promise.all(attachmentIds.map((id) => bucket(deps).markPending(mediaKey(record.chatId, id))));
    await deps.store.uploads.release(record.chatId, attachmentIds, sendUsedBy(sendIdOf(record)), deps.now());
  } catch (error) {
    logger.error('could not give back the uploads of a scheduled message', {
      scheduledId: record.scheduledId,
      error,
    });
  }
}

/** The ids of the uploads a scheduled message carries (or carried, once finished). */
export const attachmentIdsOf = (
  record: Pick<ScheduledRecord, 'attachments'> | Pick<FinishedScheduledRecord, 'attachmentIds'>,
): string[] =>
  'attachmentIds' in record
    ? [...record.attachmentIds]
    : (record.attachments ?? []).map((a) => a.attachmentId);

/** A scheduled message's attachments as the wire shows them (download URLs signed). */
export async function scheduledAttachments(deps: Deps, record: ScheduledRecord): Promise<Attachment[]> {
  return Promise.all(
    (record.attachments ?? []).map(async (a) =>
      attachmentView(
        a,
        await bucket(deps).downloadUrl(mediaKey(record.chatId, a.attachmentId), DOWNLOAD_URL_SECONDS),
      ),
    ),
  );
}

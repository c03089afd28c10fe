/**
 * Media: getAttachmentUrl, and what the message actions need — claiming uploads for a send, signing
 * attachment URLs for the views, deleting the bytes of a message. (requestUpload is in
 * ./upload-request.ts, so that the other handlers do not carry the content-type table; a deleted
 * chat's bytes go with its retention job, ./retention-jobs.ts.)
 *
 * An upload belongs to its requester and its chat and is used by exactly one send: `claimUploads`
 * checks the upload records, then the bytes in S3 (size, stored type and, for images, the first
 * bytes), re-tags the objects as attached and marks the records used in one conditional transaction.
 * Anything wrong is BAD_REQUEST and changes nothing (a claim that does not succeed puts the pending
 * tag back on the objects no send holds). The send then stores the message; if that fails
 * (chat deleted meanwhile, a crash) the uploads stay bound to that send: a retry with the same
 * clientMessageId may use them again, any other send may not, so a client that sent without a
 * clientMessageId requests a new upload (docs/protocol.md, "Media").
 */
import { randomBytes } from 'node:crypto';
import { mediaKey } from '../../lib/media.ts';
import type { Request } from '../contract/index.ts';
import { UPLOAD_CLAIM_SECONDS } from '../data/items.ts';
import { type MediaBucket, mediaBucket } from '../data/media-bucket.ts';
import type { MessageRecord, StoredAttachment, UploadRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict, notFound } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { loadMembership } from './access.ts';
import type { Deps } from './deps.ts';
import { seqOfMessageId } from './ids.ts';
import { SNIFF_BYTES, sniffImageType } from './image-sniff.ts';
import { type AttachmentLinks, type MessageView, messageView } from './views.ts';

/** The refusals of `claimUploads` (all BAD_REQUEST), so a caller can tell them from other ones. */
const refusals = new WeakSet<Error>();
function refuse(message: string) {
  const error = badRequest(message);
  refusals.add(error);
  return error;
}
/** Whether `error` is `claimUploads` refusing one of the uploads (a scheduled send's `reason`). */
export const isUploadRefusal = (error: unknown): boolean => error instanceof Error && refusals.has(error);

/** How a send holds the uploads it claimed: a retry with the same clientMessageId may claim them again. */
export const sendUsedBy = (clientMessageId: string): string => `cmid:${clientMessageId}`;

/** How long a download URL works; `getAttachmentUrl` renews it. */
export const DOWNLOAD_URL_SECONDS = 60 * 60;

export async function getAttachmentUrl(
  deps: Deps,
  caller: Caller,
  input: Request<'getAttachmentUrl'>,
): Promise<{ url: string; expiresAt: string }> {
  const seq = seqOfMessageId(input.messageId);
  const [, message] = await Promise.all([
    loadMembership(deps, caller, input.chatId),
    seq === undefined ? undefined : deps.store.messages.get(input.chatId, seq),
  ]);
  const attachment =
    message && message.messageId === input.messageId && !message.deleted
      ? message.attachments?.find((a) => a.attachmentId === input.attachmentId)
      : undefined;
  if (!attachment) throw notFound(`Attachment "${input.attachmentId}" was not found.`);
  const { url, expiresAt } = await bucket(deps).downloadUrl(
    mediaKey(input.chatId, attachment.attachmentId),
    DOWNLOAD_URL_SECONDS,
  );
  return { url, expiresAt };
}

/**
 * Makes the uploads a send names its attachments (see the module comment); undefined without any.
 * The one call `sendMessage` makes before it stores the message.
 */
export async function claimUploads(
  deps: Deps,
  caller: Caller,
  chatId: string,
  attachments: readonly { readonly uploadId: string }[] | undefined,
  clientMessageId: string | undefined,
): Promise<StoredAttachment[] | undefined> {
  if (!attachments || attachments.length === 0) return undefined;
  const ids = attachments.map((a) => a.uploadId);
  const twice = ids.findIndex((id, i) => ids.indexOf(id) !== i);
  if (twice >= 0) throw refuse(`"attachments[${twice}].uploadId" names an upload listed before it.`);
  // A retry of this very send (same clientMessageId) may use what the first attempt claimed.
  const usedBy = clientMessageId
    ? sendUsedBy(clientMessageId)
    : `once:${randomBytes(9).toString('base64url')}`;
  const records = await deps.store.uploads.getMany(chatId, ids);
  const uploads = ids.map((id, i) =>
    usable(deps, caller, records.get(id), usedBy, `attachments[${i}].uploadId`),
  );
  await Promise.all(uploads.map((u, i) => verifyBytes(deps, u, `attachments[${i}].uploadId`)));
  // Tagged attached before the claim, so a claimed upload is never left pending (the lifecycle rule
  // would remove it); a claim that does not succeed puts the pending tag back (`untagUnclaimed`).
  const tagged = await Promise.allSettled(
    uploads.map((u) => bucket(deps).markAttached(mediaKey(chatId, u.uploadId))),
  );
  const gone = tagged.findIndex((t) => t.status === 'fulfilled' && t.value === 'missing');
  const failed = tagged.find((t) => t.status === 'rejected');
  if (gone >= 0 || failed) {
    await untagUnclaimed(deps, caller, uploads);
    if (failed) throw failed.reason;
    throw notUploaded(`attachments[${gone}].uploadId`);
  }
  const claimed = await deps.store.uploads
    .claim(uploads, caller.userId, usedBy, deps.now())
    .catch(async (error: unknown) => {
      await untagUnclaimed(deps, caller, uploads);
      throw error;
    });
  if (claimed !== 'claimed') await untagUnclaimed(deps, caller, uploads);
  if (claimed === 'taken') {
    throw refuse('"attachments" names an upload that another message already carries; request a new upload.');
  }
  // Contention only (other transactions on these uploads, throttling): nothing was claimed.
  if (claimed === 'busy') throw conflict('"attachments" were busy being claimed; please retry.');
  return uploads.map((u) => ({
    attachmentId: u.uploadId,
    kind: u.kind,
    contentType: u.contentType,
    size: u.size,
    fileName: u.fileName,
  }));
}

/** The record of an upload this caller may attach now, or BAD_REQUEST naming the field. */
function usable(
  deps: Deps,
  caller: Caller,
  upload: UploadRecord | undefined,
  usedBy: string,
  field: string,
): UploadRecord {
  if (!upload || upload.userId !== caller.userId) {
    throw refuse(`"${field}" is not an upload you requested for this chat.`);
  }
  if (upload.status === 'used' && upload.usedBy !== usedBy) {
    throw refuse(`"${field}" was already sent in another message; request a new upload.`);
  }
  // The claim window holds for a first claim; one this send holds already (a scheduled message's,
  // claimed when it was scheduled) stays its own until it goes out.
  if (
    upload.status === 'pending' &&
    deps.now().getTime() > Date.parse(upload.createdAt) + UPLOAD_CLAIM_SECONDS * 1000
  ) {
    throw refuse(`"${field}" has expired (uploads must be sent within 12 hours); request a new upload.`);
  }
  return upload;
}

/**
 * Puts the pending tag back on uploads this send tagged attached but did not claim (the claim was
 * refused, busy or failed; a tag was refused or failed), so that the lifecycle rule removes them
 * unless a send claims them later; without this, bytes no message carries would be kept forever.
 * Each one is re-tagged under a claim of its own (a one-off holder), released at once: no send can
 * claim it meanwhile, and one that a send holds (another message's, or this send's own claim that
 * committed although the call failed) is left alone, attached. Best effort, logged; a crash between
 * the tagging and the claim still leaves the tag attached.
 */
async function untagUnclaimed(deps: Deps, caller: Caller, uploads: readonly UploadRecord[]): Promise<void> {
  const holder = `untag:${randomBytes(9).toString('base64url')}`;
  await Promise.all(
    uploads.map(async (u) => {
      try {
        if ((await deps.store.uploads.claim([u], caller.userId, holder, deps.now())) !== 'claimed') return;
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

const notUploaded = (field: string) =>
  refuse(`"${field}" has no file yet: PUT the bytes to the upload URL first.`);

/** The bytes in storage are what the upload declared: present, same size, same type, image bytes. */
async function verifyBytes(deps: Deps, upload: UploadRecord, field: string): Promise<void> {
  const probe = await bucket(deps).probe(mediaKey(upload.chatId, upload.uploadId), SNIFF_BYTES);
  if (probe.status === 'missing') throw notUploaded(field);
  if (probe.size !== upload.size) {
    throw refuse(`"${field}": the stored file is ${probe.size} bytes, not the ${upload.size} declared.`);
  }
  if (bareType(probe.contentType) !== upload.contentType) {
    throw refuse(
      `"${field}": the stored file's type is "${probe.contentType}", not the "${upload.contentType}" declared.`,
    );
  }
  if (upload.kind === 'image' && sniffImageType(probe.head) !== upload.contentType) {
    throw refuse(`"${field}": the file's content is not ${upload.contentType}.`);
  }
}

/** Presigned GET URLs for the attachments of `messages` (deleted ones have none), by attachmentId. */
export async function signAttachments(
  deps: Deps,
  messages: readonly MessageRecord[],
): Promise<AttachmentLinks> {
  const wanted = messages.flatMap((m) =>
    m.deleted
      ? []
      : (m.attachments ?? []).map((a) => ({ id: a.attachmentId, key: mediaKey(m.chatId, a.attachmentId) })),
  );
  const signed = await Promise.all(
    wanted.map(async (w) => [w.id, await bucket(deps).downloadUrl(w.key, DOWNLOAD_URL_SECONDS)] as const),
  );
  return new Map(signed);
}

/** Messages as the wire shows them, attachment URLs signed. */
export async function messageViews(deps: Deps, messages: readonly MessageRecord[]): Promise<MessageView[]> {
  const links = await signAttachments(deps, messages);
  return messages.map((m) => messageView(m, links));
}

/** Deletes the bytes of a message's attachments (before the message itself is deleted). */
export async function deleteMessageMedia(deps: Deps, message: MessageRecord): Promise<void> {
  const keys = (message.attachments ?? []).map((a) => mediaKey(message.chatId, a.attachmentId));
  if (keys.length > 0) await bucket(deps).delete(keys);
}

/** The injected bucket (tests), else the container's. */
export const bucket = (deps: Deps): MediaBucket => deps.media ?? mediaBucket();

/** `image/PNG; x=y` → `image/png`. */
export function bareType(contentType: string): string {
  return contentType.split(';')[0]?.trim().toLowerCase() ?? '';
}

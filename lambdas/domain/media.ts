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
 * (a crash, a put that may have landed) the uploads stay bound to that send: a retry with the same
 * clientMessageId may use them again, any other send may not, so a client that sent without a
 * clientMessageId requests a new upload (docs/protocol.md, "Media"). A send that certainly stored
 * nothing (refused at the allocation) gives back the uploads it took from pending, unless another
 * attempt of it (the same clientMessageId) claimed them since (`giveBackUnstored`, upload-holds.ts),
 * so that they expire or serve a retry.
 */
import { randomBytes } from 'node:crypto';
import { mediaKey } from '../../lib/media.ts';
import type { Request } from '../contract/index.ts';
import { UPLOAD_CLAIM_SECONDS } from '../data/items.ts';
import type { MessageRecord, StoredAttachment, UploadRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict, notFound } from '../shared/errors.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { loadMembership } from './access.ts';
import type { Deps } from './deps.ts';
import { seqOfMessageId } from './ids.ts';
import { SNIFF_BYTES, sniffImageType } from './image-sniff.ts';
import { beingUntagged, bucket, heldBy, oneOffHolder, untagUnclaimed } from './upload-holds.ts';
import { type AttachmentLinks, type MessageView, messageView } from './views.ts';

/** The refusals of `claimUploads` (all BAD_REQUEST), so a caller can tell them from other ones. */
const refusals = new WeakSet<Error>();
function refuse(message: string) {
  const error = badRequest(message);
  refusals.add(error);
  return error;
}
/**
 * Whether `error` is `claimUploads` refusing one of the uploads: a scheduled send's `reason`; for a
 * send with a clientMessageId whose message is stored, that message instead (send.ts).
 */
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

/** How many times a send reads, tags and claims its uploads when one was given back meanwhile. */
const CLAIM_ROUNDS = 3;
/** How many times a send reads uploads that another send is putting the pending tag back on. */
const HELD_READS = 5;
const HELD_BACKOFF: Backoff = { baseMs: 40, capMs: 400 };
/**
 * Makes the uploads a send names its attachments (see the module comment); undefined without any.
 * The one call `sendMessage` makes before it stores the message.
 *
 * The objects are tagged attached before the claim, so a claimed upload is never left pending (the
 * lifecycle rule would remove it). The claim takes each upload only as it was read: one given back
 * meanwhile (`uploads.release`, after its pending tag was put back, perhaps after this send's tag)
 * fails it, and the send reads, tags and claims again. A claim that does not succeed puts the
 * pending tag back on what it tagged (`untagUnclaimed`).
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
  const usedBy = clientMessageId ? sendUsedBy(clientMessageId) : oneOffHolder();
  // This attempt's token: it may give back only what no other attempt claimed since (upload-holds.ts).
  const token = randomBytes(9).toString('base64url');
  let tagged: readonly UploadRecord[] = [];
  try {
    for (let round = 1; ; round++) {
      const uploads = await readUsable(deps, caller, chatId, ids, usedBy);
      await Promise.all(uploads.map((u, i) => verifyBytes(deps, u, `attachments[${i}].uploadId`)));
      tagged = uploads;
      await tagAttached(deps, uploads);
      const claimed = await deps.store.uploads.claim(uploads, caller.userId, usedBy, deps.now(), { token });
      if (claimed === 'claimed') {
        // Taken from pending, every one: no other attempt of this send held them (upload-holds.ts).
        const fresh = uploads.every((u) => u.status === 'pending');
        return heldBy(uploads.map(storedAttachment), { usedBy, token, fresh });
      }
      // Contention only (other transactions on these uploads, throttling): nothing was claimed.
      if (claimed === 'busy') throw conflict('"attachments" were busy being claimed; please retry.');
      // `taken`: another send claimed one (the next read refuses it, naming it), or one was given
      // back since it was read (the next round tags it again).
      if (round >= CLAIM_ROUNDS) {
        throw refuse(
          '"attachments" names an upload that another message already carries; request a new upload.',
        );
      }
    }
  } catch (error) {
    if (tagged.length > 0) await untagUnclaimed(deps, caller, tagged);
    throw error;
  }
}

const storedAttachment = (u: UploadRecord): StoredAttachment => ({
  attachmentId: u.uploadId,
  kind: u.kind,
  contentType: u.contentType,
  size: u.size,
  fileName: u.fileName,
});

/**
 * The upload records (consistent), each one this caller may attach now (`usable`). One that a failed
 * send holds for a moment to put its pending tag back (`untagUnclaimed`) is read again after a short
 * wait; still held, the send is CONFLICT (retryable), not refused.
 */
async function readUsable(
  deps: Deps,
  caller: Caller,
  chatId: string,
  ids: readonly string[],
  usedBy: string,
): Promise<UploadRecord[]> {
  for (let read = 1; ; read++) {
    const records = await deps.store.uploads.getMany(chatId, ids);
    const held = ids.findIndex((id) => beingUntagged(deps, caller, records.get(id)));
    if (held < 0) {
      return ids.map((id, i) => usable(deps, caller, records.get(id), usedBy, `attachments[${i}].uploadId`));
    }
    if (read >= HELD_READS) {
      throw conflict(
        `"attachments[${held}].uploadId" is being given back by a send that failed; please retry.`,
      );
    }
    await backOff(HELD_BACKOFF, read);
  }
}

/** Tags the objects attached; one missing is BAD_REQUEST naming it (a failed tagging is thrown). */
async function tagAttached(deps: Deps, uploads: readonly UploadRecord[]): Promise<void> {
  const tagging = await Promise.allSettled(
    uploads.map((u) => bucket(deps).markAttached(mediaKey(u.chatId, u.uploadId))),
  );
  const failed = tagging.find((t) => t.status === 'rejected');
  if (failed) throw failed.reason;
  const gone = tagging.findIndex((t) => t.status === 'fulfilled' && t.value === 'missing');
  if (gone >= 0) throw notUploaded(`attachments[${gone}].uploadId`);
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
  if (upload.status === 'deleted') {
    throw refuse(`"${field}" was deleted with its message; request a new upload.`);
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

/**
 * Presigned GET URLs for the attachments of `messages` (deleted ones have none), by attachmentId;
 * those in `signed` already are not signed again.
 */
export async function signAttachments(
  deps: Deps,
  messages: readonly MessageRecord[],
  signed: AttachmentLinks = new Map(),
): Promise<AttachmentLinks> {
  const wanted = shownAttachments(messages).filter((w) => !signed.has(w.id));
  const links = await Promise.all(
    wanted.map(async (w) => [w.id, await bucket(deps).downloadUrl(w.key, DOWNLOAD_URL_SECONDS)] as const),
  );
  return new Map([...signed, ...links]);
}

/** The attachments `messages` show (a deleted message shows none): their ids and object keys. */
export const shownAttachments = (messages: readonly MessageRecord[]): { id: string; key: string }[] =>
  messages.flatMap((m) =>
    m.deleted
      ? []
      : (m.attachments ?? []).map((a) => ({ id: a.attachmentId, key: mediaKey(m.chatId, a.attachmentId) })),
  );

/** Messages as the wire shows them, attachment URLs signed. */
export async function messageViews(deps: Deps, messages: readonly MessageRecord[]): Promise<MessageView[]> {
  const links = await signAttachments(deps, messages);
  return messages.map((m) => messageView(m, links));
}

/**
 * Deletes the bytes of a message's attachments (before the message itself is deleted), once their
 * uploads are marked `deleted`: from then on no send can claim them (a retry of the send that
 * stored the message would otherwise tag bytes PUT again through a still valid upload URL
 * attached, kept with no message carrying them). Their records get a TTL only once the bytes are
 * gone: after a failed delete they still name the objects, to a retry and to the chat's retention.
 * In a full chat, whose records cannot take the mark or the TTL, they are deleted once the bytes are.
 */
export async function deleteMessageMedia(deps: Deps, message: MessageRecord): Promise<void> {
  const ids = (message.attachments ?? []).map((a) => a.attachmentId);
  if (ids.length === 0) return;
  const unmarked = await deps.store.uploads.markDeleted(message.chatId, ids);
  await bucket(deps).delete(ids.map((id) => mediaKey(message.chatId, id)));
  await deps.store.uploads.expireDeleted(message.chatId, ids, deps.now());
  // A full chat refused their mark: their objects gone, the records go too.
  if (unmarked.length > 0) await deps.store.uploads.forgetDeleted(message.chatId, unmarked);
}

export { bucket };

/** `image/PNG; x=y` → `image/png`. */
export function bareType(contentType: string): string {
  return contentType.split(';')[0]?.trim().toLowerCase() ?? '';
}

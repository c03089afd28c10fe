/**
 * `requestUpload`: a presigned PUT URL for one attachment of a chat, and its pending upload record.
 * Its declared `size` is charged to the caller's daily upload budget first (`UPLOAD_MB_PER_DAY`, one
 * conditional UpdateItem: byte-budgets.ts): the rate limit counts requests whatever their size, and
 * 30 requests of 200 MB a minute would be 8.6 TB a day. A request past the budget is RATE_LIMITED
 * with `retryAfterMs` (when the 24-hour window that the first charged request opened ends), and
 * stores nothing. The budget counts bytes requested, sent or not (it never gives any back): a client
 * asks for an upload when it is about to PUT it.
 */
import { mediaKey } from '../../lib/media.ts';
import type { Request } from '../contract/index.ts';
import { kindOfContentType } from '../contract/media-types.ts';
import type { Upload } from '../contract/objects.ts';
import { UPLOAD_BYTES } from '../data/byte-budgets.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, ChatError } from '../shared/errors.ts';
import { uploadBytesPerDay } from '../shared/user-caps.ts';
import { loadMembership } from './access.ts';
import type { Deps } from './deps.ts';
import { newUploadId } from './ids.ts';
import { bareType, bucket } from './media.ts';

/** How long an upload URL works (docs/protocol.md: 15 minutes). */
export const UPLOAD_URL_SECONDS = 15 * 60;

export async function requestUpload(
  deps: Deps,
  caller: Caller,
  input: Request<'requestUpload'>,
): Promise<{ upload: Upload }> {
  await loadMembership(deps, caller, input.chatId);
  const contentType = bareType(input.contentType);
  const kind = kindOfContentType(contentType);
  if (!kind) throw badRequest('"contentType" is not an allowed type.'); // the contract checked it
  await chargeUploadBytes(deps, caller, input.size);
  const uploadId = newUploadId();
  const signed = await bucket(deps).uploadUrl(
    mediaKey(input.chatId, uploadId),
    { contentType, size: input.size },
    UPLOAD_URL_SECONDS,
  );
  await deps.store.uploads.create({
    chatId: input.chatId,
    uploadId,
    userId: caller.userId,
    kind,
    contentType,
    size: input.size,
    fileName: input.fileName ?? null,
    createdAt: deps.now().toISOString(),
    status: 'pending',
    usedBy: null,
  });
  return {
    upload: {
      uploadId,
      url: signed.url,
      method: 'PUT',
      headers: signed.headers,
      maxBytes: input.size,
      expiresAt: signed.expiresAt,
    },
  };
}

/** The window of the upload budget. */
const DAY_MS = 24 * 60 * 60 * 1000;
const MIB = 1024 * 1024;

/** Charges `size` bytes to the caller's upload budget of the last 24 hours, or RATE_LIMITED. */
async function chargeUploadBytes(deps: Deps, caller: Caller, size: number): Promise<void> {
  const max = uploadBytesPerDay();
  const charged = await deps.store.budgets.charge(caller.userId, UPLOAD_BYTES, size, {
    max,
    windowMs: DAY_MS,
    nowMs: deps.now().getTime(),
  });
  if (charged.kind === 'charged') return;
  throw new ChatError(
    'RATE_LIMITED',
    `"size": ${size} more bytes would pass your upload budget of ${max / MIB} MB a day ` +
      `(${Math.ceil(charged.used / MIB)} MB requested in the current 24 hours); retry after retryAfterMs.`,
    { retryAfterMs: charged.retryAfterMs },
  );
}

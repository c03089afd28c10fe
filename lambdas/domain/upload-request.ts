/**
 * `requestUpload`: a presigned PUT URL for one attachment of a chat, and its pending upload record.
 * Its declared `size` is charged to the caller's daily upload budget first (`UPLOAD_MB_PER_DAY`, one
 * conditional UpdateItem: byte-budgets.ts): the rate limit counts requests whatever their size, and
 * 30 requests of 200 MB a minute would be 8.6 TB a day. A request past the budget is BAD_REQUEST
 * naming `size`, the bytes left and when the budget renews, and stores nothing. Not RATE_LIMITED:
 * that shuts the client's gate for the whole action until `retryAfterMs`, so a smaller upload that
 * still fits would wait for hours. The budget counts bytes requested, sent or not: a client asks for
 * an upload when it is about to PUT it.
 *
 * The charge comes before the upload record is written, and is given back (best effort, logged) if
 * the record was not: a failed write or signing (a throttle, an outage) leaves no bytes charged for
 * nothing, and a client's retry is not charged twice. Charging first, as a reservation, keeps the
 * budget exact under concurrency: a charge after the write would let concurrent requests write
 * records (and the refused ones would need a delete given back instead, which may fail too). A
 * refund that fails errs on the safe side: the user has less budget left, never more.
 */
import { mediaKey } from '../../lib/media.ts';
import type { Request } from '../contract/index.ts';
import { kindOfContentType } from '../contract/media-types.ts';
import type { Upload } from '../contract/objects.ts';
import { UPLOAD_BYTES } from '../data/byte-budgets.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, ChatError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
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
  const windowStart = await chargeUploadBytes(deps, caller, input.size);
  const uploadId = newUploadId();
  const signAndStore = async () => {
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
    return signed;
  };
  const signed = await signAndStore().catch(async (error: unknown) => {
    // No URL reaches the client, so nothing can be PUT for this charge: give it back.
    await refundUploadBytes(deps, caller, input.size, windowStart);
    throw error;
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

/** Bytes as MB for a sentence: whole MB from 10 MB, else one decimal ("0.5 MB"), rounded by `round`. */
const mb = (bytes: number, round: (n: number) => number = Math.floor) => {
  const n = bytes / MIB;
  return `${n >= 10 ? round(n) : round(n * 10) / 10} MB`;
};

/**
 * Charges `size` bytes to the caller's upload budget of the last 24 hours: the start of the window
 * charged, or BAD_REQUEST naming `size` (module comment); RATE_LIMITED for a moment under contention.
 */
async function chargeUploadBytes(deps: Deps, caller: Caller, size: number): Promise<number> {
  const max = uploadBytesPerDay();
  const nowMs = deps.now().getTime();
  const charged = await deps.store.budgets.charge(caller.userId, UPLOAD_BYTES, size, {
    max,
    windowMs: DAY_MS,
    nowMs,
  });
  if (charged.kind === 'charged') return charged.windowStart;
  if (charged.kind === 'busy') {
    throw new ChatError('RATE_LIMITED', 'Your upload budget is busy; retry after retryAfterMs.', {
      retryAfterMs: 1_000,
    });
  }
  const renewsAt = new Date(nowMs + charged.retryAfterMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const budget = `${mb(max)} a day`;
  throw badRequest(
    size > max
      ? `"size": ${mb(size, Math.ceil)} is more than your whole upload budget (${budget}).`
      : `"size": ${mb(size, Math.ceil)} is more than the ${mb(Math.max(0, max - charged.used))} left of today's ` +
          `upload budget (${budget}, renews at ${renewsAt}).`,
  );
}

/** Gives a charge back (the upload was not stored): best effort, logged. */
async function refundUploadBytes(
  deps: Deps,
  caller: Caller,
  size: number,
  windowStart: number,
): Promise<void> {
  try {
    const given = await deps.store.budgets.refund(caller.userId, UPLOAD_BYTES, size, windowStart);
    if (!given) logger.info('an upload charge was not given back: its window has turned', { size });
  } catch (error) {
    logger.warn('an upload charge could not be given back; it stays charged', {
      size,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

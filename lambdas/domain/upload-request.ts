/** `requestUpload`: a presigned PUT URL for one attachment of a chat, and its pending upload record. */
import { mediaKey } from '../../lib/media.ts';
import type { Request } from '../contract/index.ts';
import { kindOfContentType } from '../contract/media-types.ts';
import type { Upload } from '../contract/objects.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest } from '../shared/errors.ts';
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

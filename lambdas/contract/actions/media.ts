/** Media: uploads through presigned URLs, and renewed download URLs. */
import * as v from 'valibot';
import { defineAction } from '../action.ts';
import { custom } from '../custom.ts';
import { cleanName, FIELD, id, int, optional, typeMessage } from '../fields.ts';
import { LIMITS } from '../limits.ts';
import { ALL_CONTENT_TYPES, kindOfContentType, MEDIA_KINDS } from '../media-types.ts';
import { Upload } from '../objects.ts';

const MAX_UPLOAD = Math.max(...Object.values(MEDIA_KINDS).map((k) => k.maxBytes));

export const requestUpload = defineAction('requestUpload', {
  summary:
    'A presigned PUT URL for one attachment of this chat (15 minutes); then sendMessage with its uploadId.',
  request: v.pipe(
    v.object({
      chatId: id,
      contentType: v.pipe(
        v.string(typeMessage('a string')),
        v.maxLength(255, `${FIELD} must be at most 255 characters.`),
        custom<string>(
          'content_type',
          ALL_CONTENT_TYPES,
          (t) => kindOfContentType(t) !== undefined,
          `${FIELD} is not an allowed type. Allowed: ${ALL_CONTENT_TYPES.join(', ')}.`,
        ),
      ),
      size: int(1, MAX_UPLOAD),
      fileName: optional(cleanName(LIMITS.fileNameMaxChars)),
    }),
    v.forward(
      v.check((r) => {
        const kind = kindOfContentType(r.contentType);
        return kind !== undefined && r.size <= MEDIA_KINDS[kind].maxBytes;
      }, `${FIELD} is over the limit for this type (image 20 MB, audio 50 MB, video 200 MB, file 100 MB).`),
      ['size'],
    ),
  ),
  ack: { upload: Upload },
});

export const getAttachmentUrl = defineAction('getAttachmentUrl', {
  summary: 'A fresh download URL for an attachment (members only).',
  request: v.object({ chatId: id, messageId: id, attachmentId: id }),
  ack: { url: v.string(), expiresAt: v.string() },
});

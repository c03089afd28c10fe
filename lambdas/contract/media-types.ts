/**
 * What may be uploaded: the content types of each attachment kind and the kind's size limit
 * (docs/protocol.md, "Media"). A type not listed here is refused at `requestUpload`.
 */
import type { AttachmentKind } from './objects.ts';

const MB = 1024 * 1024;

export const MEDIA_KINDS: Record<
  AttachmentKind,
  { readonly maxBytes: number; readonly types: readonly string[] }
> = {
  image: {
    maxBytes: 20 * MB,
    types: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic'],
  },
  audio: {
    maxBytes: 50 * MB,
    types: ['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/webm', 'audio/wav'],
  },
  video: { maxBytes: 200 * MB, types: ['video/mp4', 'video/quicktime', 'video/webm'] },
  file: {
    maxBytes: 100 * MB,
    types: [
      'application/pdf',
      'text/plain',
      'text/csv',
      'application/rtf',
      'application/msword',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
      'application/vnd.oasis.opendocument.text',
      'application/vnd.oasis.opendocument.spreadsheet',
      'application/vnd.oasis.opendocument.presentation',
      'application/zip',
    ],
  },
};

/** The attachment kind of a content type (parameters such as `; charset=` ignored), or undefined. */
export function kindOfContentType(contentType: string): AttachmentKind | undefined {
  const bare = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  for (const [kind, spec] of Object.entries(MEDIA_KINDS) as [
    AttachmentKind,
    (typeof MEDIA_KINDS)['image'],
  ][]) {
    if (spec.types.includes(bare)) return kind;
  }
  return undefined;
}

export const ALL_CONTENT_TYPES: readonly string[] = Object.values(MEDIA_KINDS).flatMap((k) => k.types);

/**
 * The media bucket's layout, defined once for the CDK stack (lib/chat-media.ts), the functions
 * (lambdas/data/media-bucket.ts) and the local stand-in (local/s3.ts), so the key prefix the grants
 * name, the tag the lifecycle rule reads and the tag the functions write cannot drift.
 *
 * Layout: every object lives at `chats/<chatId>/<uploadId>`. An upload is PUT with the tag
 * `chat-media=pending`; the lifecycle rule expires objects that still carry it a day later. Sending a
 * message with the upload re-tags it `chat-media=attached` (no copy: one small request), so attached
 * bytes are never expired by the rule. Deleting a message deletes its objects; deleting a chat deletes
 * every object of the chat in its retention job (the keys come from the chat's upload records, not
 * from listing the bucket; lambdas/domain/retention-jobs.ts).
 */
export const MEDIA = {
  /** Every object's key starts with this; grants name `<bucket>/chats/*`. */
  prefix: 'chats/',
  /** The tag key of every uploaded object. */
  stateTag: 'chat-media',
  /** Set by the upload itself (a signed header of the presigned PUT). */
  pending: 'pending',
  /** Set when a message carries the upload. */
  attached: 'attached',
  /** Objects still `pending` expire after this many days (S3 rounds up to the next midnight UTC). */
  pendingExpiryDays: 1,
  /** Multipart uploads left incomplete are aborted after this many days. */
  abortIncompleteMultipartDays: 1,
} as const;

/**
 * The S3 object key of an upload. Both ids are the server's own (base64url: `newChatId`, `newUploadId`
 * in lambdas/domain/ids.ts), never a client's: the contract lets an id hold `/`, `..` or `?`, so every
 * chatId or uploadId a frame names is matched to a stored membership, upload or attachment first.
 */
export const mediaKey = (chatId: string, uploadId: string): string => `${MEDIA.prefix}${chatId}/${uploadId}`;

/** The environment variable naming the media bucket. */
export const MEDIA_BUCKET_ENV = 'MEDIA_BUCKET';
/** The bucket's regional domain name (`<bucket>.s3.<region>.amazonaws.com`), set by the stack. */
export const MEDIA_BUCKET_DOMAIN_ENV = 'MEDIA_BUCKET_DOMAIN';
/** An S3 endpoint override (the local stand-in, path-style URLs); unset on AWS. */
export const S3_ENDPOINT_ENV = 'S3_ENDPOINT';

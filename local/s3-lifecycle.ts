/**
 * The media bucket's lifecycle rule `ExpireUnattachedUploads` (lib/chat-media.ts) on the local S3
 * stand-in (local/s3.ts), which s3rver 3.7 knows nothing of; nor does it keep the tag a PUT sends in
 * `x-amz-tagging`, which the rule reads. Two parts:
 * - `tagsOnPut`: a PUT that carries `x-amz-tagging` (the upload URLs sign `chat-media=pending`,
 *   lambdas/data/media-bucket.ts) stores those tags with its object, as S3 does;
 * - `expirePendingUploads`: removes every object under `MEDIA.prefix` still tagged pending once S3
 *   would: `MEDIA.pendingExpiryDays` after it was stored, rounded up to the next midnight UTC. The
 *   stand-in runs it when it starts (data kept with `--persist`) and every hour.
 */
import {
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { MEDIA } from '../lib/media.ts';
import type { Middleware, PutContext } from './s3-create-only.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** When S3's lifecycle removes an object stored at `stored`: days later, at the next midnight UTC. */
export function lifecycleExpiry(stored: Date, days: number = MEDIA.pendingExpiryDays): Date {
  return new Date(Math.ceil((stored.getTime() + days * DAY_MS) / DAY_MS) * DAY_MS);
}

/** The part of s3rver's store this module writes: an object's subresource (its `tagging.xml`). */
export interface SubresourceStore {
  putSubresource(bucket: string, key: string, resource: unknown): Promise<void>;
}

/** s3rver's model of an object's tag set (CommonJS, loaded with s3rver). */
export type TaggingModel = { validate(xml: string): unknown };

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The tag set of an `x-amz-tagging` header (URL-encoded `key=value&…`) as S3's XML. */
export function taggingXml(header: string): string {
  const tags = [...new URLSearchParams(header)]
    .map(([key, value]) => `<Tag><Key>${escapeXml(key)}</Key><Value>${escapeXml(value)}</Value></Tag>`)
    .join('');
  return `<Tagging><TagSet>${tags}</TagSet></Tagging>`;
}

/** The middleware for `bucket` (path-style): keeps the tags of an object PUT that succeeded. */
export function tagsOnPut(bucket: string, store: () => SubresourceStore, model: TaggingModel): Middleware {
  const prefix = `/${bucket}/`;
  return async (ctx: PutContext, next) => {
    const header = ctx.get('x-amz-tagging');
    // An object PUT (not ?tagging and the like); the SDK's own requests add `x-id=PutObject`.
    const subresource = Object.keys(ctx.query).some((q) => !/^x-(amz-|id$)/i.test(q));
    const result = await next();
    if (ctx.method !== 'PUT' || subresource || !header || !ctx.path.startsWith(prefix)) return result;
    if (ctx.status !== 200) return result;
    const key = decodeURIComponent(ctx.path.slice(prefix.length));
    await store().putSubresource(bucket, key, model.validate(taggingXml(header)));
    return result;
  };
}

/**
 * Removes the uploads S3's rule would have removed by `now`: objects under `MEDIA.prefix` whose tag
 * is still pending, stored long enough ago. `client` signs as the bucket's owner (it lists). Returns
 * the keys removed.
 */
export async function expirePendingUploads(
  client: S3Client,
  bucket: string,
  now = new Date(),
): Promise<string[]> {
  const removed: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: MEDIA.prefix, ContinuationToken: token }),
    );
    for (const { Key, LastModified } of page.Contents ?? []) {
      if (!Key || !LastModified || lifecycleExpiry(LastModified) > now) continue;
      const { TagSet = [] } = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key }));
      if (!TagSet.some((t) => t.Key === MEDIA.stateTag && t.Value === MEDIA.pending)) continue;
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
      removed.push(Key);
    }
    token = page.NextContinuationToken;
  } while (token);
  return removed;
}

/**
 * What S3 answers a caller that has no `s3:ListBucket` on the bucket, for the local stand-in
 * (local/s3.ts). The functions have none (their grants name the objects under the media prefix,
 * lib/chat-media.ts), and a URL they presign acts with their permissions, so on AWS:
 *
 * - a request on a key that holds no object (GetObject, HeadObject, Get/PutObjectTagging, a
 *   presigned GET) answers 403 AccessDenied, not 404 NoSuchKey: S3 does not tell a caller that
 *   may not list the bucket whether a key exists;
 * - a request on the bucket itself (ListObjects, HeadBucket, ...) answers 403 AccessDenied.
 *
 * s3rver 3.7 knows no permissions, so every request answers as the bucket owner's would. Here only
 * requests signed with the owner's key id (`LOCAL_S3_OWNER` in local/s3.ts: the tests' look into
 * the store, an operator's `aws s3 ls`) keep the owner's answers; every other request (the
 * functions' key, the URLs they sign, unsigned ones) gets the two answers above. S3 authenticates
 * before it authorizes: an expired or badly signed request keeps s3rver's own error. DeleteObject(s)
 * of a missing key succeeds either way, as on AWS.
 */
import type { Middleware } from './s3-create-only.ts';
import { refuse } from './s3-create-only.ts';

/** The key id a request is signed with (SigV4, query or header), or undefined when unsigned. */
export function signerOf(ctx: Parameters<Middleware>[0]): string | undefined {
  const credential = ctx.query['X-Amz-Credential'];
  if (typeof credential === 'string') return credential.split('/')[0];
  return /Credential=([^/,\s]+)\//.exec(ctx.get('authorization'))?.[1];
}

/** The middleware for `bucket` (path-style requests); `owner` is the key id that may list it. */
export function withoutListBucket(bucket: string, owner: string): Middleware {
  const prefix = `/${bucket}/`;
  return async (ctx, next) => {
    const onBucket = ctx.path === `/${bucket}` || ctx.path === prefix;
    const onObject = !onBucket && ctx.path.startsWith(prefix);
    if ((!onBucket && !onObject) || signerOf(ctx) === owner) return next();
    if (onBucket) {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
      // Answered (authenticated) first, then refused.
      await next();
      if (ctx.status < 300) refuse(ctx, 403, 'AccessDenied', 'Access Denied');
      return;
    }
    try {
      return await next();
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'NoSuchKey') throw error;
      return refuse(ctx, 403, 'AccessDenied', 'Access Denied');
    }
  };
}

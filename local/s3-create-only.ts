/**
 * S3's conditional create (`If-None-Match: *` on a PUT), which s3rver 3.7 ignores, for the local
 * stand-in (local/s3.ts): a PUT that carries it is refused with 412 when the key holds an object, and
 * with 409 while another such PUT of the key is still being written; a presigned URL that signed
 * `if-none-match` must be used with `If-None-Match: *` (AWS answers any other request 403, the
 * signature not matching). The upload URLs sign it (lambdas/data/media-bucket.ts): a URL creates its
 * object once and can never replace the bytes a send has checked.
 */
import { randomBytes } from 'node:crypto';

/** The part of Koa's context this middleware uses. */
export interface PutContext {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  get(field: string): string;
  set(field: string, value: string): void;
  status: number;
  type: string;
  body: unknown;
}

export interface ObjectStore {
  existsObject(bucket: string, key: string): Promise<boolean>;
}

export type Middleware = (ctx: PutContext, next: () => Promise<unknown>) => Promise<unknown>;

/** The middleware for `bucket` (path-style requests), looking objects up in `store`. */
export function createOnlyPuts(bucket: string, store: () => ObjectStore): Middleware {
  /** Keys a conditional PUT is writing right now. */
  const writing = new Set<string>();
  const prefix = `/${bucket}/`;
  return async (ctx, next) => {
    const signed = String(ctx.query['X-Amz-SignedHeaders'] ?? '').split(';');
    const condition = ctx.get('if-none-match');
    // An object PUT only (not ?tagging and the like: the functions' own requests).
    const subresource = Object.keys(ctx.query).some((q) => !/^x-amz-/i.test(q));
    if (ctx.method !== 'PUT' || subresource || !ctx.path.startsWith(prefix)) return next();
    if (signed.includes('if-none-match') && condition !== '*') {
      return refuse(ctx, 403, 'SignatureDoesNotMatch', 'The URL signs If-None-Match: send it, with "*".');
    }
    if (condition !== '*') return next();
    const key = decodeURIComponent(ctx.path.slice(prefix.length));
    if (writing.has(key)) {
      return refuse(
        ctx,
        409,
        'ConditionalRequestConflict',
        'A conditional write of this key is in progress.',
      );
    }
    if (await store().existsObject(bucket, key)) {
      return refuse(
        ctx,
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
      );
    }
    writing.add(key);
    try {
      return await next();
    } finally {
      writing.delete(key);
    }
  };
}

/**
 * An S3 error answer as S3 sends one: the request's ids in `x-amz-request-id` and `x-amz-id-2` and
 * in the XML body (none for a HEAD), and the CORS header the bucket's any-origin rule would add.
 */
export function refuse(ctx: PutContext, status: number, code: string, message: string): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const hostId = randomBytes(48).toString('base64');
  if (ctx.get('origin')) ctx.set('Access-Control-Allow-Origin', '*');
  ctx.set('x-amz-request-id', requestId);
  ctx.set('x-amz-id-2', hostId);
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`;
}

/** Small pieces of S3's REST wire format the media bucket speaks over plain fetch (media-bucket.ts). */
import { createHash } from 'node:crypto';

export const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
export const xml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const md5 = (body: string) => createHash('md5').update(body).digest('base64');

/** Reads at most `limit` bytes of a body, then lets go of the rest. */
export async function readAtMost(res: Response, limit: number): Promise<Uint8Array> {
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
  }
  await reader.cancel();
  return new Uint8Array(Buffer.concat(chunks).subarray(0, limit));
}

/** The error code of an S3 answer (its XML body's `<Code>`, 'unknown' without one); reads the body. */
async function errorCode(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? 'unknown';
}

export async function s3Error(operation: string, res: Response): Promise<Error> {
  return new Error(`S3 ${operation} answered ${res.status} (${await errorCode(res)})`);
}

/**
 * Resolves when an error answer says the key holds no object, else rejects with `s3Error`: 404
 * NoSuchKey, or 403 AccessDenied, which is what S3 answers instead to a caller without
 * `s3:ListBucket` on the bucket (the functions have none: their grants name the objects only). Any
 * other 403 (a bad signature, an unknown key id, a skewed clock) or 404 (NoSuchBucket) is an error,
 * not a missing file. Reads the body.
 */
export async function expectNoSuchKey(operation: string, res: Response): Promise<void> {
  const code = await errorCode(res);
  const missing =
    (res.status === 404 && code === 'NoSuchKey') || (res.status === 403 && code === 'AccessDenied');
  if (!missing) throw new Error(`S3 ${operation} answered ${res.status} (${code})`);
}

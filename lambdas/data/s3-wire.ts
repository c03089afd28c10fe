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

export async function s3Error(operation: string, res: Response): Promise<Error> {
  const text = await res.text().catch(() => '');
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? 'unknown';
  return new Error(`S3 ${operation} answered ${res.status} (${code})`);
}

/**
 * The media bucket's access patterns against the local S3 stand-in (a real server in this process),
 * and the presigned URLs checked against an independent implementation of AWS Signature Version 4
 * (query authentication, as the S3 documentation describes it): the stand-in accepts any signature,
 * so this is where a wrong signature would show.
 */
import { createHash, createHmac } from 'node:crypto';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaBucket, type Probe } from '../../../lambdas/data/media-bucket.ts';
import { useLocalAwsEnvironment } from '../../../local/dynamodb.ts';
import { type LocalS3, startLocalS3 } from '../../../local/s3.ts';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const REGION = 'eu-west-1';
const NOW = new Date('2026-05-04T10:20:30.000Z');

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data) =>
  typeof d === 'string'
    ? d
    : ArrayBuffer.isView(d)
      ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
      : new Uint8Array(d);

class Sha256 {
  readonly #h;
  constructor(secret?: Data) {
    this.#h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Data) {
    this.#h.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.#h.digest());
  }
}

const presigner = new S3RequestPresigner({ credentials: CREDENTIALS, region: REGION, sha256: Sha256 });

/** SigV4 query authentication, written from the S3 documentation; returns the expected signature. */
function expectedSignature(url: URL, method: string, headers: Record<string, string>): string {
  const query = [...url.searchParams.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [encode(k), encode(v)])
    .sort(([a = ''], [b = '']) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signed = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');
  const all: Record<string, string> = { host: url.host, ...headers };
  const canonicalHeaders = signed.map((h) => `${h}:${(all[h] ?? '').trim()}\n`).join('');
  const canonicalRequest = [
    method,
    url.pathname,
    query,
    canonicalHeaders,
    signed.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const date = url.searchParams.get('X-Amz-Date') ?? '';
  const scope = `${date.slice(0, 8)}/${REGION}/s3/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    date,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key: Buffer = Buffer.from(`AWS4${CREDENTIALS.secretAccessKey}`);
  for (const part of [date.slice(0, 8), REGION, 's3', 'aws4_request'])
    key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

describe('presigned URLs on AWS (virtual-hosted, regional)', () => {
  const bucket = new MediaBucket({
    baseUrl: 'https://media-bucket.s3.eu-west-1.amazonaws.com',
    presigner: () => presigner,
    now: () => NOW,
  });

  it('a PUT signs host, content-type, content-length, the pending tag and If-None-Match: *, sent as headers', async () => {
    const upload = await bucket.uploadUrl('chats/c_1/up_2', { contentType: 'image/png', size: 4096 }, 900);
    const url = new URL(upload.url);
    expect(url.origin + url.pathname).toBe('https://media-bucket.s3.eu-west-1.amazonaws.com/chats/c_1/up_2');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `AKIDEXAMPLE/20260504/${REGION}/s3/aws4_request`,
      'X-Amz-Date': '20260504T102030Z',
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'content-length;content-type;host;if-none-match;x-amz-tagging',
      'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
    });
    expect(url.searchParams.has('x-amz-tagging')).toBe(false);
    expect(upload.headers).toEqual({
      'content-type': 'image/png',
      'content-length': '4096',
      'x-amz-tagging': 'chat-media=pending',
      'if-none-match': '*',
    });
    expect(upload.expiresAt).toBe('2026-05-04T10:35:30.000Z');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'PUT', upload.headers));
    // A tampered header would not match.
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(
      expectedSignature(url, 'PUT', { ...upload.headers, 'content-length': '4097' }),
    );
    // Nor would a PUT without the condition (one that could replace the stored bytes).
    const { 'if-none-match': _, ...unconditional } = upload.headers;
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(expectedSignature(url, 'PUT', unconditional));
  });

  it('a GET signs the host only', async () => {
    const download = await bucket.downloadUrl('chats/c_1/up_2', 3600);
    const url = new URL(download.url);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'GET', {}));
    expect(download.expiresAt).toBe('2026-05-04T11:20:30.000Z');
  });

  it('carries the session token of temporary credentials', async () => {
    const withToken = new MediaBucket({
      baseUrl: 'https://media-bucket.s3.eu-west-1.amazonaws.com',
      presigner: () =>
        new S3RequestPresigner({
          credentials: { ...CREDENTIALS, sessionToken: 'TOKEN/+=' },
          region: REGION,
          sha256: Sha256,
        }),
      now: () => NOW,
    });
    const url = new URL((await withToken.downloadUrl('chats/c_1/up_2', 60)).url);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('TOKEN/+=');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'GET', {}));
  });
});

describe('against the local S3 stand-in', () => {
  let s3: LocalS3;
  let bucket: MediaBucket;
  let local: S3RequestPresigner;
  const requests: string[] = [];
  /** Keys per distinct DeleteObjects body (a retried request sends the same body again). */
  const deletes = new Map<string, number>();
  beforeAll(async () => {
    useLocalAwsEnvironment();
    s3 = await startLocalS3();
    local = new S3RequestPresigner({
      credentials: { accessKeyId: String(process.env.AWS_ACCESS_KEY_ID), secretAccessKey: 'x' },
      region: REGION,
      sha256: Sha256,
    });
    bucket = new MediaBucket({
      baseUrl: `${s3.endpoint}/${s3.bucket}`,
      presigner: () => local,
      fetch: (input, init) => {
        requests.push(`${init?.method} ${new URL(String(input)).search.split('&')[0]}`);
        if (typeof init?.body === 'string' && init.body.startsWith('<Delete')) {
          deletes.set(init.body, init.body.match(/<Object>/g)?.length ?? 0);
        }
        return fetch(input, init);
      },
    });
  });
  afterAll(async () => {
    await s3?.stop();
  });

  const put = async (key: string, bytes: Uint8Array, type: string) => {
    const upload = await bucket.uploadUrl(key, { contentType: type, size: bytes.length }, 60);
    const res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
    expect(res.status).toBe(200);
  };

  it('probes size, stored type and the first bytes with one ranged GET', async () => {
    const bytes = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(5000, 7)]);
    await put('chats/c/a', bytes, 'image/gif');
    requests.length = 0;
    const probe = await bucket.probe('chats/c/a', 32);
    expect(probe).toEqual({
      status: 'present',
      size: 5006,
      contentType: 'image/gif',
      head: new Uint8Array(bytes.subarray(0, 32)),
    } satisfies Probe);
    expect(requests).toEqual(['GET ?X-Amz-Content-Sha256=UNSIGNED-PAYLOAD']);
  });

  it('reads a file shorter than the probe whole', async () => {
    await put('chats/c/short', Buffer.from('abc'), 'text/plain');
    expect(await bucket.probe('chats/c/short', 32)).toMatchObject({
      size: 3,
      head: new Uint8Array(Buffer.from('abc')),
    });
  });

  it('says missing for a key that does not exist, to probe and to re-tagging', async () => {
    expect(await bucket.probe('chats/c/none', 32)).toEqual({ status: 'missing' });
    expect(await bucket.markAttached('chats/c/none')).toBe('missing');
  });

  it('re-tags an object as attached', async () => {
    await put('chats/c/t', Buffer.from('x'), 'text/plain');
    expect(await bucket.markAttached('chats/c/t')).toBe('tagged');
  });

  it('deletes objects, absent ones included, more than one request’s worth', async () => {
    await put('chats/d/1', Buffer.from('1'), 'text/plain');
    await put('chats/d/2', Buffer.from('2'), 'text/plain');
    deletes.clear();
    const keys = ['chats/d/1', 'chats/d/2', ...Array.from({ length: 1000 }, (_, i) => `chats/d/gone-${i}`)];
    await bucket.delete(keys);
    expect([...deletes.values()]).toEqual([1000, 2]);
    expect(await bucket.probe('chats/d/1', 1)).toEqual({ status: 'missing' });
    expect(await bucket.probe('chats/d/2', 1)).toEqual({ status: 'missing' });
  });

  it('retries a 503 and a network error, then succeeds; gives up after three attempts', async () => {
    await put('chats/r/1', Buffer.from('retry'), 'text/plain');
    let calls = 0;
    const flaky = (fail: number) =>
      new MediaBucket({
        baseUrl: `${s3.endpoint}/${s3.bucket}`,
        presigner: () => local,
        fetch: async (input, init) => {
          calls++;
          if (calls === 1 && fail > 0)
            return new Response('<Error><Code>SlowDown</Code></Error>', { status: 503 });
          if (calls <= fail) throw new TypeError('fetch failed');
          return fetch(input, init);
        },
      });
    expect(await flaky(2).probe('chats/r/1', 8)).toMatchObject({ status: 'present', size: 5 });
    expect(calls).toBe(3);
    calls = 0;
    await expect(flaky(3).probe('chats/r/1', 8)).rejects.toThrow('fetch failed');
    expect(calls).toBe(3);
  });

  it('reports any other answer as an error naming the operation, not the body', async () => {
    const broken = new MediaBucket({
      baseUrl: `${s3.endpoint}/${s3.bucket}`,
      presigner: () => presigner,
      fetch: async () =>
        new Response('<Error><Code>InvalidArgument</Code><Message>secret</Message></Error>', { status: 400 }),
    });
    await expect(broken.probe('chats/x/1', 8)).rejects.toThrow('S3 GetObject answered 400 (InvalidArgument)');
    await expect(broken.markAttached('chats/x/1')).rejects.toThrow('S3 PutObjectTagging answered 400');
    await expect(broken.delete(['chats/x/1'])).rejects.toThrow('S3 DeleteObjects answered 400');
  });
});

import type { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { MEDIA } from '../../lib/media.ts';
import { CALL_LOG_DIR_ENV, recordCall } from '../shared/call-recorder.ts';
import { getS3Presigner } from '../shared/clients.ts';
import { config } from '../shared/config.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { expectNoSuchKey, md5, readAtMost, rfc3986, s3Error, xml } from './s3-wire.ts';

export interface SignedUrl {
  readonly url: string;
  readonly expiresAt: string;
}

/** A presigned PUT and the headers the upload must carry exactly (they are signed). */
export interface SignedUpload extends SignedUrl {
  readonly headers: Readonly<Record<string, string>>;
}

export type Probe =
  | { readonly status: 'missing' }
  | {
      readonly status: 'present';
      readonly size: number;
      readonly contentType: string;
      /** The object's first bytes (fewer when it is shorter). */
      readonly head: Uint8Array;
    };

export interface MediaBucketOptions {
  /** `https://<bucket>.s3.<region>.amazonaws.com`, or path-style `http://127.0.0.1:<port>/<bucket>`. */
  readonly baseUrl: string;
  readonly presigner: () => S3RequestPresigner;
  /** Injectable for metering (the bench counts S3 requests). */
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
}

/** Lifetime of the URLs the functions presign for their own requests. */
const OWN_REQUEST_SECONDS = 60;
const ATTEMPTS = 3;
const RETRY_BACKOFF: Backoff = { baseMs: 50, capMs: 400 };
const REQUEST_TIMEOUT_MS = 8000;
/** DeleteObjects takes at most this many keys. */
const MAX_DELETE = 1000;
const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** How recorded calls name the media bucket (the IAM check maps the template's bucket to it). */
export const MEDIA_BUCKET_RESOURCE = 'media-bucket';

/** Records the S3 actions a request needs, on each key (the test run only). */
function record(operation: string, actions: readonly string[], keys: readonly string[]): void {
  const dir = process.env[CALL_LOG_DIR_ENV];
  if (!dir) return;
  recordCall(
    dir,
    keys.flatMap((key) =>
      actions.map((action) => ({ action, operation, resource: `${MEDIA_BUCKET_RESOURCE}/${key}` })),
    ),
  );
}

interface Request {
  readonly method: 'GET' | 'PUT' | 'POST';
  /** The object key; '' for a bucket-level request. */
  readonly key: string;
  readonly query?: Record<string, string>;
  /** Signed headers (the request must carry them). */
  readonly headers?: Record<string, string>;
}

export class MediaBucket {
  readonly #base: URL;
  readonly #presigner: () => S3RequestPresigner;
  readonly #fetch: typeof fetch;
  readonly #now: () => Date;

  constructor(options: MediaBucketOptions) {
    this.#base = new URL(options.baseUrl);
    this.#presigner = options.presigner;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * A presigned PUT bound to the key, the content type, the exact length and the pending tag, that
   * creates the object only: `if-none-match: *` is signed too, so S3 refuses (412) a PUT to a key
   * that holds an object already. The URL stays valid after the bytes were stored and checked; without
   * this, a second PUT through it could replace them (and reset their tag to pending) after the send
   * that carries them checked the first ones.
   */
  async uploadUrl(
    key: string,
    object: { readonly contentType: string; readonly size: number },
    expiresInSeconds: number,
  ): Promise<SignedUpload> {
    const headers = {
      'content-type': object.contentType,
      'content-length': String(object.size),
      'x-amz-tagging': `${MEDIA.stateTag}=${MEDIA.pending}`,
      'if-none-match': '*',
    };
    const signed = await this.#presign({ method: 'PUT', key, headers }, expiresInSeconds);
    record('PresignedPutObject', ['s3:PutObject', 's3:PutObjectTagging'], [key]);
    return { url: signed.url, expiresAt: signed.expiresAt, headers: signed.headers };
  }

  /** A presigned GET of an object. */
  async downloadUrl(key: string, expiresInSeconds: number): Promise<SignedUrl> {
    const { url, expiresAt } = await this.#presign({ method: 'GET', key }, expiresInSeconds);
    record('PresignedGetObject', ['s3:GetObject'], [key]);
    return { url, expiresAt };
  }

  /**
   * The object's size, stored content type and first `bytes` bytes (one ranged GET). Missing: 404
   * NoSuchKey, or the 403 AccessDenied S3 answers the functions instead (`expectNoSuchKey`).
   */
  async probe(key: string, bytes: number): Promise<Probe> {
    record('GetObject', ['s3:GetObject'], [key]);
    const res = await this.#send({ method: 'GET', key }, undefined, { range: `bytes=0-${bytes - 1}` });
    if (res.status === 404 || res.status === 403) {
      await expectNoSuchKey('GetObject', res);
      return { status: 'missing' };
    }
    if (res.status === 416) {
      // A range beyond the end: the object is empty.
      await res.body?.cancel();
      return {
        status: 'present',
        size: 0,
        contentType: res.headers.get('content-type') ?? '',
        head: new Uint8Array(),
      };
    }
    if (res.status !== 200 && res.status !== 206) throw await s3Error('GetObject', res);
    const total = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
    const size = Number(total ?? res.headers.get('content-length') ?? Number.NaN);
    return {
      status: 'present',
      size,
      contentType: res.headers.get('content-type') ?? '',
      head: await readAtMost(res, bytes),
    };
  }

  /** Re-tags an object as attached (the lifecycle rule no longer expires it). */
  markAttached(key: string): Promise<'tagged' | 'missing'> {
    return this.#tag(key, MEDIA.attached);
  }

  /**
   * Re-tags an object as pending again (an upload a cancelled scheduled message gave back): the
   * lifecycle rule expires it as it does any upload never attached.
   */
  markPending(key: string): Promise<'tagged' | 'missing'> {
    return this.#tag(key, MEDIA.pending);
  }

  async #tag(key: string, state: string): Promise<'tagged' | 'missing'> {
    record('PutObjectTagging', ['s3:PutObjectTagging'], [key]);
    const body =
      `<Tagging xmlns="${S3_XMLNS}"><TagSet><Tag><Key>${MEDIA.stateTag}</Key>` +
      `<Value>${xml(state)}</Value></Tag></TagSet></Tagging>`;
    const res = await this.#send(
      { method: 'PUT', key, query: { tagging: '' }, headers: { 'content-md5': md5(body) } },
      body,
    );
    if (res.status === 404 || res.status === 403) {
      // 403 AccessDenied too: S3 answers it for a missing key to the functions (`expectNoSuchKey`).
      await expectNoSuchKey('PutObjectTagging', res);
      return 'missing';
    }
    if (res.status !== 200) throw await s3Error('PutObjectTagging', res);
    await res.body?.cancel();
    return 'tagged';
  }

  /** Deletes objects (absent ones are fine), 1000 to a DeleteObjects request. */
  async delete(keys: readonly string[]): Promise<void> {
    // DeleteObjects is authorized per key by s3:DeleteObject.
    record('DeleteObjects', ['s3:DeleteObject'], keys);
    for (let i = 0; i < keys.length; i += MAX_DELETE) {
      const objects = keys
        .slice(i, i + MAX_DELETE)
        .map((k) => `<Object><Key>${xml(k)}</Key></Object>`)
        .join('');
      const body = `<Delete xmlns="${S3_XMLNS}"><Quiet>true</Quiet>${objects}</Delete>`;
      const res = await this.#send(
        { method: 'POST', key: '', query: { delete: '' }, headers: { 'content-md5': md5(body) } },
        body,
      );
      if (res.status !== 200) throw await s3Error('DeleteObjects', res);
      const answer = await res.text();
      const failed = answer.match(/<Error>/g)?.length ?? 0;
      if (failed > 0)
        throw new Error(`DeleteObjects could not delete ${failed} object(s): ${answer.slice(0, 300)}`);
    }
  }

  async #presign(request: Request, expiresIn: number) {
    const path = this.#base.pathname.replace(/\/$/, '');
    const signed = await this.#presigner().presign(
      {
        method: request.method,
        protocol: this.#base.protocol,
        hostname: this.#base.hostname,
        ...(this.#base.port ? { port: Number(this.#base.port) } : {}),
        path: request.key === '' ? path || '/' : `${path}/${request.key}`,
        query: { ...request.query },
        headers: { ...request.headers },
      },
      {
        expiresIn,
        signingDate: this.#now(),
        // Signed, and sent as headers: S3 ignores a hoisted x-amz-tagging, and the presigner would
        // otherwise leave content-type unsigned.
        unhoistableHeaders: new Set(['x-amz-tagging']),
        signableHeaders: new Set(['content-type']),
      },
    );
    const query = Object.entries(signed.query ?? {})
      .map(([k, v]) => `${rfc3986(k)}=${rfc3986(String(v ?? ''))}`)
      .join('&');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) if (name !== 'host') headers[name] = value;
    return {
      url: `${this.#base.origin}${signed.path}${query ? `?${query}` : ''}`,
      expiresAt: new Date(this.#now().getTime() + expiresIn * 1000).toISOString(),
      headers,
    };
  }

  /** Sends one of the functions' own requests, retrying throttles, 5xx and network errors. */
  async #send(request: Request, body?: string, unsigned: Record<string, string> = {}): Promise<Response> {
    const signed = await this.#presign(request, OWN_REQUEST_SECONDS);
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.#fetch(signed.url, {
          method: request.method,
          headers: { ...signed.headers, ...unsigned },
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        if ((res.status < 500 && res.status !== 429) || attempt >= ATTEMPTS) return res;
        await res.body?.cancel();
      } catch (error) {
        if (attempt >= ATTEMPTS) throw error;
      }
      await backOff(RETRY_BACKOFF, attempt);
    }
  }
}

let shared: MediaBucket | undefined;

/**
 * The container's media bucket, from the configuration: path-style on the S3 endpoint override
 * (locally), else the bucket's regional virtual-hosted endpoint. Throws when no bucket is configured.
 */
export function mediaBucket(): MediaBucket {
  // Read at each call (the test run records each function's uses of the configuration).
  const { mediaBucket: bucket, mediaBucketDomain, s3Endpoint, region } = config();
  if (!shared) {
    if (!bucket) throw new Error('MEDIA_BUCKET is not configured');
    const baseUrl = s3Endpoint
      ? `${s3Endpoint.replace(/\/$/, '')}/${bucket}`
      : `https://${mediaBucketDomain ?? `${bucket}.s3.${region}.amazonaws.com`}`;
    shared = new MediaBucket({ baseUrl, presigner: getS3Presigner });
  }
  return shared;
}

/** Replace the container's media bucket (tests, the bench). */
export function setMediaBucket(next: MediaBucket | undefined): void {
  shared = next;
}

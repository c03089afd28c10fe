/**
 * AWS Signature Version 4 for the light request paths' POSTs (`signed-http.ts`): the headers and the
 * signature `SignatureV4` of @smithy/signature-v4 gives the same request (its header rules, path
 * normalisation and double encoding, `x-amz-content-sha256`; `test/unit/sigv4.test.ts` compares the
 * two on generated requests), computed synchronously with node:crypto and the day's signing key
 * kept. The SDK's signer awaits each hash and derives a cache key with an extra HMAC per request;
 * this one takes about a third of the SDK signer's CPU per request (`bench/sign.ts`), on every post
 * of a fan-out.
 *
 * What it leaves out, since these paths never need it: query strings (a path with `?` or `#` is
 * refused), presigning, unsigned or streamed payloads, and the S3 variant (no double encoding).
 */
import { createHash, createHmac } from 'node:crypto';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** One POST to sign: the `host` header (with any port), the path, the other headers, the body. */
export interface PostToSign {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Headers the SDK never signs (`ALWAYS_UNSIGNABLE_HEADERS`, and `proxy-*` / `sec-*`). */
const UNSIGNABLE = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);
/** Headers a caller may not set (`prepareRequest`): the signer sets the first two. */
const GENERATED = new Set(['authorization', 'x-amz-date', 'date']);

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hexEncode = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
/** The SDK's `escapeUri`: `encodeURIComponent` plus `!'()*`. */
const escapeUri = (uri: string) => encodeURIComponent(uri).replace(/[!'()*]/g, hexEncode);

/**
 * The SDK's canonical path for services other than S3: rooted (as its `HttpRequest` roots a path),
 * normalised, then encoded again.
 */
export function canonicalPath(given: string): string {
  const path = given.startsWith('/') ? given : `/${given}`;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment.length === 0 || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `/${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/** `20261202T221500Z` and `20261202` of a date. */
function dates(date: Date): { long: string; short: string } {
  const long = date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return { long, short: long.slice(0, 8) };
}

/** A signing key and what it was derived from (the region and service are the signer's own). */
interface SigningKey {
  readonly day: string;
  readonly secretAccessKey: string;
  readonly key: Buffer;
}

export class PostSigner {
  readonly #region: string;
  readonly #service: string;
  /** The last signing key: it changes with the day and the secret only. */
  #key: SigningKey | undefined;

  constructor(region: string, service: string) {
    this.#region = region;
    this.#service = service;
  }

  /** The headers to send: the request's own, plus the date, token, payload hash and authorization. */
  sign(post: PostToSign, credentials: SigningCredentials, date: Date): Record<string, string> {
    if (typeof credentials?.accessKeyId !== 'string' || typeof credentials.secretAccessKey !== 'string') {
      throw new Error('Resolved credential object is not valid');
    }
    if (/[?#]/.test(post.path)) throw new Error(`A light request's path has no query: ${post.path}`);
    const { long, short } = dates(date);
    const scope = `${short}/${this.#region}/${this.#service}/aws4_request`;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(post.headers)) {
      if (value !== undefined && !GENERATED.has(name.toLowerCase())) headers[name] = value;
    }
    headers['x-amz-date'] = long;
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
    const given = Object.keys(headers).find((name) => name.toLowerCase() === 'x-amz-content-sha256');
    const payloadHash = given ? (headers[given] as string) : sha256Hex(post.body);
    if (!given) headers['x-amz-content-sha256'] = payloadHash;

    // As the SDK: names in their sorted order, lowercased; a later duplicate replaces an earlier one.
    const canonical: Record<string, string> = {};
    for (const name of Object.keys(headers).sort()) {
      const lower = name.toLowerCase();
      if (UNSIGNABLE.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-')) continue;
      canonical[lower] = (headers[name] as string)
        .replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .replace(/^ | $/g, '');
    }
    const names = Object.keys(canonical).sort();
    const signedHeaders = names.join(';');
    const request = [
      'POST',
      canonicalPath(post.path),
      '',
      ...names.map((name) => `${name}:${canonical[name]}`),
      '',
      signedHeaders,
      payloadHash,
    ].join('\n');
    const stringToSign = `${ALGORITHM}\n${long}\n${scope}\n${sha256Hex(request)}`;
    const signature = createHmac('sha256', this.#signingKey(credentials, short))
      .update(stringToSign)
      .digest('hex');
    const credential = `${credentials.accessKeyId}/${scope}`;
    headers.authorization = `${ALGORITHM} Credential=${credential}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  #signingKey(credentials: SigningCredentials, day: string): Buffer {
    const { secretAccessKey } = credentials;
    const kept = this.#key;
    if (kept?.day === day && kept.secretAccessKey === secretAccessKey) return kept.key;
    let key: Buffer = createHmac('sha256', `AWS4${secretAccessKey}`).update(day).digest();
    for (const part of [this.#region, this.#service, 'aws4_request']) {
      key = createHmac('sha256', key).update(part).digest();
    }
    this.#key = { day, secretAccessKey, key };
    return key;
  }
}

/**
 * An independent SigV4 verifier, written from AWS's specification (not with the SDK's signer), for
 * the light request paths (`lambdas/fanout/light-posts.ts`, `lambdas/data/light-dynamo.ts`): it accepts
 * a request only when its `Authorization` header is the signature of exactly what was received.
 * Services other than S3: path segments are URI-encoded again.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A test identity for the signers (the AWS documentation's example key, with a session token). */
export const TEST_CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG',
  sessionToken: 'tok/en+=',
} as const;
export const TEST_REGION = 'eu-west-1';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface SigningIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
/** RFC 3986 unreserved characters stay, everything else is %XX (AWS's UriEncode). */
const uriEncode = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

/** Whether `r` carries a valid SigV4 signature of `identity` for its method, path, headers and body. */
export function verifySigV4(r: ReceivedRequest, identity: SigningIdentity): boolean {
  const { region, service } = identity;
  const auth = String(r.headers.authorization ?? '');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!match) return false;
  const [, keyId, day, signedRegion, signedService, signedHeaders, signature] = match as unknown as string[];
  if (keyId !== identity.accessKeyId || signedRegion !== region || signedService !== service) return false;
  const names = String(signedHeaders).split(';');
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(r.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const [path = '', query = ''] = r.url.split('?');
  const canonicalUri = path.split('/').map(uriEncode).join('/');
  const canonical = [r.method, canonicalUri, query, canonicalHeaders, signedHeaders, sha256(r.body)].join(
    '\n',
  );
  const amzDate = String(r.headers['x-amz-date']);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${identity.secretAccessKey}`, String(day));
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(toSign).digest('hex') === signature;
}

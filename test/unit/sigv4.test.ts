/**
 * The light paths' signer (lambdas/shared/sigv4.ts) against the SDK's own `SignatureV4` on generated
 * POSTs: every header it sends (the date, token, payload hash and authorization included) is the
 * SDK's, whatever the path (normalised and encoded again), the headers (case, whitespace, ones never
 * signed, ones the signer sets itself, a payload hash given), the body, the day and the credentials
 * (the signing key is kept between requests, so one signer per region and service serves them all).
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalPath, PostSigner, type SigningCredentials } from '../../lambdas/shared/sigv4.ts';
import { TEST_CREDENTIALS } from '../support/sigv4.ts';

async function sdkHeaders(
  region: string,
  service: string,
  post: { path: string; headers: Record<string, string>; body: Buffer },
  credentials: SigningCredentials,
  date: Date,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ region, service, credentials, sha256: Sha256 });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: 'example.amazonaws.com',
      path: post.path,
      query: {},
      headers: { ...post.headers },
      body: post.body,
    },
    { signingDate: date },
  );
  return signed.headers;
}

const segment = fc.oneof(
  fc.constantFrom('', '.', '..', '@connections', 'prod', 'AbC123=', 'x+y', "it's (odd)*!", '%2F', 'é✓', ' '),
  fc.string({ maxLength: 8 }),
);
const path = fc
  .tuple(fc.boolean(), fc.array(segment, { maxLength: 6 }), fc.boolean())
  .map(([lead, parts, trail]) => `${lead ? '/' : ''}${parts.join('/')}${trail ? '/' : ''}`)
  .filter((p) => !/[?#]/.test(p)); // no query: refused (below)
const headerName = fc.oneof(
  fc.constantFrom(
    'Content-Type',
    'x-amz-target',
    'X-Amz-Target',
    'x-amz-query-mode',
    'User-Agent',
    'X-Amzn-Trace-Id',
    'proxy-authorization',
    'Sec-Fetch-Mode',
    'Authorization',
    'X-Amz-Date',
    'date',
    'X-Amz-Security-Token',
    'x-amz-content-sha256',
    'Connection',
  ),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/),
);
const headerValue = fc.oneof(
  fc.constantFrom('application/x-amz-json-1.0', '  spaced   out  ', 'tab\there', 'line\r\nbreak', ' ', ''),
  fc.string({ maxLength: 20 }),
);
const credentials = fc.record(
  {
    accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,20}$/),
    secretAccessKey: fc.string({ minLength: 1, maxLength: 40 }),
    sessionToken: fc.oneof(fc.constant(''), fc.string({ minLength: 1, maxLength: 60 })),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);
const date = fc.date({
  min: new Date('2001-01-01T00:00:00Z'),
  max: new Date('2099-12-31T23:59:59Z'),
  noInvalidDate: true,
});

describe('PostSigner', () => {
  it('sends exactly the headers the SDK signer gives the same POST', async () => {
    const signers = new Map<string, PostSigner>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'),
        fc.constantFrom('dynamodb', 'execute-api', 'sqs'),
        path,
        fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
        fc.uint8Array({ maxLength: 300 }),
        credentials,
        date,
        async (region, service, p, extra, bytes, creds, when) => {
          const post = {
            path: p,
            headers: { host: 'example.amazonaws.com:443', ...extra, 'content-length': String(bytes.length) },
            body: Buffer.from(bytes),
          };
          const key = `${region}/${service}`;
          const signer = signers.get(key) ?? new PostSigner(region, service);
          signers.set(key, signer);
          expect(signer.sign(post, creds, when)).toEqual(
            await sdkHeaders(region, service, post, creds, when),
          );
        },
      ),
      { numRuns: 600 },
    );
  });

  it('keeps one signing key a day and credentials: a new day or secret signs as the SDK does', async () => {
    const signer = new PostSigner('eu-west-1', 'dynamodb');
    const post = {
      path: '/',
      headers: { host: 'h', 'content-type': 'application/x-amz-json-1.0' },
      body: Buffer.from('{}'),
    };
    const other = { ...TEST_CREDENTIALS, secretAccessKey: 'another secret' };
    const days = [new Date('2026-12-02T23:59:59Z'), new Date('2026-12-03T00:00:00Z')];
    for (const [creds, when] of [
      [TEST_CREDENTIALS, days[0]],
      [TEST_CREDENTIALS, days[1]],
      [other, days[1]],
      [TEST_CREDENTIALS, days[1]],
    ] as const) {
      expect(signer.sign(post, creds, when as Date)).toStrictEqual(
        await sdkHeaders('eu-west-1', 'dynamodb', post, creds, when as Date),
      );
    }
  });

  it('refuses credentials without a key id or secret, as the SDK does', () => {
    const signer = new PostSigner('eu-west-1', 'sqs');
    const post = { path: '/', headers: { host: 'h' }, body: Buffer.alloc(0) };
    expect(() => signer.sign(post, { accessKeyId: 'A' } as SigningCredentials, new Date())).toThrow(
      'Resolved credential object is not valid',
    );
  });

  it('refuses a path with a query or a fragment (the light paths send none; it would be signed as path)', () => {
    const signer = new PostSigner('eu-west-1', 'execute-api');
    for (const path of ['/prod/@connections/a?b=1', '/x#y']) {
      expect(() =>
        signer.sign({ path, headers: { host: 'h' }, body: Buffer.alloc(0) }, TEST_CREDENTIALS, new Date()),
      ).toThrow("A light request's path has no query");
    }
  });

  it('encodes a path again and normalises its dots, as for every service but S3', () => {
    expect(canonicalPath('/prod/@connections/x%2By%3D')).toBe('/prod/%40connections/x%252By%253D');
    expect(canonicalPath('/a/./b/../c//d/')).toBe('/a/c/d/');
    expect(canonicalPath('')).toBe('/');
    expect(canonicalPath('a/b')).toBe('/a/b');
    expect(canonicalPath("/it's (odd)*!")).toBe('/it%27s%20%28odd%29%2A%21');
  });
});

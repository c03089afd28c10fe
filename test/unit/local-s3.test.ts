/**
 * The local S3 stand-in answers the functions as S3 answers a caller without `s3:ListBucket` (their
 * grants name the objects only, lib/chat-media.ts): a missing key is 403 AccessDenied, not 404
 * NoSuchKey, to their signed requests and to the URLs they presign; the bucket cannot be listed.
 * The owner (`LOCAL_S3_OWNER`) keeps S3's owner answers. Through a real server, signed both ways S3
 * accepts (the SDK's Authorization header, a presigned URL).
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getS3Presigner } from '../../lambdas/shared/clients.ts';
import { useLocalAwsEnvironment } from '../../local/dynamodb.ts';
import { LOCAL_S3_OWNER, type LocalS3, startLocalS3 } from '../../local/s3.ts';

let s3: LocalS3;
/** Signed with the functions' key (AWS_ACCESS_KEY_ID). */
let functions: S3Client;
let owner: S3Client;

beforeAll(async () => {
  useLocalAwsEnvironment();
  s3 = await startLocalS3();
  const base = { endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' };
  const functionsKey = {
    accessKeyId: String(process.env.AWS_ACCESS_KEY_ID),
    secretAccessKey: String(process.env.AWS_SECRET_ACCESS_KEY),
  };
  functions = new S3Client({ ...base, credentials: functionsKey });
  owner = new S3Client({ ...base, credentials: LOCAL_S3_OWNER });
  await owner.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'chats/c/here', Body: 'bytes' }));
});
afterAll(async () => {
  functions?.destroy();
  owner?.destroy();
  await s3?.stop();
});

/** The status, error code and request ids the SDK read from an answer that failed. */
async function failure(request: Promise<unknown>) {
  try {
    await request;
  } catch (error) {
    if (!(error instanceof S3ServiceException)) throw error;
    return {
      status: error.$metadata.httpStatusCode,
      code: error.name,
      requestId: error.$metadata.requestId,
      hostId: error.$metadata.extendedRequestId,
    };
  }
  throw new Error('the request succeeded');
}

/** A URL signed by the functions' presigner (SigV4 query authentication), as media-bucket.ts does. */
async function presigned(method: string, key: string, options: { expiresIn?: number; at?: Date } = {}) {
  const url = new URL(`${s3.endpoint}/${s3.bucket}/${key}`);
  const signed = await getS3Presigner().presign(
    {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host },
    },
    { expiresIn: options.expiresIn ?? 60, ...(options.at ? { signingDate: options.at } : {}) },
  );
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  return `${url.origin}${signed.path}?${query}`;
}

const missing = { Bucket: '', Key: 'chats/c/none' };

describe('a key that holds no object', () => {
  beforeAll(() => {
    missing.Bucket = s3.bucket;
  });

  it('is 403 AccessDenied to the functions, with the request ids S3 sends', async () => {
    const requests = {
      GetObject: () => functions.send(new GetObjectCommand(missing)),
      GetObjectTagging: () => functions.send(new GetObjectTaggingCommand(missing)),
      PutObjectTagging: () =>
        functions.send(
          new PutObjectTaggingCommand({ ...missing, Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] } }),
        ),
    };
    for (const [operation, send] of Object.entries(requests)) {
      const answer = await failure(send());
      expect(answer, operation).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(answer.requestId).toMatch(/^[0-9A-F]{16}$/);
      expect(answer.hostId).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
    }
    // A HEAD answer has no body: the status and the ids only.
    expect(await failure(functions.send(new HeadObjectCommand(missing)))).toMatchObject({
      status: 403,
      requestId: expect.stringMatching(/^[0-9A-F]{16}$/),
    });
  });

  it('is 403 AccessDenied to a URL the functions presign, with S3’s XML body', async () => {
    const res = await fetch(await presigned('GET', missing.Key), { headers: { origin: 'http://app.test' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const requestId = res.headers.get('x-amz-request-id');
    const body = await res.text();
    expect(body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>AccessDenied<\/Code><Message>Access Denied<\/Message><RequestId>[0-9A-F]{16}<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/,
    );
    expect(body).toContain(`<RequestId>${requestId}</RequestId>`);
    expect(body).toContain(`<HostId>${res.headers.get('x-amz-id-2')}</HostId>`);
    const head = await fetch(await presigned('HEAD', missing.Key), { method: 'HEAD' });
    expect(head.status).toBe(403);
    expect(await head.text()).toBe('');
  });

  it('is 404 NoSuchKey to the bucket owner', async () => {
    expect(await failure(owner.send(new GetObjectCommand(missing)))).toMatchObject({
      status: 404,
      code: 'NoSuchKey',
    });
    expect(await failure(owner.send(new HeadObjectCommand(missing)))).toMatchObject({ status: 404 });
  });

  it('keeps an expired URL’s own refusal (S3 authenticates before it authorizes)', async () => {
    const url = await presigned('GET', missing.Key, { expiresIn: 1, at: new Date(Date.now() - 60_000) });
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Message>Request has expired</Message>');
  });

  it('is deleted without an error by DeleteObjects, as on AWS', async () => {
    const out = await functions.send(
      new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: [{ Key: missing.Key }] } }),
    );
    expect(out.Errors ?? []).toEqual([]);
  });
});

describe('what the functions may do', () => {
  it('read an object that exists, as before', async () => {
    const res = await fetch(await presigned('GET', 'chats/c/here'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('bytes');
    const tags = await functions.send(
      new GetObjectTaggingCommand({ Bucket: s3.bucket, Key: 'chats/c/here' }),
    );
    expect(tags.TagSet).toEqual([]);
  });

  it('not list the bucket (the owner may)', async () => {
    expect(await failure(functions.send(new ListObjectsV2Command({ Bucket: s3.bucket })))).toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
    const listed = await owner.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['chats/c/here']);
  });
});

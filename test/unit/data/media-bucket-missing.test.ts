/**
 * How the media bucket tells a missing object, against the local S3 stand-in: S3 answers the
 * functions 403 AccessDenied for a key that holds no object (they have no `s3:ListBucket`; the
 * stand-in does the same, local/s3-no-list.ts), the bucket's owner 404 NoSuchKey. Both are a missing
 * file; any other 403 or 404 (an unknown key id, a bucket that does not exist) is an error naming the
 * operation, never "has no file yet".
 */
import { createHash, createHmac } from 'node:crypto';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaBucket } from '../../../lambdas/data/media-bucket.ts';
import { getS3Presigner } from '../../../lambdas/shared/clients.ts';
import { useLocalAwsEnvironment } from '../../../local/dynamodb.ts';
import { LOCAL_S3_OWNER, type LocalS3, startLocalS3 } from '../../../local/s3.ts';

let s3: LocalS3;
/** The status of every answer a bucket got, in order. */
const answers: number[] = [];

beforeAll(async () => {
  useLocalAwsEnvironment();
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3?.stop();
});

/** A media bucket on the stand-in signing with `presigner` (the functions' by default). */
function bucketOf(presigner: () => S3RequestPresigner = getS3Presigner, name = s3.bucket): MediaBucket {
  return new MediaBucket({
    baseUrl: `${s3.endpoint}/${name}`,
    presigner,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      answers.push(res.status);
      return res;
    },
  });
}

type Data = string | ArrayBuffer | ArrayBufferView;
const buffer = (d: Data) =>
  typeof d === 'string'
    ? Buffer.from(d)
    : ArrayBuffer.isView(d)
      ? Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      : Buffer.from(d);
class Sha256 {
  readonly #h;
  constructor(secret?: Data) {
    this.#h = secret === undefined ? createHash('sha256') : createHmac('sha256', buffer(secret));
  }
  update(data: Data) {
    this.#h.update(buffer(data));
  }
  async digest() {
    return new Uint8Array(this.#h.digest());
  }
}

/** A presigner with other credentials than the functions'. */
const signingAs = (accessKeyId: string) => () =>
  new S3RequestPresigner({
    credentials: { accessKeyId, secretAccessKey: accessKeyId },
    region: String(process.env.AWS_REGION),
    sha256: Sha256,
  });

describe('a key that holds no object', () => {
  it('is missing to the functions: S3 answers them 403 AccessDenied (probe, both re-taggings)', async () => {
    const bucket = bucketOf();
    answers.length = 0;
    expect(await bucket.probe('chats/c/none', 32)).toEqual({ status: 'missing' });
    expect(await bucket.markAttached('chats/c/none')).toBe('missing');
    expect(await bucket.markPending('chats/c/none')).toBe('missing');
    expect(answers).toEqual([403, 403, 403]);
  });

  it('is missing to the bucket owner: 404 NoSuchKey', async () => {
    const bucket = bucketOf(signingAs(LOCAL_S3_OWNER.accessKeyId));
    answers.length = 0;
    expect(await bucket.probe('chats/c/none', 32)).toEqual({ status: 'missing' });
    expect(await bucket.markAttached('chats/c/none')).toBe('missing');
    expect(answers).toEqual([404, 404]);
  });
});

describe('any other refusal is an error, not a missing file', () => {
  it('a 403 that is not AccessDenied (a key id S3 does not know)', async () => {
    const bucket = bucketOf(signingAs('AKIDUNKNOWN'));
    await expect(bucket.probe('chats/c/none', 32)).rejects.toThrow(
      'S3 GetObject answered 403 (InvalidAccessKeyId)',
    );
    await expect(bucket.markAttached('chats/c/none')).rejects.toThrow(
      'S3 PutObjectTagging answered 403 (InvalidAccessKeyId)',
    );
  });

  it('a 404 that is not NoSuchKey (a bucket that does not exist)', async () => {
    const bucket = bucketOf(getS3Presigner, 'no-such-bucket');
    await expect(bucket.probe('chats/c/none', 32)).rejects.toThrow(
      'S3 GetObject answered 404 (NoSuchBucket)',
    );
    await expect(bucket.markPending('chats/c/none')).rejects.toThrow(
      'S3 PutObjectTagging answered 404 (NoSuchBucket)',
    );
  });
});

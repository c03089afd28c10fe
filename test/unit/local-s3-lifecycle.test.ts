/**
 * The media bucket's lifecycle rule on the local S3 stand-in (local/s3-lifecycle.ts): a PUT keeps the
 * tags it sends (s3rver alone drops them), and an upload still tagged pending is removed once S3's
 * rule would remove it (a day after it was stored, at the next midnight UTC); attached uploads,
 * untagged objects and keys outside the media prefix stay. Through a real s3rver.
 */
import {
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaBucket } from '../../lambdas/data/media-bucket.ts';
import { getS3Presigner } from '../../lambdas/shared/clients.ts';
import { MEDIA } from '../../lib/media.ts';
import { useLocalAwsEnvironment } from '../../local/dynamodb.ts';
import { LOCAL_S3_OWNER, type LocalS3, startLocalS3 } from '../../local/s3.ts';
import { lifecycleExpiry } from '../../local/s3-lifecycle.ts';

const pending = `${MEDIA.stateTag}=${MEDIA.pending}`;
let s3: LocalS3;
let owner: S3Client;

const put = (key: string, tagging?: string) =>
  owner.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: 'bytes', Tagging: tagging }));
const keys = async () =>
  ((await owner.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).Contents ?? [])
    .map((o) => o.Key)
    .sort();
const clientFor = (s: LocalS3) =>
  new S3Client({
    endpoint: s.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: LOCAL_S3_OWNER,
  });

beforeAll(async () => {
  useLocalAwsEnvironment();
  s3 = await startLocalS3();
  owner = clientFor(s3);
});
afterAll(async () => {
  owner.destroy();
  await s3.stop();
});

describe('lifecycleExpiry', () => {
  it('is a day after the object was stored, rounded up to the next midnight UTC', () => {
    expect(lifecycleExpiry(new Date('2026-12-05T10:30:00Z')).toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(lifecycleExpiry(new Date('2026-12-05T00:00:00Z')).toISOString()).toBe('2026-12-06T00:00:00.000Z');
  });
});

describe('the local media bucket', () => {
  it('keeps the tags a PUT sends in x-amz-tagging, as S3 does', async () => {
    await put('chats/c1/tagged', pending);
    const { TagSet } = await owner.send(
      new GetObjectTaggingCommand({ Bucket: s3.bucket, Key: 'chats/c1/tagged' }),
    );
    expect(TagSet).toEqual([{ Key: MEDIA.stateTag, Value: MEDIA.pending }]);
  });

  it('tags an upload made through the functions’ presigned URL pending', async () => {
    const bucket = new MediaBucket({ baseUrl: `${s3.endpoint}/${s3.bucket}`, presigner: getS3Presigner });
    const upload = await bucket.uploadUrl('chats/c4/u', { contentType: 'text/plain', size: 3 }, 60);
    const res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: 'abc' });
    expect(res.status).toBe(200);
    const { TagSet } = await owner.send(
      new GetObjectTaggingCommand({ Bucket: s3.bucket, Key: 'chats/c4/u' }),
    );
    expect(TagSet).toEqual([{ Key: MEDIA.stateTag, Value: MEDIA.pending }]);
  });

  it('removes only the pending uploads S3 would have removed by then', async () => {
    await put('chats/c2/pending', pending);
    await put('chats/c2/attached', pending);
    await owner.send(
      new PutObjectTaggingCommand({
        Bucket: s3.bucket,
        Key: 'chats/c2/attached',
        Tagging: { TagSet: [{ Key: MEDIA.stateTag, Value: MEDIA.attached }] },
      }),
    );
    await put('chats/c2/untagged');
    await put('elsewhere/pending', pending);
    const { LastModified } = await owner.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: 'chats/c2/pending' }),
    );
    const expiry = lifecycleExpiry(LastModified as Date);

    expect(await s3.expirePending(new Date(expiry.getTime() - 1))).toEqual([]);
    const removed = await s3.expirePending(expiry);
    expect(removed).toContain('chats/c2/pending');
    expect(removed).not.toContain('chats/c2/attached');
    const left = await keys();
    expect(left).not.toContain('chats/c2/pending');
    expect(left).toEqual(
      expect.arrayContaining(['chats/c2/attached', 'chats/c2/untagged', 'elsewhere/pending']),
    );
  });
});

describe('a stand-in left running', () => {
  it('applies the rule on its own, every lifecycleIntervalMs', async () => {
    const later = await startLocalS3({
      lifecycleIntervalMs: 50,
      now: () => new Date(Date.now() + 3 * 86_400_000),
    });
    const client = clientFor(later);
    try {
      await client.send(
        new PutObjectCommand({ Bucket: later.bucket, Key: 'chats/c3/u', Body: 'b', Tagging: pending }),
      );
      await expect
        .poll(async () => (await client.send(new ListObjectsV2Command({ Bucket: later.bucket }))).KeyCount, {
          timeout: 5000,
        })
        .toBe(0);
    } finally {
      client.destroy();
      await later.stop();
    }
  });
});

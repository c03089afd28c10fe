/**
 * The IAM check on the media bucket: object grants on a key prefix (`<bucket>/chats/*`) cover the
 * calls on keys under it and nothing else, and the media bucket's requests (sent with `fetch`, not by
 * an SDK client) are recorded as the S3 actions that authorize them.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaBucket } from '../../lambdas/data/media-bucket.ts';
import { CALL_LOG_DIR_ENV } from '../../lambdas/shared/call-recorder.ts';
import { logger } from '../../lambdas/shared/logger.ts';
import { type Call, checkIam, type FunctionPolicy, symbolicResource } from '../../scripts/iam-check.ts';

const OBJECTS = { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['MediaBucket1', 'Arn'] }, '/chats/*']] };
const resourceOf = (expr: unknown) =>
  symbolicResource(expr, { table: 'Table1', mediaBucket: 'MediaBucket1' });
const call = (fn: string, action: string, key: string): Call => ({
  fn,
  action,
  operation: action.split(':')[1] ?? action,
  resource: `media-bucket/${key}`,
});
const policies: FunctionPolicy[] = [
  {
    fn: 'sendMessage',
    statements: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObjectTagging'], Resource: OBJECTS }],
  },
];

describe('media grants', () => {
  it('names the bucket’s objects symbolically', () => {
    expect(resourceOf(OBJECTS)).toBe('media-bucket/chats/*');
    expect(resourceOf({ 'Fn::GetAtt': ['MediaBucket1', 'Arn'] })).toBe('media-bucket');
  });

  it('a prefix grant covers keys under it, not keys elsewhere in the bucket', () => {
    const inside = [
      call('sendMessage', 's3:GetObject', 'chats/c1/u1'),
      call('sendMessage', 's3:PutObjectTagging', 'chats/c1/u1'),
    ];
    expect(checkIam(inside, policies, resourceOf)).toMatchObject({ missing: [], unused: [] });
    const outside = checkIam(
      [...inside, call('sendMessage', 's3:GetObject', 'other/x')],
      policies,
      resourceOf,
    );
    expect(outside.missing).toEqual([
      'sendMessage: s3:GetObject on media-bucket/other/x (GetObject) is not allowed by its policy',
    ]);
  });

  it('reports a granted media action no call used', () => {
    const report = checkIam([call('sendMessage', 's3:GetObject', 'chats/c1/u1')], policies, resourceOf);
    expect(report.unused).toEqual([
      'sendMessage: s3:PutObjectTagging on media-bucket/chats/* is granted but never used',
    ]);
  });
});

describe('media bucket call recording', () => {
  const dir = mkdtempSync(join(tmpdir(), 'media-calls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records presigned URLs as calls of the function that signs them, on their keys', async () => {
    const previous = process.env[CALL_LOG_DIR_ENV];
    process.env[CALL_LOG_DIR_ENV] = dir;
    try {
      const bucket = new MediaBucket({
        baseUrl: 'https://b.s3.eu-west-1.amazonaws.com',
        presigner: () =>
          ({ presign: async (request: { path: string }) => ({ ...request, headers: {} }) }) as never,
      });
      await logger.runWithKeys({ routeKey: 'requestUpload' }, () =>
        bucket.uploadUrl('chats/c9/u9', { contentType: 'image/png', size: 3 }, 60),
      );
      await logger.runWithKeys({ routeKey: 'history' }, () => bucket.downloadUrl('chats/c9/u9', 60));
    } finally {
      if (previous === undefined) delete process.env[CALL_LOG_DIR_ENV];
      else process.env[CALL_LOG_DIR_ENV] = previous;
    }
    const calls = readdirSync(dir).flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Call),
    );
    expect(calls.map((c) => `${c.fn} ${c.action} ${c.resource}`).sort()).toEqual([
      'history s3:GetObject media-bucket/chats/c9/u9',
      'requestUpload s3:PutObject media-bucket/chats/c9/u9',
      'requestUpload s3:PutObjectTagging media-bucket/chats/c9/u9',
    ]);
  });
});

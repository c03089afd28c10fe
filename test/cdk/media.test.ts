/**
 * The media bucket as CloudFormation: private, encrypted, TLS only, unversioned, CORS for browser PUT
 * and GET, lifecycle rules on the tag the functions write, access logs without ACLs; and each route
 * function's S3 grant: exactly the route table's media actions, on `chats/*` only, with the bucket in
 * its environment — and nothing for the others.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MEDIA, MEDIA_BUCKET_DOMAIN_ENV, MEDIA_BUCKET_ENV, mediaKey } from '../../lib/media.ts';
import { ROUTES } from '../../lib/routes.ts';
import { actionsOf, logicalId, resourcesOf, statementsOf, synth, useSynth } from './support.ts';

const { s, resources } = useSynth();
let bucketId: string;
let logsId: string;
beforeAll(() => {
  bucketId = logicalId(s.stack, s.stack.media.bucket);
  logsId = logicalId(s.stack, s.stack.media.accessLogs);
});

const PRIVATE = {
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  },
  BucketEncryption: {
    ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
  },
  OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
};

describe('media bucket', { timeout: 60_000 }, () => {
  it('is private, SSE-S3 encrypted, owner-enforced (no ACLs), unversioned and retained', () => {
    for (const id of [bucketId, logsId]) {
      expect(resources[id]?.Properties).toMatchObject(PRIVATE);
      expect(resources[id]?.Properties.VersioningConfiguration).toBeUndefined();
      expect(resources[id]?.Properties.AccessControl).toBeUndefined();
      expect(resources[id]?.DeletionPolicy).toBe('Retain');
    }
    s.template.resourceCountIs('AWS::S3::Bucket', 2);
  });

  it('refuses every request without TLS', () => {
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
    for (const id of [bucketId, logsId]) {
      const policy = policies.find(
        (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id }),
      );
      expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('lets browsers PUT and GET with the signed headers, from any origin (URLs are the credential)', () => {
    expect(resources[bucketId]?.Properties.CorsConfiguration).toEqual({
      CorsRules: [
        {
          AllowedHeaders: ['content-type', 'x-amz-tagging', 'if-none-match'],
          AllowedMethods: ['PUT', 'GET', 'HEAD'],
          AllowedOrigins: ['*'],
          ExposedHeaders: ['ETag'],
          MaxAge: 3600,
        },
      ],
    });
  });

  it('expires pending uploads after a day and aborts incomplete multipart uploads, never attached bytes', () => {
    expect(resources[bucketId]?.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'ExpireUnattachedUploads',
          Status: 'Enabled',
          Prefix: MEDIA.prefix,
          TagFilters: [{ Key: MEDIA.stateTag, Value: MEDIA.pending }],
          ExpirationInDays: 1,
        },
        {
          Id: 'AbortIncompleteMultipartUploads',
          Status: 'Enabled',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ],
    });
    // What the functions write: uploads carry the pending tag; attaching replaces it.
    expect(MEDIA.attached).not.toBe(MEDIA.pending);
    expect(mediaKey('c_1', 'up_2').startsWith(MEDIA.prefix)).toBe(true);
  });

  it('logs access to the log bucket through a bucket policy scoped to this bucket and account', () => {
    expect(resources[bucketId]?.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: 'media/',
    });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
    expect(resources[logsId]?.Properties.LifecycleConfiguration).toEqual({
      Rules: [{ Id: 'ExpireAccessLogs', Status: 'Enabled', ExpirationInDays: 90 }],
    });
  });

  it('is deleted with a destroyable stack', () => {
    const dev = synth({ destroyable: true }).template;
    for (const bucket of Object.values(dev.findResources('AWS::S3::Bucket'))) {
      expect(bucket.DeletionPolicy).toBe('Delete');
    }
  });

  it('is an output', () => {
    s.template.hasOutput('MediaBucketName', { Value: { Ref: bucketId } });
  });
});

describe('media grants', { timeout: 60_000 }, () => {
  const objects = () => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${MEDIA.prefix}*`]] });

  it('give each route exactly its media actions, on chats/* only, and the bucket in its environment', () => {
    const withMedia = ROUTES.filter((r) => r.mediaActions?.length).map((r) => r.routeKey);
    expect(withMedia.sort()).toEqual(
      [
        'requestUpload',
        'getAttachmentUrl',
        'sendMessage',
        'history',
        'listChats',
        'sync',
        'editMessage',
        'deleteMessage',
        'deleteChat',
        'removeMember',
        'scheduleMessage',
        'listScheduled',
        'cancelScheduled',
        'react',
        // Their cancels give the uploads back (re-tagged pending), as cancelScheduled does.
        'deactivateUser',
        'deleteAccount',
        'deleteUser',
      ].sort(),
    );
    for (const def of ROUTES) {
      const fn = s.stack.chatApi.functions.get(def.routeKey);
      if (!fn) throw new Error(def.routeKey);
      const s3 = statementsOf(s, fn).filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));
      const props = resources[logicalId(s.stack, fn.function)]?.Properties ?? {};
      const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
      if (!def.mediaActions?.length) {
        expect(s3, def.routeKey).toEqual([]);
        expect(env[MEDIA_BUCKET_ENV], def.routeKey).toBeUndefined();
        continue;
      }
      expect(s3, def.routeKey).toHaveLength(1);
      const [grant] = s3 as [(typeof s3)[0]];
      expect(actionsOf(grant).sort(), def.routeKey).toEqual([...def.mediaActions].sort());
      expect(resourcesOf(grant), def.routeKey).toEqual([objects()]);
      expect(env[MEDIA_BUCKET_ENV]).toEqual({ Ref: bucketId });
      expect(env[MEDIA_BUCKET_DOMAIN_ENV]).toEqual({ 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] });
    }
  });

  it('are what each action needs, and no more (no listing, no bucket-level action)', () => {
    const actions = (key: string) => [...(ROUTES.find((r) => r.routeKey === key)?.mediaActions ?? [])].sort();
    expect(actions('requestUpload')).toEqual(['s3:PutObject', 's3:PutObjectTagging']);
    expect(actions('sendMessage')).toEqual(['s3:GetObject', 's3:PutObjectTagging']);
    expect(actions('getAttachmentUrl')).toEqual(['s3:GetObject']);
    expect(actions('history')).toEqual(['s3:GetObject']);
    expect(actions('deleteMessage')).toEqual(['s3:DeleteObject']);
    expect(actions('deleteChat')).toEqual(['s3:DeleteObject']);
    // Scheduled messages: claimed like a send; listed with signed URLs; given back (re-tagged) on cancel.
    expect(actions('scheduleMessage')).toEqual(['s3:GetObject', 's3:PutObjectTagging']);
    expect(actions('listScheduled')).toEqual(['s3:GetObject']);
    expect(actions('cancelScheduled')).toEqual(['s3:GetObject', 's3:PutObjectTagging']);
    const granted = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::Role')
      .map((r) => JSON.stringify(r.Properties));
    expect(granted.join('\n')).toContain('s3:GetObject');
    expect(granted.join('\n')).not.toMatch(/s3:List|"s3:\*"|s3:\w*Bucket/);
  });

  it('the authorizer gets no media access', () => {
    const actions = statementsOf(s, s.stack.chatApi.authorizerFunction).flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
  });
});

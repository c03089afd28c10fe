/**
 * The private media bucket (attachments), laid out as `lib/media.ts` describes: no public access,
 * SSE-S3, TLS only, versioning off, CORS for browser PUT and GET through presigned URLs, and lifecycle
 * rules that expire uploads never attached (tag `chat-media=pending`) after a day and abort incomplete
 * multipart uploads. Server access logs go to a second bucket (kept 90 days). Functions get exactly
 * the object actions the route table names, on `chats/*` only. S3 request metrics on the media prefix
 * (`MEDIA_DOWNLOAD_METRICS_ID`) publish its `BytesDownloaded`, which lib/monitoring.ts alarms on: a
 * presigned GET URL works for anyone, any number of times, for its hour (docs/security.md).
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  HttpMethods,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MEDIA_KINDS } from '../lambdas/contract/media-types.ts';
import type { ChatFunction } from './chat-function.ts';
import { wholeMbPerDay } from './mb-per-day.ts';
import { MEDIA, MEDIA_BUCKET_DOMAIN_ENV, MEDIA_BUCKET_ENV } from './media.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import type { MediaAction } from './routes.ts';

/** The smallest daily upload budget: the largest upload (a 200 MB video) must fit in it. */
const MIN_UPLOAD_MB_PER_DAY = Math.max(...Object.values(MEDIA_KINDS).map((k) => k.maxBytes)) / (1024 * 1024);

/**
 * `uploadMbPerDay`: the MB (MiB) of uploads one user may request in 24 hours (requestUpload's
 * `UPLOAD_MB_PER_DAY`), a whole number from the largest upload's 200 to 1048576 (1 TB). A string
 * of digits (CDK context) is read as its number.
 */
export function checkUploadMbPerDay(mb: unknown, field = 'uploadMbPerDay'): number {
  return wholeMbPerDay(mb, field, MIN_UPLOAD_MB_PER_DAY, ' (the largest upload)');
}

/**
 * The id of the media bucket's request-metrics filter (the media prefix): the `FilterId` dimension of
 * its S3 request metrics (billed as custom CloudWatch metrics, about $4 a month).
 */
export const MEDIA_DOWNLOAD_METRICS_ID = 'MediaObjects';

/** Access logs of the media bucket are kept this long. */
const ACCESS_LOG_DAYS = 90;
const ACCESS_LOG_PREFIX = 'media/';

export interface ChatMediaProps {
  /**
   * A throwaway stack: both buckets are deleted with it (CloudFormation deletes empty buckets only:
   * empty them first, see docs/deploy.md).
   * @default false (RemovalPolicy.RETAIN)
   */
  readonly destroyable?: boolean;
  /**
   * Origins a browser may PUT and GET from. The URLs are presigned (each one is its own credential),
   * so any origin is safe to allow; narrow it to your web app's origin if you prefer.
   * @default ['*']
   */
  readonly corsOrigins?: readonly string[];
}

export class ChatMedia extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: ChatMediaProps = {}) {
    super(scope, id);
    const removalPolicy = props.destroyable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const privateBucket = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    } as const;

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...privateBucket,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(ACCESS_LOG_DAYS) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket of the media bucket; logging it into itself would log its own log deliveries.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      ...privateBucket,
      cors: [
        {
          allowedMethods: [HttpMethods.PUT, HttpMethods.GET, HttpMethods.HEAD],
          allowedOrigins: [...(props.corsOrigins ?? ['*'])],
          allowedHeaders: ['content-type', 'x-amz-tagging', 'if-none-match'],
          exposedHeaders: ['ETag'],
          maxAge: 3600,
        },
      ],
      lifecycleRules: [
        {
          id: 'ExpireUnattachedUploads',
          prefix: MEDIA.prefix,
          tagFilters: { [MEDIA.stateTag]: MEDIA.pending },
          expiration: Duration.days(MEDIA.pendingExpiryDays),
        },
        {
          id: 'AbortIncompleteMultipartUploads',
          abortIncompleteMultipartUploadAfter: Duration.days(MEDIA.abortIncompleteMultipartDays),
        },
      ],
      metrics: [{ id: MEDIA_DOWNLOAD_METRICS_ID, prefix: MEDIA.prefix }],
    });
    // Server access logging through a bucket policy (no ACLs: both buckets enforce bucket ownership).
    (this.bucket.node.defaultChild as CfnBucket).loggingConfiguration = {
      destinationBucketName: this.accessLogs.bucketName,
      logFilePrefix: ACCESS_LOG_PREFIX,
    };
    this.accessLogs.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogs.arnForObjects(`${ACCESS_LOG_PREFIX}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
  }

  /** The bytes downloaded from the media prefix per `period` (S3 request metrics: its sum). */
  metricBytesDownloaded(period: Duration): Metric {
    return new Metric({
      namespace: 'AWS/S3',
      metricName: 'BytesDownloaded',
      dimensionsMap: { BucketName: this.bucket.bucketName, FilterId: MEDIA_DOWNLOAD_METRICS_ID },
      statistic: 'Sum',
      period,
    });
  }

  /** The ARN every grant names: the objects under the media prefix. */
  get objectsArn(): string {
    return this.bucket.arnForObjects(`${MEDIA.prefix}*`);
  }

  /** What a function that handles media needs in its environment. */
  get environment(): Record<string, string> {
    return {
      [MEDIA_BUCKET_ENV]: this.bucket.bucketName,
      [MEDIA_BUCKET_DOMAIN_ENV]: this.bucket.bucketRegionalDomainName,
    };
  }

  /** Grants exactly `actions` on the media prefix's objects. Nothing for an empty list. */
  grantActions(grantee: ChatFunction, actions: readonly MediaAction[]): Grant | undefined {
    const unique = [...new Set(actions)].sort();
    if (unique.length === 0) return undefined;
    const grant = Grant.addToPrincipal({ grantee, actions: unique, resourceArns: [this.objectsArn] });
    acknowledgeWildcardResource(
      grantee.role,
      this.objectsArn,
      'Object keys (chats/<chatId>/<uploadId>) are created at runtime; the grant is limited to the media prefix of this bucket.',
    );
    return grant;
  }
}

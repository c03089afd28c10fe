/**
 * The local stand-in for the media bucket: s3rver (an S3-compatible server in this process) on
 * 127.0.0.1, one bucket, data in a folder (a temporary one by default, removed on stop). Presigned
 * URLs point at it path-style and work with plain `fetch` or `curl -T`.
 *
 * What it does not check (docs/deploy.md, "Local media storage"): signatures (any key id it knows is
 * accepted), and the signed Content-Length, Content-Type and tag of an upload. It does enforce URL
 * expiry, and, as S3 does, `If-None-Match: *` (a PUT creates its object only; ./s3-create-only.ts),
 * which the upload URLs sign. The functions' own checks (size, stored type, first bytes) are what the
 * tests exercise. It answers the functions as S3 answers a caller without `s3:ListBucket`
 * (./s3-no-list.ts): 403 AccessDenied for a missing key; only `LOCAL_S3_OWNER` gets the owner's 404.
 * It keeps a PUT's `x-amz-tagging` and applies the bucket's lifecycle rule to unsent uploads
 * (./s3-lifecycle.ts).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { createOnlyPuts } from './s3-create-only.ts';
import { expirePendingUploads, type TaggingModel, tagsOnPut } from './s3-lifecycle.ts';
import { withoutListBucket } from './s3-no-list.ts';

/**
 * The bucket owner's credentials on the stand-in (the tests' look into the store, an operator's
 * `aws s3 ls`): the one signer that may list the bucket and is told 404 NoSuchKey for a missing key.
 * Everything else, the functions' key (AWS_ACCESS_KEY_ID) included, is answered as the functions
 * are on AWS, where they have no `s3:ListBucket`.
 */
export const LOCAL_S3_OWNER = { accessKeyId: 'local-s3-owner', secretAccessKey: 'local-s3-owner' } as const;

export interface LocalS3 {
  /** `http://127.0.0.1:<port>` (path-style: `<endpoint>/<bucket>/<key>`). */
  readonly endpoint: string;
  readonly bucket: string;
  /**
   * Applies the bucket's lifecycle rule as of `now` (./s3-lifecycle.ts): removes the uploads still
   * pending that S3 would have removed. Run at start and every `lifecycleIntervalMs` (an hour).
   */
  expirePending(now?: Date): Promise<string[]>;
  stop(): Promise<void>;
}

/** How often the stand-in applies the lifecycle rule, as S3 does about daily (its rounding is to days). */
const LIFECYCLE_INTERVAL_MS = 60 * 60 * 1000;

/** Browsers may PUT and GET from any origin, as the CDK bucket's CORS rule allows. */
const CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>
<AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>content-type</AllowedHeader>
<AllowedHeader>x-amz-tagging</AllowedHeader><AllowedHeader>if-none-match</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds>
</CORSRule></CORSConfiguration>`;

export async function startLocalS3(
  options: {
    bucket?: string;
    directory?: string;
    port?: number;
    lifecycleIntervalMs?: number;
    /** The time the periodic lifecycle run takes as now (a test's clock; the real one by default). */
    now?: () => Date;
  } = {},
): Promise<LocalS3> {
  const bucket = options.bucket ?? 'chat-media';
  const temporary = options.directory === undefined;
  const directory = temporary
    ? mkdtempSync(join(tmpdir(), 'chat-s3-'))
    : resolve(options.directory as string);
  mkdirSync(directory, { recursive: true });
  // A temporary folder goes with this process however it ends (an exit during start-up included).
  const removeOnExit = () => rmSync(directory, { recursive: true, force: true });
  if (temporary) process.once('exit', removeOnExit);
  // Loaded here, not at module load: it overlaps DynamoDB Local's start-up (local/stack.ts).
  const { default: S3rver } = await import('s3rver');
  const { DUMMY_ACCOUNT } = await import('s3rver/lib/models/account.js');
  const { TaggingConfiguration } = (await import('s3rver/lib/models/config.js')) as {
    TaggingConfiguration: TaggingModel;
  };
  // s3rver knows one account by key id: let it know the key id the functions sign with.
  const keyId = process.env.AWS_ACCESS_KEY_ID;
  if (keyId) DUMMY_ACCOUNT.createKeyPair(keyId, process.env.AWS_SECRET_ACCESS_KEY ?? keyId);
  DUMMY_ACCOUNT.createKeyPair(LOCAL_S3_OWNER.accessKeyId, LOCAL_S3_OWNER.secretAccessKey);
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs: [CORS] }],
  });
  // First of its middleware: they answer before s3rver's own (which ignores the condition, and
  // knows no permissions).
  server.middleware.unshift(
    withoutListBucket(bucket, LOCAL_S3_OWNER.accessKeyId),
    createOnlyPuts(bucket, () => server.store),
    tagsOnPut(bucket, () => server.store, TaggingConfiguration),
  );
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const owner = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: LOCAL_S3_OWNER,
  });
  let sweeping: Promise<unknown> = Promise.resolve();
  const expirePending = (now?: Date) => {
    const run = expirePendingUploads(owner, bucket, now);
    sweeping = run.catch(() => undefined);
    return run;
  };
  const sweep = () => {
    expirePending(options.now?.()).catch((error) =>
      process.stderr.write(`local S3 lifecycle: ${(error as Error).message}\n`),
    );
  };
  sweep();
  const timer = setInterval(sweep, options.lifecycleIntervalMs ?? LIFECYCLE_INTERVAL_MS);
  timer.unref();
  return {
    endpoint,
    bucket,
    expirePending,
    async stop() {
      clearInterval(timer);
      await sweeping;
      owner.destroy();
      await server.close();
      if (!temporary) return;
      process.off('exit', removeOnExit);
      removeOnExit();
    },
  };
}

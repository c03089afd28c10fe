/**
 * AWS SDK clients, created once per container on first use and injectable in tests.
 *
 * With `AWS_CALL_LOG_DIR` set (the test run only), every client created or injected here records the
 * AWS calls it makes (lambdas/shared/call-recorder.ts), for the IAM check of `scripts/check-iam.ts`.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { lightDynamo } from '../data/light-dynamo.ts';
import { lightPosts } from '../fanout/light-posts.ts';
import { LightSqs, type SqsSender, type SqsVisibility } from '../queue/light-sqs.ts';
import { CALL_LOG_DIR_ENV, recordCalls } from './call-recorder.ts';
import { config } from './config.ts';

let documentClient: DynamoDBDocumentClient | undefined;
let managementClient: ApiGatewayManagementApiClient | undefined;
let sqsSender: (SqsSender & SqsVisibility) | undefined;
let s3Presigner: S3RequestPresigner | undefined;

/** Adds the call recorder to `client` when the environment asks for it; returns the client. */
export function instrument<T extends object>(client: T): T {
  const dir = process.env[CALL_LOG_DIR_ENV];
  return dir ? recordCalls(client, dir) : client;
}

export function getDocumentClient(): DynamoDBDocumentClient {
  // Read at each call (not only when creating): the test run records each function's uses.
  const { dynamoEndpoint } = config();
  if (!documentClient) {
    const base = new DynamoDBClient({
      ...(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}),
      maxAttempts: 3,
    });
    // Data commands skip the SDK's per-call work (lambdas/data/light-dynamo.ts); others use it.
    documentClient = instrument(
      lightDynamo(
        DynamoDBDocumentClient.from(base, {
          marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
          unmarshallOptions: { wrapNumbers: false },
        }),
      ),
    );
  }
  return documentClient;
}

export function getManagementClient(): ApiGatewayManagementApiClient {
  const { managementEndpoint } = config();
  if (!managementClient) {
    if (!managementEndpoint) throw new Error('WS_MANAGEMENT_ENDPOINT is not configured');
    // Posts skip the SDK's per-call work (lambdas/fanout/light-posts.ts); other calls use it.
    managementClient = instrument(
      lightPosts(new ApiGatewayManagementApiClient({ endpoint: managementEndpoint, maxAttempts: 1 })),
    );
  }
  return managementClient;
}

/**
 * What sends to the product's queues (fan-out jobs, retention jobs, due scheduled messages), and
 * shortens a failed push or fan-out job's visibility (lambdas/queue/retry-later.ts): three SQS
 * calls, made by `lambdas/queue/light-sqs.ts` to each queue URL's own origin (locally the SQS
 * stand-in's), signed with the credentials of the function's DynamoDB client.
 */
export function getSqsSender(): SqsSender & SqsVisibility {
  sqsSender ??= new LightSqs({
    credentials: getDocumentClient().config.credentials,
    region: async () => config().region,
  });
  return sqsSender;
}

/**
 * The S3 "client" of the media functions: the SDK's own S3 request presigner (SigV4 query
 * authentication, the signer `getSignedUrl` uses), signing with the credentials of the function's
 * DynamoDB client. Presigned requests are sent with `fetch` (lambdas/data/media-bucket.ts). Why not
 * `S3Client`: it adds about 140 KB to a bundle that already carries the DynamoDB client; the presigner
 * adds about 1 KB, and the whole media layer about 10 KB (docs/performance.md, "Media").
 */
export function getS3Presigner(): S3RequestPresigner {
  const { region } = config();
  if (!s3Presigner) {
    s3Presigner = new S3RequestPresigner({
      credentials: getDocumentClient().config.credentials,
      region,
      sha256: NodeSha256,
    });
  }
  return s3Presigner;
}

/** Replace the container's clients (tests, the local stack). Pass `undefined` to recreate lazily. */
export function setClients(clients: {
  documentClient?: DynamoDBDocumentClient | undefined;
  managementClient?: ApiGatewayManagementApiClient | undefined;
  sqsSender?: (SqsSender & SqsVisibility) | undefined;
  s3Presigner?: S3RequestPresigner | undefined;
}): void {
  if ('documentClient' in clients)
    documentClient = clients.documentClient && instrument(clients.documentClient);
  if ('managementClient' in clients)
    managementClient = clients.managementClient && instrument(clients.managementClient);
  if ('sqsSender' in clients) {
    if (sqsSender instanceof LightSqs && sqsSender !== clients.sqsSender) sqsSender.destroy();
    sqsSender = clients.sqsSender;
  }
  if ('s3Presigner' in clients) s3Presigner = clients.s3Presigner;
}

/**
 * SHA-256 (and HMAC-SHA-256 when given a secret) from node:crypto, in the shape the SDK's signers
 * take: the S3 presigner's (the light paths sign with `sigv4.ts`).
 */
class NodeSha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

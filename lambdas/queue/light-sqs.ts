/**
 * SQS's `SendMessage` and `SendMessageBatch` without the SQS client: the fan-out jobs, retention
 * jobs and due scheduled messages are all the product sends to SQS, and the client brought about
 * 30 KB to every bundle that queues anything (its schemas, errors and endpoint rules; sendMessage
 * among them), where these two calls are one SigV4-signed JSON POST each.
 *
 * The request is what `@aws-sdk/client-sqs` sends (AWS JSON 1.0: `x-amz-target: AmazonSQS.<op>`,
 * the input as the body) to the queue URL's own origin, as the SDK does by default
 * (`useQueueUrlAsEndpoint`), signed for service `sqs` with the function's region and the
 * credentials of its DynamoDB client (the same role, as the S3 presigner's). As the SDK's do:
 * - every message the answer lists as sent is checked against the MD5 of its body;
 * - throttling, 5xx answers and network errors are tried again (3 attempts in all, jittered
 *   backoff); other errors are thrown at once, named after the answer's `__type`
 *   (`QueueDoesNotExist`…), with `$fault` and `$metadata.httpStatusCode`;
 * - with `AWS_CALL_LOG_DIR` set (tests), each call is recorded for the IAM check as the SDK
 *   client's would be (`sqs:SendMessage` on the queue).
 * `test/unit/light-sqs.test.ts` runs it against the local SQS stand-in and checks its signature.
 */
import { createHash } from 'node:crypto';
import { CALL_LOG_DIR_ENV, callsOf, recordCall } from '../shared/call-recorder.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import {
  type Endpoint,
  SignedHttp,
  type SignedHttpOptions,
  type SigningConfig,
} from '../shared/signed-http.ts';

export interface SqsEntry {
  readonly Id: string;
  readonly MessageBody: string;
  readonly DelaySeconds?: number;
}

export interface SendMessageBatchOutput {
  readonly Successful?: readonly { Id: string; MessageId?: string; MD5OfMessageBody?: string }[];
  readonly Failed?: readonly { Id: string; SenderFault?: boolean; Code?: string; Message?: string }[];
}

export interface SendMessageOutput {
  readonly MessageId?: string;
  readonly MD5OfMessageBody?: string;
}

/** What the queue producers need of SQS. */
export interface SqsSender {
  sendMessageBatch(input: {
    QueueUrl: string;
    Entries: readonly SqsEntry[];
  }): Promise<SendMessageBatchOutput>;
  sendMessage(input: {
    QueueUrl: string;
    MessageBody: string;
    DelaySeconds?: number;
  }): Promise<SendMessageOutput>;
}

const ATTEMPTS = 3;
const BACKOFF: Backoff = { baseMs: 100, capMs: 2000 };
/** An answer not received in this time fails as a network error (tried again). */
const REQUEST_TIMEOUT_MS = 10_000;
const THROTTLING = new Set(['RequestThrottled', 'ThrottlingException', 'KmsThrottled']);

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** An error SQS answered, shaped like the SDK's. */
function sqsError(status: number, body: string, header: string | undefined): Error {
  let parsed: { __type?: string; message?: string; Message?: string } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // Not JSON (a proxy's page): named after the status.
  }
  const name = (parsed.__type ?? '').split('#').pop() || header?.split(';')[0] || `HTTP${status}`;
  return Object.assign(new Error(parsed.message ?? parsed.Message ?? name), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

const retryable = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) return true; // the request itself failed: network, timeout
  return status >= 500 || status === 429 || THROTTLING.has(e.name ?? '');
};

export class LightSqs implements SqsSender {
  readonly #http = new Map<string, SignedHttp>();

  constructor(
    private readonly signing: SigningConfig,
    private readonly options: SignedHttpOptions = {},
  ) {}

  async sendMessageBatch(input: {
    QueueUrl: string;
    Entries: readonly SqsEntry[];
  }): Promise<SendMessageBatchOutput> {
    const out = (await this.#call('SendMessageBatch', input)) as SendMessageBatchOutput;
    const bodies = new Map(input.Entries.map((e) => [e.Id, e.MessageBody]));
    const wrong = (out.Successful ?? []).filter((s) => s.MD5OfMessageBody !== md5(bodies.get(s.Id) ?? ''));
    if (wrong.length > 0) {
      throw new Error(`Invalid MD5 checksum on messages: ${wrong.map((s) => s.MessageId).join(', ')}`);
    }
    return out;
  }

  async sendMessage(input: {
    QueueUrl: string;
    MessageBody: string;
    DelaySeconds?: number;
  }): Promise<SendMessageOutput> {
    const out = (await this.#call('SendMessage', input)) as SendMessageOutput;
    if (out.MD5OfMessageBody !== md5(input.MessageBody)) throw new Error('InvalidChecksumError');
    return out;
  }

  /** Closes the keep-alive sockets. */
  destroy(): void {
    for (const http of this.#http.values()) http.destroy();
    this.#http.clear();
  }

  async #call(operation: string, input: { QueueUrl: string }): Promise<unknown> {
    const dir = process.env[CALL_LOG_DIR_ENV];
    if (dir) recordCall(dir, callsOf('SQSClient', `${operation}Command`, input as Record<string, unknown>));
    const http = this.#httpFor(input.QueueUrl);
    const body = Buffer.from(JSON.stringify(input), 'utf8');
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await http.request({
          path: '/',
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${operation}` },
          body,
          timeoutMs: REQUEST_TIMEOUT_MS,
          onTimeout: () => Object.assign(new Error('SQS did not answer in time.'), { name: 'TimeoutError' }),
        });
        const chunks: Buffer[] = [];
        for await (const chunk of response) chunks.push(chunk as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) return text ? JSON.parse(text) : {};
        const header = response.headers['x-amzn-query-error'];
        throw sqsError(status, text, typeof header === 'string' ? header : undefined);
      } catch (error) {
        if (attempt >= ATTEMPTS || !retryable(error)) throw error;
        await backOff(BACKOFF, attempt);
      }
    }
  }

  /** One keep-alive connection pool per queue origin (the endpoint the SDK would take from it). */
  #httpFor(queueUrl: string): SignedHttp {
    const url = new URL(queueUrl);
    let http = this.#http.get(url.origin);
    if (!http) {
      const endpoint: Endpoint = {
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: '/',
      };
      http = new SignedHttp(this.signing, 'sqs', endpoint, this.options);
      this.#http.set(url.origin, http);
    }
    return http;
  }
}

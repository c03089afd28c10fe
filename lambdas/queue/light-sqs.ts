/**
 * SQS's `SendMessage`, `SendMessageBatch` and `ChangeMessageVisibility` without the SQS client: the
 * fan-out jobs, retention jobs and due scheduled messages are all the product sends to SQS, and a
 * failed push or fan-out job's earlier retry (queue/retry-later.ts) all it changes, and the client
 * brought about 40 KB to every bundle that queues anything (its schemas, errors, endpoint rules and
 * the code only it used), where these calls are one SigV4-signed JSON POST each.
 *
 * The request is the one `@aws-sdk/client-sqs` sends (AWS JSON 1.0: `x-amz-target: AmazonSQS.<op>`,
 * `x-amzn-query-mode: true`, the input as the body) to the queue URL's own origin, as the client
 * does by default (`useQueueUrlAsEndpoint`), signed for service `sqs` with the function's region and
 * the credentials of its DynamoDB client (the same role, as the S3 presigner's; the provider is
 * asked at every signing, so they are refreshed). Like the client's:
 * - every message the answer lists as sent is checked against the MD5 of its body;
 * - 5xx answers, throttling and the network errors the SDK retries (`ECONNRESET`, a timeout…) are
 *   tried again, 3 attempts in all, by the SDK's own standard retry strategy (`@smithy/core/retry`):
 *   its jittered backoff and its retry quota, one per sender as one per SDK client, so that while
 *   SQS keeps failing a container stops multiplying its calls (each retry spends from the quota,
 *   each success gives back; an empty quota fails the call at its first error); anything else, a
 *   2xx answer that is not JSON included, is thrown at once: a batch SQS accepted is never sent
 *   twice for a parse error;
 * - errors are named as the SDK names them (`QueueDoesNotExist`: the code of `__type` or
 *   `x-amzn-errortype`), with `$fault` and `$metadata` (`httpStatusCode`, `requestId`);
 * - with `AWS_CALL_LOG_DIR` set (tests), each call is recorded for the IAM check as the SDK
 *   client's would be (`sqs:SendMessage` or `sqs:ChangeMessageVisibility` on the queue).
 * What it leaves out: the SDK's clock-skew correction.
 * `test/unit/light-sqs.test.ts` compares it with the SDK's request and runs it against the local
 * SQS stand-in.
 */
import { createHash } from 'node:crypto';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorType, StandardRetryToken } from '@smithy/types';
import { CALL_LOG_DIR_ENV, callsOf, recordCall } from '../shared/call-recorder.ts';
import { serviceError } from '../shared/service-errors.ts';
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

/** What a queue worker needs of SQS to have a failed message received again sooner. */
export interface SqsVisibility {
  changeMessageVisibility(input: {
    QueueUrl: string;
    ReceiptHandle: string;
    VisibilityTimeout: number;
  }): Promise<void>;
}

const ATTEMPTS = 3;
/**
 * An attempt whose socket is idle this long fails as a timeout (tried again). SQS answers in tens
 * of milliseconds; the route functions time out at 10 s, which leaves room for the other attempts.
 */
const ATTEMPT_TIMEOUT_MS = 2500;
/** The SDK's throttling codes (`@smithy/core`'s service-error classification) that SQS can send. */
const THROTTLING = new Set([
  'RequestThrottled',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
]);
/** The Node.js errors the SDK retries: timeouts and network failures. */
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/**
 * How the retry strategy sees an error (throttling: a longer backoff and a cheaper retry; transient:
 * 5xx and network failures); undefined when it is not tried again.
 */
function retryType(error: unknown): RetryErrorType | undefined {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) {
    return NETWORK.has(e.code ?? '') || e.name === 'TimeoutError' ? 'TRANSIENT' : undefined;
  }
  if (status === 429 || THROTTLING.has(e.name ?? '')) return 'THROTTLING';
  return status >= 500 ? 'TRANSIENT' : undefined;
}

/** Options: the keep-alive agent (`signed-http.ts`) and, for tests, the attempt timeout. */
export interface LightSqsOptions extends SignedHttpOptions {
  readonly attemptTimeoutMs?: number;
}

export class LightSqs implements SqsSender, SqsVisibility {
  readonly #http = new Map<string, SignedHttp>();
  readonly #retry = new StandardRetryStrategy(ATTEMPTS);

  constructor(
    private readonly signing: SigningConfig,
    private readonly options: LightSqsOptions = {},
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

  /** Sets a received message's visibility timeout to `VisibilityTimeout` seconds from now. */
  async changeMessageVisibility(input: {
    QueueUrl: string;
    ReceiptHandle: string;
    VisibilityTimeout: number;
  }): Promise<void> {
    await this.#call('ChangeMessageVisibility', input);
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
    let token: StandardRetryToken = await this.#retry.acquireInitialRetryToken('');
    let text: string;
    for (;;) {
      try {
        text = await this.#attempt(http, operation, body);
        this.#retry.recordSuccess(token);
        break;
      } catch (error) {
        const errorType = retryType(error);
        if (!errorType) throw error;
        // Refused when out of attempts or quota; otherwise it waits out the backoff itself.
        token = await this.#retry.refreshRetryTokenForRetry(token, { errorType }).catch(() => {
          throw error;
        });
        const delay = token.getRetryDelay();
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    // Outside the attempts: SQS accepted the call, so an answer it cannot parse is not sent again.
    return text ? JSON.parse(text) : {};
  }

  /** One request; the body of a 2xx answer, or the error SQS answered. */
  async #attempt(http: SignedHttp, operation: string, body: Buffer): Promise<string> {
    const response = await http.request({
      path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `AmazonSQS.${operation}`,
        'x-amzn-query-mode': 'true',
      },
      body,
      timeoutMs: this.options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS,
      onTimeout: () => Object.assign(new Error('SQS did not answer in time.'), { name: 'TimeoutError' }),
    });
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return text;
    throw serviceError(status, text, response.headers, `HTTP${status}`);
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

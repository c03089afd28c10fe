/**
 * A local stand-in for one SQS standard queue and its Lambda event source mapping (never deployed):
 *
 * - an HTTP endpoint on 127.0.0.1 speaking SQS's JSON protocol for `SendMessage` and
 *   `SendMessageBatch` (with per-message `DelaySeconds` and the MD5 the SDK checks), so the real
 *   `@aws-sdk/client-sqs` works against it unchanged;
 * - a consumer that hands visible messages to a handler in batches (at most `batchSize`, at most
 *   `concurrency` batches at once) as `SQSEvent`s, honours `batchItemFailures` (those messages come
 *   back after `visibilityTimeoutMs`; a handler that throws fails its whole batch) and drops a message
 *   after `maxReceiveCount` receives (counted as dead-lettered, as a redrive policy would move it).
 *
 * In memory: what is on it when the stack stops is gone (the sweep at start-up puts due messages back).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type QueueConsumer = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export interface LocalQueueOptions {
  readonly name: string;
  readonly consumer: QueueConsumer;
  /** @default 10 (the SQS event source's default) */
  readonly batchSize?: number;
  /** Batches handled at once. @default 5 (where an SQS event source starts) */
  readonly concurrency?: number;
  /** When a failed message comes back. @default 2000 (short: locally nothing else is waiting) */
  readonly visibilityTimeoutMs?: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
}

interface Stored {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
}

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const MAX_DELAY_SECONDS = 900;
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

export class LocalQueue {
  readonly #options: Required<LocalQueueOptions>;
  readonly #waiting: Stored[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #server: Server | undefined;
  #timer: NodeJS.Timeout | undefined;
  #port = 0;
  #stopped = false;
  /** What went through the queue (tests and the bench read these). */
  readonly stats = { sent: 0, delivered: 0, failed: 0, deadLettered: 0 };

  constructor(options: LocalQueueOptions) {
    this.#options = {
      batchSize: 10,
      concurrency: 5,
      visibilityTimeoutMs: 2000,
      maxReceiveCount: 5,
      ...options,
    };
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get url(): string {
    return `${this.endpoint}/${ACCOUNT}/${this.#options.name}`;
  }

  get arn(): string {
    return `arn:aws:sqs:${REGION}:${ACCOUNT}:${this.#options.name}`;
  }

  /** Messages on the queue, visible or not yet (in-flight batches excluded). */
  get depth(): number {
    return this.#waiting.length;
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => void this.#serve(req, res));
    // Longer than the SDK keeps an idle socket, so a reused socket is never closed under a request.
    this.#server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      this.#server?.once('error', reject);
      this.#server?.listen(0, '127.0.0.1', () => resolve());
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /** Resolves when no batch is being handled and nothing on the queue is visible yet. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0 || this.#waiting.some((m) => m.visibleAt <= Date.now())) {
      await Promise.all([...this.#inFlight]);
      await new Promise((r) => setImmediate(r));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    await Promise.all([...this.#inFlight]);
  }

  /** Puts a message on the queue (what SendMessage does). */
  send(body: string, delaySeconds = 0): string {
    const now = Date.now();
    const messageId = randomUUID();
    this.#waiting.push({
      messageId,
      body,
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    });
    this.stats.sent++;
    this.#schedule();
    return messageId;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return this.#reply(res, 400, { __type: 'com.amazonaws.sqs#InvalidRequest', message: 'not JSON' });
    }
    if (target === 'AmazonSQS.SendMessage') {
      const body = String(input.MessageBody ?? '');
      const delay = this.#delay(input.DelaySeconds);
      if (delay === undefined) return this.#invalidDelay(res);
      const messageId = this.send(body, delay);
      return this.#reply(res, 200, { MessageId: messageId, MD5OfMessageBody: md5(body) });
    }
    if (target === 'AmazonSQS.SendMessageBatch') {
      const entries = (Array.isArray(input.Entries) ? input.Entries : []) as Record<string, unknown>[];
      if (entries.length === 0 || entries.length > 10) {
        return this.#reply(res, 400, {
          __type: 'com.amazonaws.sqs#TooManyEntriesInBatchRequest',
          message: 'A batch holds 1 to 10 entries.',
        });
      }
      const Successful: Record<string, string>[] = [];
      const Failed: Record<string, unknown>[] = [];
      for (const entry of entries) {
        const body = String(entry.MessageBody ?? '');
        const delay = this.#delay(entry.DelaySeconds);
        if (delay === undefined) {
          Failed.push({
            Id: entry.Id,
            SenderFault: true,
            Code: 'InvalidParameterValue',
            Message: 'DelaySeconds',
          });
          continue;
        }
        Successful.push({
          Id: String(entry.Id),
          MessageId: this.send(body, delay),
          MD5OfMessageBody: md5(body),
        });
      }
      return this.#reply(res, 200, { Successful, Failed });
    }
    return this.#reply(res, 400, {
      __type: 'com.amazonaws.sqs#UnsupportedOperation',
      message: `${target || 'this operation'} is not supported by the local queue`,
    });
  }

  #delay(value: unknown): number | undefined {
    const delay = value === undefined ? 0 : Number(value);
    return Number.isInteger(delay) && delay >= 0 && delay <= MAX_DELAY_SECONDS ? delay : undefined;
  }

  #invalidDelay(res: ServerResponse): void {
    this.#reply(res, 400, {
      __type: 'com.amazonaws.sqs#InvalidParameterValue',
      message: `DelaySeconds must be an integer from 0 to ${MAX_DELAY_SECONDS}.`,
    });
  }

  #reply(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  }

  /** Wakes up when the next message becomes visible (or at once when one is). */
  #schedule(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    if (this.#waiting.length === 0) return;
    const next = this.#waiting.reduce((min, m) => Math.min(min, m.visibleAt), Number.POSITIVE_INFINITY);
    this.#timer = setTimeout(() => this.#pump(), Math.max(0, next - Date.now()));
  }

  #pump(): void {
    while (!this.#stopped && this.#inFlight.size < this.#options.concurrency) {
      const now = Date.now();
      const batch = this.#waiting
        .filter((m) => m.visibleAt <= now)
        .sort((a, b) => a.visibleAt - b.visibleAt)
        .slice(0, this.#options.batchSize);
      if (batch.length === 0) break;
      for (const m of batch) this.#waiting.splice(this.#waiting.indexOf(m), 1);
      const run = this.#deliver(batch).finally(() => {
        this.#inFlight.delete(run);
        this.#pump();
      });
      this.#inFlight.add(run);
    }
    this.#schedule();
  }

  async #deliver(batch: Stored[]): Promise<void> {
    const now = Date.now();
    for (const m of batch) {
      m.receiveCount++;
      m.firstReceivedAt ??= now;
    }
    let failedIds: Set<string>;
    try {
      const response = await this.#options.consumer({ Records: batch.map((m) => this.#record(m)) });
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch {
      failedIds = new Set(batch.map((m) => m.messageId));
    }
    for (const m of batch) {
      if (!failedIds.has(m.messageId)) {
        this.stats.delivered++;
        continue;
      }
      this.stats.failed++;
      if (m.receiveCount >= this.#options.maxReceiveCount) {
        this.stats.deadLettered++;
        continue;
      }
      m.visibleAt = Date.now() + this.#options.visibilityTimeoutMs;
      this.#waiting.push(m);
    }
  }

  #record(m: Stored): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: `${m.messageId}#${m.receiveCount}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: ACCOUNT,
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? Date.now()),
      },
      messageAttributes: {},
      md5OfBody: md5(m.body),
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: REGION,
    };
  }
}

/**
 * A local stand-in for Amazon SQS standard queues and Lambda's SQS event source, in-process and
 * never deployed: `npm run dev`, the tests and the bench run the real worker handlers with it.
 *
 * - Producers send to the queue URL's origin (the functions through `lambdas/queue/light-sqs.ts`,
 *   tests also with the real `@aws-sdk/client-sqs`): `SendMessage` and `SendMessageBatch` over the
 *   AWS JSON 1.0 protocol, with `DelaySeconds` and the MD5 digests both check; and
 *   `ChangeMessageVisibility` of a record in flight (a worker's earlier retry of a failed record:
 *   lambdas/queue/retry-later.ts). Nothing else of the SQS API is served (workers never poll: they
 *   are invoked).
 * - Each queue has a consumer like an event source mapping: batches of at most `batchSize`
 *   records, at most `maxConcurrency` invocations at once, the `SQSEvent` shape Lambda sends, and
 *   `batchItemFailures` honoured (ReportBatchItemFailures). A failed record (or every record of an
 *   invocation that threw) is received again after the visibility timeout (or the one its worker
 *   set meanwhile), and after `maxReceiveCount` receives it moves to the queue's dead-letter list.
 * - Delays and the visibility timeout are real time, the visibility timeout short by default (1 s)
 *   so that failures are retried while a test waits; a test may shorten a worker's own visibility
 *   changes (`visibilityChangeSecondMs`).
 *
 * Over 300 lines: one class, whose sending, receiving, redelivery and stopping share the messages
 * in flight (LocalSqs, the wire protocol, is in sqs.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './gateway/invoker.ts';
import type { LambdaHandler } from './gateway.ts';

export const ACCOUNT = '000000000000';
const REGION = 'local';

export interface LocalQueueOptions {
  /** Records per invocation. @default 10 */
  readonly batchSize?: number;
  /** Invocations at once. @default 2 */
  readonly maxConcurrency?: number;
  /** Before a failed record is received again. @default 1000 ms */
  readonly visibilityTimeoutMs?: number;
  /** Receives before a record moves to the dead-letter list. @default 5 */
  readonly maxReceiveCount?: number;
  /** The worker's timeout: its invocations' context counts down from it. @default 30_000 ms */
  readonly timeoutMs?: number;
  /**
   * Milliseconds a second of `ChangeMessageVisibility` lasts here: tests of a worker's short
   * backoff (lambdas/queue/retry-later.ts, 10 s and more) that need not wait its real seconds.
   * The queue's own visibility timeout and message timers are not scaled. @default 1000
   */
  readonly visibilityChangeSecondMs?: number;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** When a `ChangeMessageVisibility` of its current receive makes it visible again. */
  visibleAgainAt?: number;
}

/** What a `ChangeMessageVisibility` finds: SQS's error codes for a handle it does not take. */
export type VisibilityChange = 'changed' | 'ReceiptHandleIsInvalid' | 'MessageNotInflight';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
/** A receive's handle: the message and how many times it was received. */
const receiptHandle = (m: StoredMessage) => `${m.messageId}#${m.receiveCount}`;

/** How long `stop()` waits for the worker calls in flight. */
const STOP_WAIT_MS = 10_000;

/** One queue and its consumer. */
export class LocalQueue {
  readonly #waiting: StoredMessage[] = [];
  readonly #dead: StoredMessage[] = [];
  /** The records being handled, by receipt handle. */
  readonly #received = new Map<string, StoredMessage>();
  #inFlight = 0;
  /** The worker calls in flight (`stop()` waits for them). */
  readonly #calls = new Set<Promise<void>>();
  #handler: (() => Promise<LambdaHandler>) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];
  #stopped = false;
  #paused = false;
  readonly #options: Required<LocalQueueOptions>;
  /** Invocations and records handled so far (observability in tests and the bench). */
  readonly stats = { invocations: 0, records: 0, failedRecords: 0, sent: 0 };

  constructor(
    readonly name: string,
    readonly url: string,
    options: LocalQueueOptions = {},
  ) {
    this.#options = {
      batchSize: options.batchSize ?? 10,
      maxConcurrency: options.maxConcurrency ?? 2,
      visibilityTimeoutMs: options.visibilityTimeoutMs ?? 1000,
      maxReceiveCount: options.maxReceiveCount ?? 5,
      timeoutMs: options.timeoutMs ?? 30_000,
      visibilityChangeSecondMs: options.visibilityChangeSecondMs ?? 1000,
    };
  }

  get arn(): string {
    return `arn:aws:sqs:${REGION}:${ACCOUNT}:${this.name}`;
  }

  /** Messages moved to the dead-letter list (bodies). */
  get deadLetters(): string[] {
    return this.#dead.map((m) => m.body);
  }

  /** Messages stored (waiting, delayed or in flight). */
  get depth(): number {
    return this.#waiting.length + this.#inFlight;
  }

  /** Invokes `load()`'s handler with batches of this queue's messages. */
  consume(load: () => Promise<LambdaHandler>): void {
    this.#handler = load;
    this.#pump();
  }

  send(body: string, delaySeconds = 0): { messageId: string; md5: string } {
    const now = Date.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    this.#waiting.push(message);
    this.stats.sent++;
    this.#pump();
    return { messageId: message.messageId, md5: md5(body) };
  }

  /**
   * `ChangeMessageVisibility`: the record received with `handle`, if still being handled,
   * becomes visible `seconds` from now once its worker reports it failed (a record handled
   * successfully is deleted all the same; one in flight is never handed to a second worker here).
   */
  changeVisibility(handle: string, seconds: number): VisibilityChange {
    const message = this.#received.get(handle);
    if (!message) {
      const known = /^[0-9a-f-]{36}#\d+$/.test(handle);
      return known ? 'MessageNotInflight' : 'ReceiptHandleIsInvalid';
    }
    message.visibleAgainAt = Date.now() + seconds * this.#options.visibilityChangeSecondMs;
    return 'changed';
  }

  /** Resolves when nothing is stored or in flight (delayed messages included). */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Resolves when nothing is visible or in flight: messages on a timer (sent with `DelaySeconds`) may
   * still wait. For queues whose messages may sit on long timers (the scheduled messages' due queue).
   */
  async idleExceptDelayed(): Promise<void> {
    const busy = () => this.#inFlight > 0 || this.#waiting.some((m) => m.visibleAt <= Date.now());
    while (busy() && !this.#stopped) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /**
   * Whether anything is in flight, visible, or waiting to be received again after a failure: all but
   * messages still on the timer they were sent with (`DelaySeconds`), never received yet.
   */
  get busyExceptTimers(): boolean {
    const now = Date.now();
    return this.#inFlight > 0 || this.#waiting.some((m) => m.visibleAt <= now || m.receiveCount > 0);
  }

  /**
   * Resolves when `busyExceptTimers` is false: for a queue whose timed messages are safety nets
   * that usually find nothing to do (the retention queue's deletion finish jobs).
   */
  async idleExceptTimers(): Promise<void> {
    while (this.busyExceptTimers && !this.#stopped) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Holds messages back from the worker until `resume()` (tests: "the ack did not wait"). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#pump();
  }

  /**
   * Stops handing out messages, drops those waiting, and resolves once the worker calls in flight
   * have returned, or after `waitMs` (a call that hangs does not hold the stop): a call must not run
   * on after the stack it belongs to is gone (the next test file of a shared worker would meet it).
   */
  async stop({ waitMs = STOP_WAIT_MS }: { readonly waitMs?: number } = {}): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#waiting.length = 0;
    this.#settleIdle();
    if (this.#calls.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    await Promise.race([Promise.allSettled([...this.#calls]), bound]);
    clearTimeout(timer);
    this.#waiting.length = 0; // a failed call's messages, put back meanwhile
  }

  #pump(): void {
    if (this.#stopped || this.#paused || !this.#handler) return;
    const now = Date.now();
    while (this.#inFlight < this.#options.maxConcurrency) {
      const batch = this.#take(now);
      if (batch.length === 0) break;
      this.#inFlight++;
      const call: Promise<void> = this.#invoke(batch).finally(() => {
        this.#calls.delete(call);
        this.#inFlight--;
        this.#pump();
        this.#settleIdle();
      });
      this.#calls.add(call);
    }
    this.#schedule(now);
  }

  #take(now: number): StoredMessage[] {
    const batch: StoredMessage[] = [];
    for (let i = 0; i < this.#waiting.length && batch.length < this.#options.batchSize; ) {
      const message = this.#waiting[i] as StoredMessage;
      if (message.visibleAt <= now) {
        this.#waiting.splice(i, 1);
        batch.push(message);
      } else i++;
    }
    return batch;
  }

  /** Wakes up when the next delayed or invisible message becomes visible. */
  #schedule(now: number): void {
    clearTimeout(this.#timer);
    if (this.#waiting.length === 0 || this.#inFlight >= this.#options.maxConcurrency) return;
    const next = Math.min(...this.#waiting.map((m) => m.visibleAt));
    this.#timer = setTimeout(() => this.#pump(), Math.max(1, next - now));
  }

  async #invoke(batch: StoredMessage[]): Promise<void> {
    const now = Date.now();
    for (const m of batch) {
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAgainAt = undefined;
    }
    const event: SQSEvent = { Records: batch.map((m) => this.#record(m)) };
    for (const m of batch) this.#received.set(receiptHandle(m), m);
    let failed: Set<string>;
    try {
      const handler = await (this.#handler as () => Promise<LambdaHandler>)();
      const result = (await handler(event, lambdaContext(this.name, this.#options.timeoutMs))) as
        | SQSBatchResponse
        | undefined;
      failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      process.stderr.write(
        `local queue ${this.name}: the worker failed: ${(error as Error).stack ?? error}\n`,
      );
      failed = new Set(batch.map((m) => m.messageId));
    }
    for (const m of batch) this.#received.delete(receiptHandle(m));
    this.stats.invocations++;
    this.stats.records += batch.length;
    this.stats.failedRecords += failed.size;
    for (const m of batch.filter((x) => failed.has(x.messageId))) {
      if (m.receiveCount >= this.#options.maxReceiveCount) {
        this.#dead.push(m);
      } else {
        m.visibleAt = m.visibleAgainAt ?? Date.now() + this.#options.visibilityTimeoutMs;
        this.#waiting.push(m);
      }
    }
  }

  #record(m: StoredMessage): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: receiptHandle(m),
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'AIDALOCAL',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? Date.now()),
      },
      messageAttributes: {},
      md5OfBody: md5(m.body),
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: REGION,
    };
  }

  #settleIdle(): void {
    if (this.depth > 0 && !this.#stopped) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

export { LocalSqs } from './sqs.ts';
